import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/engine/backend.ts";
import { contiguousReduction } from "../../lib/engine/kernels_native.ts";
import { Rng } from "../../lib/util/rng.ts";
import { assertClose, data, ensureNative, randn, skip, stockAndFast } from "./_helpers.ts";

Deno.test("contiguousReduction() splits shapes around contiguous axes only", () => {
  assert.deepEqual(contiguousReduction([2, 3, 4], 0), { outer: 1, red: 2, inner: 12, axes: [0] });
  assert.deepEqual(contiguousReduction([2, 3, 4], [-1, 1]), {
    outer: 2,
    red: 12,
    inner: 1,
    axes: [1, 2],
  });
  assert.equal(contiguousReduction([2, 3, 4], [0, 2]), null);
});

Deno.test("Sum on the fast backend matches the stock kernel for every axis set, with keepDims", async () => {
  const reason = await ensureNative();
  if (reason !== null) return skip("native Sum", reason);
  const rng = new Rng(31);
  const x = randn(rng, [3, 4, 5, 6]);
  for (const axis of [0, 1, 3, [0, 1], [1, 2], [2, 3], [0, 2], [0, 1, 2, 3], -1]) {
    for (const keepDims of [false, true]) {
      const [stock, fast] = await stockAndFast(() => {
        const y = tf.sum(x, axis, keepDims);
        return { shape: y.shape, v: data(y) };
      });
      assert.deepEqual(fast.shape, stock.shape, `sum axis ${axis}`);
      assertClose(fast.v, stock.v, `sum axis ${axis} keepDims ${keepDims}`);
    }
  }
});

Deno.test("tf.gather has a gradient on the fast backend that matches the cpu backend", async () => {
  const rng = new Rng(32);
  const table = randn(rng, [7, 5]);
  const ids = tf.tensor1d([3, 0, 3, 6, 1], "int32");
  const w = randn(rng, [5, 5]);
  const g = () => data(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), w)))(table));
  await initBackend("cpu");
  const ref = g();
  await initBackend("fast");
  assertClose(g(), ref, "gather gradient");
  // row 3 is gathered twice: its gradient is the sum of two rows of w
  const wd = data(w);
  assertClose(
    data(tf.tensor(g()).slice(15, 5)),
    wd.slice(0, 5).map((a, i) => a + wd[10 + i]),
    "dup",
  );
});

Deno.test("Identity and same-dtype Cast share data on the fast backend and free it with the last reference", async () => {
  await initBackend("fast");
  const ids = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
  const before = ids();
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x), z = tf.cast(x, "float32");
  assert.equal(y.dataId, x.dataId);
  assert.equal(z.dataId, x.dataId);
  assert.equal(ids() - before, 1, "one buffer for three tensors");
  x.dispose();
  y.dispose();
  assert.deepEqual(Array.from(z.dataSync()), [1, 2, 3]);
  z.dispose();
  assert.equal(ids(), before, "freed with the last reference");
  const i = tf.cast(tf.tensor1d([1.7, -2.2]), "int32");
  assert.deepEqual(Array.from(i.dataSync()), [1, -2], "a real cast still converts");
});

Deno.test("a small MLP training step gives the same loss and gradients on the stock and fast backends", async () => {
  const rng = new Rng(33);
  const x = randn(rng, [16, 12]), w1 = randn(rng, [12, 20], 0.3), b1 = randn(rng, [20]);
  const w2 = randn(rng, [20, 4], 0.3);
  const step = () => {
    const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.mean(tf.square(tf.matMul(tf.relu(tf.add(tf.matMul(x, a), b)), c)));
    const { value, grads } = tf.valueAndGrads(f)([w1, b1, w2]);
    return [data(value), ...grads.map(data)];
  };
  const [stock, fast] = await stockAndFast(step);
  stock.forEach((s, i) => assertClose(fast[i], s, `mlp output ${i}`, 1e-4, 1e-4));
});
