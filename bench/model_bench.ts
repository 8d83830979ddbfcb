/**
 * Model throughput benchmark on the real Qwen2 model code: train step (forward + next-token
 * cross-entropy + backward + AdamW) and prefill on batch×seq tokens, and KV-cache decoding of 64
 * new tokens after a 32-token prompt for `batch` sequences. Prints one JSON line.
 *
 * `--torch` also runs bench/torch_bench.py (same shapes, same LoRA) with /usr/bin/python3 in the
 * same sitting, on CUDA when PyTorch sees a GPU (else its best over CPU thread settings; see
 * bench/model_bench_torch.ts), and adds its figures (`torch`) and `*_vs_torch` ratios.
 *
 * `--lora-rank R` (R ≥ 1): the train step updates only rank-R adapters on `--lora-targets`
 * (default: all attention and MLP projections; `attn`: q/k/v/o as the trainer), base frozen, so
 * AdamW keeps moments for the adapters only (`optimizer_state_values`).
 *
 * Memory: `peak_gpu_gib` is the backend's own peak (webgpu: bytes of GPU buffers tfjs's buffer
 * manager holds, pool included; null on CPU backends, whose figure is `peak_memory_gib` with
 * `memory_source` wasm-heap or tensors; see lib/engine/memory.ts); `nvidia_smi_peak_gib` is the
 * card's memory.used sampled every 0.5 s by nvidia-smi during our part of the run (whole card,
 * every process; null without nvidia-smi). `device` names the adapter or CPU; `fused_kernels`
 * lists the fused ops that ran as single kernels (native on `fast`, WGSL on `webgpu`; the rest
 * ran as composite tfjs ops; `MSGRPO_WEBGPU_FUSED=0` turns the WGSL ones off for an A/B). The
 * buffer pool is released between the train phase and the inference phases, as the trainer does.
 *
 * Usage: `deno task bench:model -- --vocab 512 --hidden 256 --layers 4 --heads 4 --kv-heads 2
 *   --intermediate 512 --batch 8 --seq 128 [--backend fast] [--steps 5] [--torch] [--train 0]
 *   [--lora-rank 16] [--lora-targets all|attn|q_proj,v_proj,…]`
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
import { adamwUpdate } from "../lib/engine/adamw.ts";
import { backendDescription, initBackend, parseBackendName } from "../lib/engine/backend.ts";
import { loadBlas } from "../lib/engine/blas.ts";
import { deviceDescription } from "../lib/engine/device.ts";
import { activeFusedKernels } from "../lib/engine/fast_state.ts";
import { releaseBufferPool, trackPeakMemory } from "../lib/engine/memory.ts";
import { tokenLogprobs } from "../lib/engine/ops_logprobs.ts";
import { expectedTensorShapes, type Weights } from "../lib/model/checkpoint.ts";
import { parseConfig, type Qwen2Config } from "../lib/model/config.ts";
import { KVCache } from "../lib/model/kv_cache.ts";
import { attachLora } from "../lib/model/lora.ts";
import { randomWeights } from "../lib/model/make_model.ts";
import { Qwen2Model } from "../lib/model/qwen2.ts";
import { Rng } from "../lib/util/rng.ts";
import { BENCH_LORA_ALPHA, type BenchOptions, parseBenchArgs } from "./model_bench_args.ts";
import { runTorch, torchRatios } from "./model_bench_torch.ts";
import { startNvidiaSmi } from "./nvidia_smi.ts";

export { type BenchOptions, parseBenchArgs } from "./model_bench_args.ts";
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

/** Run the benchmark; returns the JSON record. */
export async function benchModel(o: BenchOptions): Promise<Record<string, unknown>> {
  await initBackend(parseBackendName(o.backend));
  const smi = startNvidiaSmi();
  const memory = trackPeakMemory();
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
  if (o["lora-rank"] > 0) {
    attachLora(model, {
      r: o["lora-rank"],
      alpha: BENCH_LORA_ALPHA,
      seed: o.seed,
      targetModules: o.loraTargets,
    });
  }
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
    memory.sample();
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
    // Phase change, as in the trainer (update → generation): give the pool's buffers back.
    memory.sample();
    await releaseBufferPool();
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
  const peakBytes = memory.peakBytes();
  memory.stop();
  const smiGib = await smi.stop();
  const rec: Record<string, unknown> = {
    params: model.numParameters(),
    trainable_params: vars.reduce((a, v) => a + v.size, 0),
    lora_rank: o["lora-rank"],
    lora_targets: o["lora-rank"] > 0 ? o.loraTargets : null,
    optimizer_state_values: 2 * moments.reduce((a, m) => a + m[0].size, 0),
    train_tokens_per_s: o.train === 0 ? null : n / trainS,
    prefill_tokens_per_s: n / prefillS,
    decode_tokens_per_s: (o.batch * o.new) / decodeS,
    backend: backendDescription(),
    fused_kernels: activeFusedKernels(),
    device: deviceDescription(),
    peak_gpu_gib: memory.gpu ? peakBytes / 2 ** 30 : null,
    peak_memory_gib: peakBytes / 2 ** 30,
    memory_source: memory.source,
    nvidia_smi_peak_gib: smiGib,
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
    if (!("error" in t)) torchRatios(rec, t);
  }
  return rec;
}

if (import.meta.main) {
  const rec = await benchModel(parseBenchArgs(Deno.args));
  console.log(JSON.stringify(rec));
}
