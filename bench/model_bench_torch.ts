/**
 * The PyTorch side of bench/model_bench.ts `--torch`: runs bench/torch_bench.py with
 * /usr/bin/python3 on the same shapes (and the same LoRA rank and targets) and returns its
 * figures.
 *
 * On a machine where PyTorch sees CUDA, one run on the GPU (`--device auto`) is the reference.
 * Otherwise PyTorch counts as its best per metric over 1 thread and all cores, each with the
 * user's environment and with the thread settings our engine gives itself
 * (`OPENBLAS_THREAD_TIMEOUT`, `OMP_WAIT_POLICY`): OpenMP threads suffer badly on shared cores.
 *
 * {@link torchRatios} adds `<metric>_vs_torch` (ours / PyTorch's tokens/s, > 1 = we are faster)
 * and `peak_gpu_vs_torch` (our peak GPU memory / PyTorch's).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { torchRatios } from "./model_bench_torch.ts";
 * const rec: Record<string, unknown> = { train_tokens_per_s: 50, prefill_tokens_per_s: 300 };
 * torchRatios(rec, { train_tokens_per_s: 100, prefill_tokens_per_s: 200 });
 * assert.deepEqual([rec.train_vs_torch, rec.prefill_vs_torch, rec.decode_vs_torch], [0.5, 1.5, null]);
 * ```
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { engineEnv } from "../lib/engine/engine_env.ts";
import { type BenchOptions, INT_OPTS } from "./model_bench_args.ts";

/** The python3 that runs the reference (Debian's python3-torch, or the GPU machine's own). */
const PYTHON = "/usr/bin/python3";

/** The arguments of one torch_bench.py run. */
export function torchArgs(o: BenchOptions, device: string, threads: number): string[] {
  const script = fileURLToPath(new URL("./torch_bench.py", import.meta.url));
  const args = [script, "--device", device, "--threads", String(threads)];
  for (const [k] of INT_OPTS) args.push(`--${k}`, String(o[k]));
  args.push("--lora-targets", o.loraTargets.join(","));
  return args;
}

async function _runOnce(
  o: BenchOptions,
  device: string,
  threads: number,
  engineSettings: boolean,
): Promise<Record<string, unknown>> {
  // The child inherits our environment, including the thread settings our engine gave itself
  // (engineEnv); run PyTorch both with the user's own environment and with those settings.
  const env = Deno.env.toObject();
  if (!engineSettings) { for (const name of engineEnv.keys()) delete env[name]; }
  const r = await new Deno.Command(PYTHON, {
    args: torchArgs(o, device, threads),
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!r.success) {
    const err = new TextDecoder().decode(r.stderr).trim().split("\n").pop();
    throw new Error(`torch_bench.py --device ${device} --threads ${threads} failed: ${err}`);
  }
  const out = JSON.parse(new TextDecoder().decode(r.stdout).trim().split("\n").pop() ?? "{}");
  return {
    ...out,
    env: engineSettings
      ? [...engineEnv].map(([k, v]) => `${k}=${v}`).join(" ") || "default"
      : "default",
  };
}

const _METRICS = ["train", "prefill", "decode"] as const;

/**
 * PyTorch figures for the same shapes (see the module doc), or `{error}`.
 *
 * @param o the benchmark options.
 * @returns the best figures per metric, the device, and every run (`runs`).
 */
export async function runTorch(o: BenchOptions): Promise<Record<string, unknown>> {
  try {
    const first = await _runOnce(o, "auto", 1, false);
    if (String(first.device ?? "").startsWith("cuda")) return { ...first, runs: [first] };
    const runs = [first];
    if (engineEnv.size > 0) runs.push(await _runOnce(o, "cpu", 1, true));
    const cores = navigator.hardwareConcurrency ?? 1;
    if (cores > 1) {
      runs.push(await _runOnce(o, "cpu", cores, false));
      if (engineEnv.size > 0) runs.push(await _runOnce(o, "cpu", cores, true));
    }
    const best: Record<string, unknown> = {
      params: first.params,
      trainable_params: first.trainable_params,
      lora_rank: first.lora_rank,
      device: first.device,
      peak_gpu_gib: null,
      runs,
    };
    for (const k of _METRICS) {
      const xs = runs.map((r) => r[`${k}_tokens_per_s`]).filter((x) => typeof x === "number");
      best[`${k}_tokens_per_s`] = xs.length ? Math.max(...(xs as number[])) : null;
    }
    return best;
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/**
 * Add `*_vs_torch` ratios to a benchmark record (null where either side has no figure).
 *
 * @param rec our record (modified).
 * @param torch PyTorch's record from {@link runTorch} (without `error`).
 */
export function torchRatios(rec: Record<string, unknown>, torch: Record<string, unknown>): void {
  const ratio = (a: unknown, b: unknown) =>
    typeof a === "number" && typeof b === "number" && b > 0 ? a / b : null;
  for (const k of _METRICS) {
    rec[`${k}_vs_torch`] = ratio(rec[`${k}_tokens_per_s`], torch[`${k}_tokens_per_s`]);
  }
  rec.peak_gpu_vs_torch = ratio(rec.peak_gpu_gib, torch.peak_gpu_gib);
}
