import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import { AdamW, clipByGlobalNorm } from "../../lib/model/optim.ts";

/** torch.optim.AdamW reference in float64 for one scalar parameter. */
function adamwRef(
  p0: number,
  grads: number[],
  lr: number,
  b1: number,
  b2: number,
  eps: number,
  wd: number,
) {
  let p = p0, m = 0, v = 0;
  grads.forEach((g, i) => {
    const t = i + 1;
    p *= 1 - lr * wd;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const denom = Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps;
    p -= (lr / (1 - b1 ** t)) * (m / denom);
  });
  return p;
}

Deno.test("AdamW.apply() matches hand-computed golden values", async () => {
  await initBackend("wasm");
  // Golden values from the update rule by hand, step 1: p=1·(1−0.1·0.5)=0.95;
  // m=0.1·2=0.2, v=0.001·4=0.004; m̂=2, v̂=4 → p = 0.95 − 0.1·2/(2+1e-8) = 0.85.
  const w = tf.variable(tf.tensor1d([1, -3]));
  const opt = new AdamW([w], { lr: 0.1, weightDecay: 0.5 });
  opt.apply([tf.tensor1d([2, 0.5])]);
  const got1 = w.dataSync();
  assert.ok(Math.abs(got1[0] - 0.85) < 1e-6, `${got1[0]}`);
  assert.ok(Math.abs(got1[1] - (-3 * 0.95 - 0.1)) < 1e-6, `${got1[1]}`);
  // Several more steps against the float64 reference.
  const gs = [[2, 0.5], [-1, 0.25], [0.3, -4], [5, 0]];
  for (const g of gs.slice(1)) opt.apply([tf.tensor1d(g)]);
  const want = [0, 1].map((j) =>
    adamwRef([1, -3][j], gs.map((g) => g[j]), 0.1, 0.9, 0.999, 1e-8, 0.5)
  );
  const got = w.dataSync();
  for (let j = 0; j < 2; j++) {
    assert.ok(Math.abs(got[j] - want[j]) < 1e-5, `${got[j]} vs ${want[j]}`);
  }
  assert.equal(opt.iterations, 4);
  assert.throws(() => opt.step([tf.variable(tf.scalar(0))], []), /not the optimiser's/);
  opt.step([w], [tf.tensor1d([0, 0])]);
  assert.equal(opt.iterations, 5);
  opt.dispose();
  w.dispose();
});

Deno.test("AdamW.apply() on the fast backend matches the float64 reference", async () => {
  await initBackend("fast");
  const w = tf.variable(tf.tensor2d([[1, -3], [0.5, 2]]));
  const b = tf.variable(tf.tensor1d([0.25]));
  const opt = new AdamW([w, b], { lr: 0.05, weightDecay: 0.1, decay: (_v, i) => i === 0 });
  const gs = [[2, 0.5, -1, 0.1, 3], [-1, 0.25, 0.2, -0.3, -2], [0.3, -4, 1, 1, 0.5]];
  for (const g of gs) opt.apply([tf.tensor2d([g.slice(0, 2), g.slice(2, 4)]), tf.tensor1d([g[4]])]);
  const got = [...w.dataSync(), ...b.dataSync()];
  const p0 = [1, -3, 0.5, 2, 0.25];
  for (let j = 0; j < 5; j++) {
    const want = adamwRef(p0[j], gs.map((g) => g[j]), 0.05, 0.9, 0.999, 1e-8, j < 4 ? 0.1 : 0);
    assert.ok(Math.abs(got[j] - want) < 1e-5, `${j}: ${got[j]} vs ${want}`);
  }
  opt.dispose();
  tf.dispose([w, b]);
});

Deno.test("AdamW.getState()/setState() resume bit for bit; decay filter skips variables", async () => {
  await initBackend("wasm");
  const mk = (): tf.Variable[] => [
    tf.variable(tf.tensor2d([[1, 2], [3, 4]])),
    tf.variable(tf.tensor1d([0.5])),
  ];
  const a = mk(), b = mk();
  const optA = new AdamW(a, { lr: 0.01, decay: (_v, i) => i === 0 });
  const g = () => [tf.tensor2d([[0.1, -0.2], [0.3, 0.4]]), tf.tensor1d([1])];
  optA.apply(g());
  optA.apply(g());
  const state = await optA.getState();
  for (let i = 0; i < 2; i++) b[i].assign(a[i]);
  const optB = new AdamW(b, { lr: 0.01, decay: (_v, i) => i === 0 });
  optB.setState(state);
  optA.apply(g());
  optB.apply(g());
  for (let i = 0; i < 2; i++) assert.deepEqual(a[i].dataSync(), b[i].dataSync());
  // The undecayed bias follows plain Adam: three steps of lr with constant g=1 → 0.5 − 0.03.
  assert.ok(Math.abs(a[1].dataSync()[0] - 0.47) < 1e-5);
  assert.throws(
    () => optB.setState({ step: 1, m: [new Float32Array(3)], v: [new Float32Array(3)] }),
    /moments/,
  );
  optA.dispose();
  optB.dispose();
  tf.dispose([...a, ...b]);
});

Deno.test("AdamW.snapshot()/restore() undo steps bit for bit on the in-place fast backend", async () => {
  await initBackend("fast");
  const w = tf.variable(tf.tensor2d([[1, -3], [0.5, 2]]));
  const opt = new AdamW([w], { lr: 0.05 });
  const g = () => [tf.tensor2d([[2, 0.5], [-1, 0.1]])];
  opt.apply(g());
  const state = await opt.getState();
  const kept = w.dataSync().slice();
  const snap = opt.snapshot();
  opt.apply(g());
  opt.apply(g());
  // the native update rewrites buffers in place: the snapshot must not have followed it
  assert.notDeepEqual(w.dataSync(), kept);
  assert.deepEqual(snap.params[0].dataSync(), kept);
  opt.restore(snap);
  snap.dispose();
  assert.deepEqual(w.dataSync(), kept);
  assert.equal(opt.iterations, 1);
  assert.deepEqual(await opt.getState(), state);
  // the restored optimiser steps on as one that never took the undone steps
  const twin = tf.variable(tf.tensor2d([[1, -3], [0.5, 2]]));
  const ref = new AdamW([twin], { lr: 0.05 });
  ref.apply(g());
  opt.apply(g());
  ref.apply(g());
  assert.deepEqual(w.dataSync(), twin.dataSync());
  const other = new AdamW([tf.variable(tf.scalar(0))], { lr: 0.05 });
  const wrong = other.snapshot();
  assert.throws(() => opt.restore(wrong), /shape \[\], variable has \[2,2\]/);
  wrong.dispose();
  tf.dispose([w, twin]);
  for (const o of [opt, ref, other]) o.dispose();
});

Deno.test("clipByGlobalNorm() scales to the cap and leaves small gradients alone", async () => {
  await initBackend("wasm");
  const gs = [tf.tensor1d([3, 0]), tf.tensor2d([[0, 4]])];
  const { grads, norm } = await clipByGlobalNorm(gs, 2.5);
  assert.ok(Math.abs(norm - 5) < 1e-6);
  assert.ok(Math.abs(grads[0].dataSync()[0] - 1.5) < 1e-5);
  assert.ok(Math.abs(grads[1].dataSync()[1] - 2) < 1e-5);
  const small = await clipByGlobalNorm({ a: tf.tensor1d([0.3, 0.4]) }, 1);
  assert.ok(Math.abs(small.norm - 0.5) < 1e-6);
  assert.deepEqual(Array.from(small.grads.a.dataSync()), [0.30000001192092896, 0.4000000059604645]);
  tf.dispose([...gs, ...grads, small.grads.a]);
});
