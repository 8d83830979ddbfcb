/**
 * Model throughput benchmark on the real Qwen2 model code: train step (forward + next-token
 * cross-entropy + backward + AdamW) and prefill on batch×seq tokens, and KV-cache decoding of 64
 * new tokens after a 32-token prompt for `batch` sequences. Prints one JSON line.
 *
 * `--torch` also runs bench/torch_bench.py (same shapes) with /usr/bin/python3 in the same
 * sitting and adds its figures and the ratios; PyTorch counts as its best per metric over 1 thread
 * and all cores, each with the user's environment and with the thread settings our engine gives
 * itself (`OPENBLAS_THREAD_TIMEOUT`, `OMP_WAIT_POLICY`).
 *
 * Usage: `deno task bench:model -- --vocab 512 --hidden 256 --layers 4 --heads 4 --kv-heads 2
 *   --intermediate 512 --batch 8 --seq 128 [--backend fast] [--steps 5] [--torch] [--train 0]`
 * (`--train 0`: inference only, for models too large to train in memory; `--quick-init 1`: fill
 * the random weights with a fast xorshift uniform of the same std instead of the seeded normal
 * generator, which takes minutes at billions of parameters; throughput does not depend on the
 * values).
 *
 * Timing: each figure is the best of `--steps` repetitions (one train step, one prefill, one whole
 * 64-token decode), after `--warmup` train steps and one untimed prefill and decode. On a shared
 * machine interference only adds time, so the best repetition is the steadiest estimate;
 * bench/torch_bench.py times PyTorch the same way.
 *
 * Results are read back with the asynchronous `Tensor.data()`: tfjs's WebGPU backend cannot read
 * synchronously under Deno (its `dataSync` goes through a 2D canvas, which Deno lacks). Prefill
 * reads back the argmax of the last position, as generation does, not the whole logits tensor.
 * Progress lines (`[model_bench] N s: …`) go to stderr, so a run stopped by a time limit shows how
 * far it got.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { adamwUpdate } from "../lib/engine/adamw.ts";
import { backendDescription, initBackend, parseBackendName } from "../lib/engine/backend.ts";
import { loadBlas } from "../lib/engine/blas.ts";
import { engineEnv } from "../lib/engine/engine_env.ts";
import { tokenLogprobs } from "../lib/engine/ops_logprobs.ts";
import { expectedTensorShapes, type Weights } from "../lib/model/checkpoint.ts";
import { parseConfig, type Qwen2Config } from "../lib/model/config.ts";
import { KVCache } from "../lib/model/kv_cache.ts";
import { randomWeights } from "../lib/model/make_model.ts";
import { Qwen2Model } from "../lib/model/qwen2.ts";
import { Rng } from "../lib/util/rng.ts";

const INT_OPTS = [
  ["vocab", 512],
  ["hidden", 256],
  ["layers", 4],
  ["heads", 4],
  ["kv-heads", 2],
  ["intermediate", 512],
  ["batch", 8],
  ["seq", 128],
  ["steps", 5],
  ["warmup", 2],
  ["seed", 0],
  ["prompt", 32],
  ["new", 64],
  ["train", 1],
  ["quick-init", 0],
] as const;

/** Parsed benchmark options. */
export type BenchOptions = Record<(typeof INT_OPTS)[number][0], number> & {
  backend: string;
  torch: boolean;
};

/** Parse the command line (integers are validated, `--backend` through parseBackendName). */
export function parseBenchArgs(args: string[]): BenchOptions {
  const options: Record<string, { type: "string" | "boolean" }> = {
    backend: { type: "string" },
    torch: { type: "boolean" },
  };
  for (const [k] of INT_OPTS) options[k] = { type: "string" };
  // `deno task bench:model -- …` forwards the separator itself.
  const rest = args[0] === "--" ? args.slice(1) : args;
  const { values } = parseArgs({ args: rest, options, allowPositionals: false });
  const out: Record<string, unknown> = {
    backend: parseBackendName(values.backend as string | undefined),
    torch: !!values.torch,
  };
  for (const [k, d] of INT_OPTS) {
    const raw = values[k] as string | undefined;
    const v = raw === undefined ? d : Number(raw);
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`--${k}: expected an integer ≥ 0, got "${raw}"`);
    }
    out[k] = v;
  }
  return out as BenchOptions;
}

/** Matmul FLOPs of one forward token-position plus causal attention, for `seq` positions. */
function forwardFlops(o: BenchOptions, tokens: number, seq: number): number {
  const d = o.hidden / o.heads;
  const perToken = 2 * (
        o.hidden * (o.heads + 2 * o["kv-heads"]) * d + o.heads * d * o.hidden +
        3 * o.hidden * o.intermediate
      ) *
      o.layers + 2 * o.hidden * o.vocab;
  // QKᵀ and PV over the causal half: 2·2·NH·D·(seq+1)/2 per token and layer.
  const attn = 2 * o.heads * d * (seq + 1) * o.layers;
  return tokens * (perToken + attn);
}

