/**
 * Subprocess for backend_test.ts: the fused ops (RMSNorm, SwiGLU, RoPE, token log-probs) and
 * their gradients on the webgpu backend against the cpu backend's composite expressions, on
 * shapes whose rows are longer than a workgroup and not a multiple of it. Prints one JSON line:
 * `{"skip": reason}` without an adapter, else per op the largest difference (relative to
 * 1 + |reference|) and the kernels that webgpu ran.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import { rmsNorm, swiglu } from "../../lib/engine/ops_norm.ts";
import { rope } from "../../lib/engine/ops_rope.ts";
import { tokenLogprobs } from "../../lib/engine/ops_logprobs.ts";
import { webGpuUnavailableReason } from "../../lib/engine/webgpu.ts";
import { Rng } from "../../lib/util/rng.ts";

const reason = await webGpuUnavailableReason();
if (reason !== null) {
  console.log(JSON.stringify({ skip: reason }));
  Deno.exit(0);
}

const rng = new Rng(77);
const normal = (n: number, scale = 1) =>
  Float32Array.from({ length: n }, () => rng.normal() * scale);
const rows = 7, h = 150, heads = 3, d = 8, v = 300;
const x = normal(rows * h), w = normal(h), up = normal(rows * h), upstream = normal(rows * h);
const qx = normal(rows * heads * d), qUp = normal(rows * heads * d);
const angles = Float32Array.from({ length: rows * d / 2 }, () => rng.float() * 6);
const logits = normal(rows * v, 3);
logits[2 * v + 5] = 80; // a large logit: the log-sum-exp must subtract the row's max
const targets = Int32Array.from({ length: rows }, (_, i) => (i * 37 + 5) % v);
const lpUp = normal(rows);

type Case = () => tf.Tensor[];
const cases: Record<string, Case> = {
  rmsNorm: () => {
    const [xt, wt, u] = [
      tf.tensor2d(x, [rows, h]),
      tf.tensor1d(w),
      tf.tensor2d(upstream, [rows, h]),
    ];
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(rmsNorm(a, b, 1e-6), u));
    return [rmsNorm(xt, wt, 1e-6), ...tf.grads(f)([xt, wt])];
  },
  swiglu: () => {
    const [g, u, dy] = [
      tf.tensor2d(x, [rows, h]),
      tf.tensor2d(up, [rows, h]),
      tf.tensor2d(upstream, [rows, h]),
    ];
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(swiglu(a, b), dy));
    return [swiglu(g, u), ...tf.grads(f)([g, u])];
  },
  rope: () => {
    const xt = tf.tensor2d(qx, [rows, heads * d]), u = tf.tensor2d(qUp, [rows, heads * d]);
    const cos = tf.tensor2d(angles.map(Math.cos), [rows, d / 2]);
    const sin = tf.tensor2d(angles.map(Math.sin), [rows, d / 2]);
    const f = (a: tf.Tensor) => tf.sum(tf.mul(rope(a, cos, sin), u));
    return [rope(xt, cos, sin), tf.grad(f)(xt)];
  },
  logprobs: () => {
    const lt = tf.tensor2d(logits, [rows, v]), t = tf.tensor1d(targets, "int32");
    const u = tf.tensor1d(lpUp);
    const f = (a: tf.Tensor) => tf.sum(tf.mul(tokenLogprobs(a, t), u));
    return [tokenLogprobs(lt, t), tf.grad(f)(lt)];
  },
};

async function run(): Promise<Record<string, { values: number[]; kernels: string[] }>> {
  const out: Record<string, { values: number[]; kernels: string[] }> = {};
  for (const [name, f] of Object.entries(cases)) {
    let values: number[] = [];
    const info = await tf.profile(async () => {
      const ts = f();
      values = (await Promise.all(ts.map((t) => t.data()))).flatMap((a) => Array.from(a));
    });
    out[name] = { values, kernels: [...new Set(info.kernelNames)] };
  }
  return out;
}

await initBackend("cpu");
const ref = await run();
await initBackend("webgpu");
const got = await run();
const result: Record<string, { maxDiff: number; kernels: string[] }> = {};
for (const name of Object.keys(cases)) {
  const a = got[name].values, b = ref[name].values;
  let maxDiff = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < b.length; i++) {
    const e = Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i]));
    maxDiff = Math.max(maxDiff, Number.isNaN(e) ? Infinity : e);
  }
  result[name] = { maxDiff, kernels: got[name].kernels };
}
console.log(JSON.stringify({ backend: tf.getBackend(), ops: result }));
