import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import { embedLookup, gatherRows, matMul, setMatMulGradMode } from "../../lib/model/layers.ts";
import { applyRope, ropeTables, rotateHalfMatrix } from "../../lib/model/rope.ts";
import { Rng } from "../../lib/util/rng.ts";

function rand(shape: number[], seed: number): tf.Tensor {
  const r = new Rng(seed);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal()),
    shape,
  );
}

function close(a: tf.Tensor, b: tf.Tensor, tol = 1e-4): void {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
  assert.ok(d <= tol, `max |diff| ${d}`);
}

Deno.test("matMul() gradients agree in both grad modes and with tf.matMul (rank 2 and 4)", async () => {
  await initBackend("wasm");
  for (const [sa, sb] of [[[5, 3], [3, 4]], [[2, 3, 5, 6], [2, 3, 6, 4]]]) {
    const a = rand(sa, 1), b = rand(sb, 2), w = rand([...sa.slice(0, -1), sb[sb.length - 1]], 3);
    const loss = (mm: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.mul(mm(x, y), w));
    const ref = tf.grads(loss((x, y) => tf.matMul(x, y)))([a, b]);
    const exp = tf.grads(loss(matMul))([a, b]);
    const prev = setMatMulGradMode("transpose-flags");
    const flg = tf.grads(loss(matMul))([a, b]);
    setMatMulGradMode(prev);
    for (let i = 0; i < 2; i++) {
      close(exp[i], ref[i]);
      close(flg[i], ref[i]);
    }
    close(matMul(a, b), tf.matMul(a, b), 1e-6);
  }
  assert.throws(() => setMatMulGradMode("x" as "transpose-flags"), /unknown mode/);
});

Deno.test("embedLookup() and gatherRows() scatter-add gradients for repeated ids on both layouts", async () => {
  await initBackend("wasm");
  const table = rand([4, 3], 5); // [V=4, H=3]
  const ids = tf.tensor1d([2, 0, 2], "int32");
  const dy = rand([3, 3], 6);
  const gVH = tf.grad((t: tf.Tensor) =>
    tf.sum(tf.mul(embedLookup(t as tf.Tensor2D, ids, "VH"), dy))
  )(table);
  const gHV = tf.grad((t: tf.Tensor) =>
    tf.sum(tf.mul(embedLookup(t as tf.Tensor2D, ids, "HV"), dy))
  )(tf.transpose(table));
  const d = dy.arraySync() as number[][];
  const want = [d[1], [0, 0, 0], d[0].map((x, j) => x + d[2][j]), [0, 0, 0]];
  close(gVH, tf.tensor2d(want), 1e-6);
  close(gHV, tf.transpose(tf.tensor2d(want)), 1e-6);
  close(embedLookup(tf.transpose(table) as tf.Tensor2D, ids, "HV"), tf.gather(table, ids), 0);
  const gr = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t as tf.Tensor2D, [2, 0, 2]), dy)))(
    table,
  );
  close(gr, tf.tensor2d(want), 1e-6);
  assert.throws(() => gatherRows(table as tf.Tensor2D, [4]), /index 4 outside \[0, 4\)/);
});

Deno.test("applyRope() rotates pairs (i, i+D/2) by pos·theta^(-2i/D) and preserves norms", async () => {
  await initBackend("cpu");
  const d = 4, theta = 100;
  const x = tf.tensor3d([[[1, 2, 3, 4]]]);
  const y = applyRope(x, ropeTables([3], d, theta), rotateHalfMatrix(d)).dataSync();
  const want: number[] = [];
  for (let i = 0; i < d; i++) {
    const f = i % (d / 2), ang = 3 * Math.pow(theta, (-2 * f) / d);
    const xi = [1, 2, 3, 4][i],
      rot = i < d / 2 ? -[1, 2, 3, 4][i + d / 2] : [1, 2, 3, 4][i - d / 2];
    want.push(xi * Math.cos(ang) + rot * Math.sin(ang));
  }
  want.forEach((w, i) => assert.ok(Math.abs(y[i] - w) < 1e-6, `${i}: ${y[i]} vs ${w}`));
  const n2 = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v * v, 0);
  assert.ok(Math.abs(n2(y) - 30) < 1e-4);
});