/** Best-of-3 single-precision GEMM rate (GFLOP/s) at 1024² through OpenBLAS, or null. */
function sgemmPeak(): number | null {
  const blas = loadBlas({ notice: () => {} });
  if (!blas) return null;
  const n = 1024, a = new Float32Array(n * n).fill(0.5), c = new Float32Array(n * n);
  blas.sgemm(false, false, n, n, n, 1, a, n, a, n, 0, c, n);
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    blas.sgemm(false, false, n, n, n, 1, a, n, a, n, 0, c, n);
    best = Math.min(best, performance.now() - t0);
  }
  blas.close();
  return 2 * n ** 3 / (best * 1e6);
}

/**
 * Random weights for throughput runs at billions of parameters: norms 1, everything else uniform
 * with std 0.02 from a seeded xorshift32 (fast, unlike the normal generator of randomWeights).
 */
function quickWeights(config: Qwen2Config, seed: number): Weights {
  const out: Weights = new Map();
  let x = (seed * 2654435761 + 1) >>> 0 || 1;
  const a = 0.02 * Math.sqrt(3), scale = 2 * a / 4294967296;
  for (const [name, shape] of expectedTensorShapes(config)) {
    const n = shape.reduce((p, d) => p * d, 1);
    const data = new Float32Array(n);
    if (name.endsWith("norm.weight")) data.fill(1);
    else {
      for (let i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        data[i] = (x >>> 0) * scale - a;
      }
    }
    out.set(name, { shape, data });
  }
  return out;
}

