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
import { causalAttention } from "../../lib/engine/ops_attention.ts";
import { adamwUpdate } from "../../lib/engine/adamw.ts";
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
// attention: 2 × 3 queries against 70 keys (more than a workgroup), 4 heads on 2 kv heads; batch
// row 1 hides its first 68 keys, so its first query sees none (zeros) and its second one key
const [aB, aT, aS, aNH, aKV, aD] = [2, 3, 70, 4, 2, 8];
const aq = normal(aB * aT * aNH * aD), ak = normal(aB * aS * aKV * aD);
const av = normal(aB * aS * aKV * aD), aUp = normal(aB * aT * aNH * aD);
const aMask = Float32Array.from({ length: aB * aS }, (_, i) => (i >= aS && i % aS < 68 ? 0 : 1));
// decode against a cache buffer with spare capacity: 1 query, 6 keys in use of 9
const cq = normal(2 * aNH * aD), ck = normal(2 * 9 * aKV * aD), cv = normal(2 * 9 * aKV * aD);

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
  // more rows than one dispatch dimension holds (65,535 workgroups): tfjs spreads them over a
  // 2-D grid with spare workgroups, which must not write
  rmsNormManyRows: () => {
    const n = 70001,
      xs = tf.tensor2d(Float32Array.from({ length: 2 * n }, (_, i) => (i % 7) - 3), [n, 2]);
    return [rmsNorm(xs, tf.tensor1d([0.5, 2]), 1e-6)];
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
  attention: () => {
    const q = tf.tensor3d(aq, [aB, aT, aNH * aD]), k = tf.tensor3d(ak, [aB, aS, aKV * aD]);
    const v = tf.tensor3d(av, [aB, aS, aKV * aD]), u = tf.tensor3d(aUp, [aB, aT, aNH * aD]);
    const opts = { numHeads: aNH, numKvHeads: aKV, keyMask: tf.tensor2d(aMask, [aB, aS]) };
    const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.mul(causalAttention(a, b, c, opts), u));
    const decode = causalAttention(
      tf.tensor3d(cq, [2, 1, aNH * aD]),
      tf.tensor3d(ck, [2, 9, aKV * aD]),
      tf.tensor3d(cv, [2, 9, aKV * aD]),
      { numHeads: aNH, numKvHeads: aKV, keyLength: 6 },
    );
    return [causalAttention(q, k, v, opts), decode, ...tf.grads(f)([q, k, v])];
  },
  adamw: () => {
    // two steps with weight decay: parameter and both moments
    const p = tf.variable(tf.tensor1d(x.slice(0, 200))), m = tf.variable(tf.zeros([200]));
    const v = tf.variable(tf.zeros([200]));
    for (const [step, g] of [[1, up], [2, upstream]] as const) {
      adamwUpdate(p, tf.tensor1d(g.slice(0, 200)), m, v, step, { lr: 0.01, weightDecay: 0.1 });
    }
    return [p, m, v];
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
