import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/engine/backend.ts";
import { nativeKernelsActive } from "../../lib/engine/fast_state.ts";
import { rope, ropeComposite } from "../../lib/engine/ops_rope.ts";
import { Rng } from "../../lib/util/rng.ts";
import { assertClose, data, ensureNative, randn, skip, stockAndFast } from "./_helpers.ts";

const reason = await ensureNative();

Deno.test("rope() native kernel matches the composite in value and gradient", async () => {
  if (reason !== null) return skip("fused rope", reason);
  await initBackend("fast");
  assert.ok(nativeKernelsActive() !== null, "native kernels should be active");
  const rng = new Rng(41);
  for (const [shape, half] of [[[6, 3 * 8], 4], [[2, 5, 2 * 16], 8], [[1, 2], 1]] as const) {
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const x = randn(rng, [...shape]);
    const ang = randn(rng, [rows, half], 3);
    const cos = tf.cos(ang), sin = tf.sin(ang);
    const w = randn(rng, [...shape]);
    const run = (f: typeof rope) => {
      const y = data(f(x, cos, sin));
      const g = data(tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a, cos, sin), w)))(x));
      return { y, g };
    };
    const fast = run(rope), comp = run(ropeComposite);
    assertClose(fast.y, comp.y, `rope [${shape}]`, 1e-5, 1e-5);
    assertClose(fast.g, comp.g, `rope dx [${shape}]`, 1e-5, 1e-5);
  }
});

Deno.test("rope() rotates (x[i], x[i + D/2]) by the given angle (golden value)", async () => {
  for (const backend of ["fast", "cpu"] as const) {
    await initBackend(backend);
    // One row, two heads of D = 2; angle π/2 maps (a, b) to (−b, a).
    const y = rope(tf.tensor2d([[1, 2, 3, 4]]), tf.tensor2d([[0]]), tf.tensor2d([[1]]));
    assertClose(data(y), [-2, 1, -4, 3], `rope golden (${backend})`, 1e-6, 0);
    assert.throws(
      () => rope(tf.tensor2d([[1, 2, 3]]), tf.tensor2d([[0]]), tf.tensor2d([[1]])),
      /does not fit/,
    );
  }
});

Deno.test("tf.gather on the fast backend matches the stock kernel on every axis and dtype", async () => {
  if (reason !== null) return skip("native gather", reason);
  const rng = new Rng(42);
  const x = randn(rng, [3, 5, 4]);
  const xi = tf.tensor(Int32Array.from({ length: 60 }, (_, i) => i * 7 - 100), [3, 5, 4], "int32");
  for (const axis of [0, 1, 2, -1]) {
    const dim = x.shape[axis < 0 ? axis + 3 : axis];
    const ids = tf.tensor2d([[dim - 1, 0], [1, dim - 1]], [2, 2], "int32");
    const [stock, fast] = await stockAndFast(() => {
      const y = tf.gather(x, ids, axis), yi = tf.gather(xi, ids, axis);
      return { shape: y.shape, v: data(y), vi: Array.from(yi.dataSync()) };
    });
    assert.deepEqual(fast.shape, stock.shape, `gather axis ${axis}`);
    assert.deepEqual(fast.v, stock.v, `gather axis ${axis}`);
    assert.deepEqual(fast.vi, stock.vi, `gather int32 axis ${axis}`);
  }
  await initBackend("fast");
  assert.throws(
    () => tf.gather(x, tf.tensor1d([5], "int32"), 0),
    /index 5 at 0 is outside \[0, 3\)/,
  );
});