async function runTorchOnce(
  o: BenchOptions,
  threads: number,
  engineSettings: boolean,
): Promise<Record<string, number | string>> {
  const script = fileURLToPath(new URL("./torch_bench.py", import.meta.url));
  const args = [script, "--threads", String(threads)];
  for (const [k] of INT_OPTS) args.push(`--${k}`, String(o[k]));
  // The child inherits our environment, including the thread settings our engine gave itself
  // (engineEnv); run PyTorch both with the user's own environment and with those settings.
  const env = Deno.env.toObject();
  if (!engineSettings) { for (const name of engineEnv.keys()) delete env[name]; }
  const r = await new Deno.Command("/usr/bin/python3", {
    args,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!r.success) {
    const err = new TextDecoder().decode(r.stderr).trim().split("\n").pop();
    throw new Error(`torch_bench.py --threads ${threads} failed: ${err}`);
  }
  const out = JSON.parse(new TextDecoder().decode(r.stdout).trim().split("\n").pop() ?? "{}");
  return {
    ...out,
    env: engineSettings
      ? [...engineEnv].map(([k, v]) => `${k}=${v}`).join(" ") || "default"
      : "default",
  };
}

/**
 * PyTorch figures for the same shapes, best per metric of 1 thread and all cores, each with the
 * user's environment and with our engine's thread settings (OpenMP threads suffer badly when the
 * cores are shared), or an error record.
 */
async function runTorch(o: BenchOptions): Promise<Record<string, unknown>> {
  try {
    const runs = [];
    const cores = navigator.hardwareConcurrency ?? 1;
    for (const threads of cores > 1 ? [1, cores] : [1]) {
      runs.push(await runTorchOnce(o, threads, false));
      if (engineEnv.size > 0) runs.push(await runTorchOnce(o, threads, true));
    }
    const best: Record<string, unknown> = { params: runs[0].params, runs };
    for (const k of ["train", "prefill", "decode"]) {
      best[`${k}_tokens_per_s`] = Math.max(...runs.map((r) => Number(r[`${k}_tokens_per_s`])));
    }
    return best;
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Run the benchmark; returns the JSON record. */
export async function benchModel(o: BenchOptions): Promise<Record<string, unknown>> {
  await initBackend(parseBackendName(o.backend));
  const config = parseConfig({
    model_type: "qwen2",
    vocab_size: o.vocab,
    hidden_size: o.hidden,
    num_hidden_layers: o.layers,
    num_attention_heads: o.heads,
    num_key_value_heads: o["kv-heads"],
    intermediate_size: o.intermediate,
    rms_norm_eps: 1e-6,
    rope_theta: 1e6,
    tie_word_embeddings: true,
    max_position_embeddings: Math.max(4096, o.seq + 1, o.prompt + o.new + 1),
  });
  const t00 = performance.now();
  // Progress on stderr (seconds since start), so a run stopped by a time limit shows how far it got.
  const progress = (what: string) =>
    console.error(`[model_bench] ${((performance.now() - t00) / 1000).toFixed(1)} s: ${what}`);
  const weights = o["quick-init"] ? quickWeights(config, o.seed) : randomWeights(config, {
    seed: o.seed,
  });
  progress("weights generated");
  const model = Qwen2Model.fromWeights(config, weights);
  weights.clear();
  progress("model built (weights generated and uploaded)");
  const rng = new Rng(o.seed + 1);
  const ids = Array.from(
    { length: o.batch },
    () => Array.from({ length: o.seq + 1 }, () => rng.int(o.vocab)),
  );
  const inputs = ids.map((r) => r.slice(0, o.seq));
  const targets = tf.tensor2d(ids.map((r) => r.slice(1)), [o.batch, o.seq], "int32");
  const vars = model.trainableVariables();
  // `--train 0` measures inference only (a model too large to train still decodes).
  const moments = o.train === 0
    ? []
    : vars.map((v) => [tf.variable(tf.zerosLike(v), false), tf.variable(tf.zerosLike(v), false)]);
  let step = 0;
  const train = async () => {
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.forward(inputs);
      return tf.neg(tf.mean(tokenLogprobs(logits, targets))) as tf.Scalar;
    }, vars);
    step++;
    vars.forEach((v, i) =>
      adamwUpdate(v, grads[v.name], moments[i][0], moments[i][1], step, {
        lr: 1e-3,
        weightDecay: 0.01,
      })
    );
    const loss = (await value.data())[0];
    tf.dispose([value, ...Object.values(grads)]);
    if (!Number.isFinite(loss)) throw new Error(`model_bench: loss is ${loss} at step ${step}`);
  };
  // Best of `reps` timings: on a shared machine interference only ever adds time, so the fastest
  // repetition is the steadiest estimate; bench/torch_bench.py times PyTorch the same way.
  const time = async (f: () => Promise<void>, reps: number) => {
    let best = Infinity;
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      await f();
      best = Math.min(best, performance.now() - t0);
    }
    return best / 1000;
  };
  let trainS = NaN;
  if (o.train !== 0) {
    for (let i = 0; i < o.warmup; i++) await train();
    trainS = await time(train, o.steps);
    progress("train measured");
  }
  // Argmax of the last position, read back (what generation needs from a forward pass).
  const pick = async (logits: tf.Tensor3D) => {
    const t = logits.shape[1];
    const next = tf.tidy(() => tf.argMax(logits.slice([0, t - 1, 0], [-1, 1, -1]), -1));
    const out = Array.from(await next.data(), (x) => [x]);
    tf.dispose([logits, next]);
    return out;
  };
  const prefill = async () => {
    await pick(model.forward(inputs));
  };
  await prefill();
  const prefillS = await time(prefill, o.steps);
  progress("prefill measured");
  const decode = async () => {
    const cache = new KVCache(o.layers);
    let next = await pick(model.forward(ids.map((r) => r.slice(0, o.prompt)), { cache }));
    const t0 = performance.now();
    for (let i = 0; i < o.new; i++) next = await pick(model.forward(next, { cache }));
    const s = (performance.now() - t0) / 1000;
    cache.dispose();
    return s;
  };
  await decode();
  progress("decode warmed up");
  let decodeS = Infinity;
  for (let i = 0; i < o.steps; i++) decodeS = Math.min(decodeS, await decode());
  const n = o.batch * o.seq;
  const trainFlops = 3 * forwardFlops(o, n, o.seq);
  const gflops = o.train === 0 ? null : trainFlops / trainS / 1e9;
  const peak = sgemmPeak();
  const rec: Record<string, unknown> = {
    params: model.numParameters(),
    train_tokens_per_s: o.train === 0 ? null : n / trainS,
    prefill_tokens_per_s: n / prefillS,
    decode_tokens_per_s: (o.batch * o.new) / decodeS,
    backend: backendDescription(),
    gflops,
    sgemm_peak_share: peak === null || gflops === null ? null : gflops / peak,
    sgemm_peak_gflops: peak,
    shape: {
      vocab: o.vocab,
      hidden: o.hidden,
      layers: o.layers,
      heads: o.heads,
      kv_heads: o["kv-heads"],
      intermediate: o.intermediate,
      batch: o.batch,
      seq: o.seq,
    },
  };
  model.dispose();
  tf.dispose([targets, ...moments.flat()]);
  if (o.torch) {
    const t = await runTorch(o);
    rec.torch = t;
    if (!("error" in t)) {
      for (const k of ["train", "prefill", "decode"]) {
        rec[`${k}_vs_torch`] = (rec[`${k}_tokens_per_s`] as number) /
          (t[`${k}_tokens_per_s`] as number);
      }
    }
  }
  return rec;
}

if (import.meta.main) {
  const rec = await benchModel(parseBenchArgs(Deno.args));
  console.log(JSON.stringify(rec));
}
