import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/engine/backend.ts";
import { fastInfo } from "../../lib/engine/fast.ts";
import { loadBlas, SMALL_GEMM } from "../../lib/engine/blas.ts";
import {
  broadcastBatch,
  SKINNY_CACHED_WEIGHTS,
  SKINNY_MAX_ROWS,
  SKINNY_ROWS,
  skinnyRows,
} from "../../lib/engine/kernels_matmul.ts";
import { Rng } from "../../lib/util/rng.ts";
import { assertClose, data, HAS_BLAS, randn, skip, stockAndFast } from "./_helpers.ts";

const NAME = "BLAS BatchMatMul";

Deno.test("broadcastBatch() follows numpy rules and names both shapes on mismatch", () => {
  assert.deepEqual(broadcastBatch([2, 1, 3], [4, 1]), [2, 4, 3]);
  assert.deepEqual(broadcastBatch([], [5]), [5]);
  assert.throws(() => broadcastBatch([2], [3]), /\[2\] and \[3\]/);
});

Deno.test("BatchMatMul on the fast backend matches the stock kernel on random shapes, transposes and broadcast batches", async () => {
  if (!HAS_BLAS) return skip(NAME, "OpenBLAS not installed");
  const rng = new Rng(11);
  const cases: Array<[number[], number[]]> = [[[], []], [[3], [3]], [[2, 3], [1, 3]], [[4], []], [
    [],
    [2],
  ], [[2, 1], [1, 3]]];
  let checked = 0;
  for (const [ba, bb] of cases) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const m = 1 + rng.int(9), k = 1 + rng.int(17), n = 1 + rng.int(13);
        const a = randn(rng, [...ba, ...(ta ? [k, m] : [m, k])]);
        const b = randn(rng, [...bb, ...(tb ? [n, k] : [k, n])]);
        const f = () => data(tf.matMul(a, b, ta, tb));
        // Neither stock kernel broadcasts both operands' batches: expand them explicitly there.
        const twoSided = ba.length > 0 && bb.length > 0 && ba.some((d, i) => d === 1 && bb[i] > 1);
        let ref: Float32Array;
        if (twoSided) {
          await initBackend("wasm");
          const batch = ba.map((d, i) => Math.max(d, bb[i]));
          const ae = tf.broadcastTo(a, [...batch, ...a.shape.slice(-2)]);
          const be = tf.broadcastTo(b, [...batch, ...b.shape.slice(-2)]);
          ref = data(tf.matMul(ae, be, ta, tb));
          await initBackend("fast");
        } else {
          [ref] = await stockAndFast(f);
        }
        const fast = f();
        assert.equal(fastInfo()?.kernels.includes("BatchMatMul"), true);
        assertClose(
          fast,
          ref,
          `matMul [${a.shape}]${ta ? "ᵀ" : ""} x [${b.shape}]${tb ? "ᵀ" : ""}`,
        );
        checked++;
      }
    }
  }
  assert.equal(checked, 24);
});

Deno.test("BatchMatMul gradients on the fast backend match the stock kernel", async () => {
  if (!HAS_BLAS) return skip(NAME, "OpenBLAS not installed");
  const rng = new Rng(12);
  for (
    const [ba, ta, tb] of [[[], false, false], [[3], true, false], [[2, 2], false, true], [
      [2],
      true,
      true,
    ]] as const
  ) {
    const a = randn(rng, [...ba, ...(ta ? [5, 4] : [4, 5])]);
    const b = randn(rng, [...ba, ...(tb ? [6, 5] : [5, 6])]);
    const w = randn(rng, [...ba, 4, 6]);
    const f = () => {
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.mul(tf.matMul(x, y, ta, tb), w))
      );
      return g([a, b]).map(data);
    };
    const [stock, fast] = await stockAndFast(f);
    assertClose(fast[0], stock[0], `d/da batch [${ba}]`);
    assertClose(fast[1], stock[1], `d/db batch [${ba}]`);
  }
});

Deno.test("_FusedMatMul on the fast backend adds bias and activations like the cpu backend", async () => {
  if (!HAS_BLAS) return skip("BLAS _FusedMatMul", "OpenBLAS not installed");
  const rng = new Rng(13);
  for (const activation of ["linear", "relu", "elu", "sigmoid", "leakyrelu", "relu6"] as const) {
    for (
      const [ta, tb, batch] of [[false, false, []], [true, false, [2]], [false, true, [3]], [
        true,
        true,
        [],
      ]] as const
    ) {
      const a = randn(rng, [...batch, ...(ta ? [7, 3] : [3, 7])]);
      const b = randn(rng, [...batch, ...(tb ? [5, 7] : [7, 5])]);
      const bias = randn(rng, [5]);
      const run = () =>
        data(
          tf.fused.matMul({
            a,
            b,
            transposeA: ta,
            transposeB: tb,
            bias,
            activation,
            leakyreluAlpha: 0.1,
          }),
        );
      await initBackend("cpu");
      const ref = run();
      await initBackend("fast");
      assertClose(run(), ref, `fused ${activation} ta=${ta} tb=${tb} batch=[${batch}]`);
    }
  }
});

Deno.test("BatchMatMul with a few rows (split into blocks of SKINNY_ROWS) equals the cpu backend", async () => {
  if (!HAS_BLAS) return skip(NAME, "OpenBLAS not installed");
  const rng = new Rng(16);
  const b = randn(rng, [33, 70]);
  for (const shape of [[3, 33], [5, 33], [10, 33], [2, 5, 33], [SKINNY_MAX_ROWS, 33], [65, 33]]) {
    const a = randn(rng, shape);
    const [stock, fast] = await stockAndFast(() => data(tf.matMul(a, b)));
    assertClose(fast, stock, `rows of [${shape}]`);
  }
  assert.equal(SKINNY_ROWS, 4);
});

Deno.test("skinnyRows() splits only few-row products whose weights stay in cache", () => {
  assert.equal(skinnyRows(8, 256 * 512), true); // a decoding step of the 2.5M model
  assert.equal(skinnyRows(SKINNY_MAX_ROWS, SKINNY_CACHED_WEIGHTS), true);
  assert.equal(skinnyRows(SKINNY_MAX_ROWS + 1, 256 * 512), false); // a prefill
  assert.equal(skinnyRows(8, 896 * 4864), false); // a 0.5B model's MLP, read from memory
  assert.equal(skinnyRows(1, 896 * 151936), false);
});

Deno.test("_FusedMatMul starts a folded GEMM from its row bias and keeps other bias shapes exact", async () => {
  if (!HAS_BLAS) return skip("BLAS _FusedMatMul", "OpenBLAS not installed");
  const rng = new Rng(15);
  const a = randn(rng, [12, 7]), a3 = randn(rng, [2, 6, 7]), b = randn(rng, [7, 5]);
  for (const biasShape of [[5], [1, 5], [12, 5], [1]]) {
    const bias = randn(rng, biasShape);
    // Value and gradients (bias gradient included) of sum(fused(a, b, bias) · w); a batched
    // left operand folds into the same GEMM (value only: tfjs's fused gradient does not
    // reduce broadcast batch dims).
    const w = randn(rng, [12, 5]);
    const run = () => {
      const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
        tf.sum(tf.mul(tf.fused.matMul({ a: x, b: y, bias: z }), w));
      const g = tf.grads(f)([a, b, bias]);
      const batched = biasShape.length === 2 && biasShape[0] === 12
        ? []
        : [data(tf.fused.matMul({ a: a3, b, bias }))];
      return [data(tf.fused.matMul({ a, b, bias })), ...g.map(data), ...batched];
    };
    await initBackend("cpu");
    const ref = run();
    await initBackend("fast");
    const got = run();
    assert.equal(got.length, ref.length);
    for (const [i, what] of ["value", "da", "db", "dbias", "batched value"].entries()) {
      if (i < got.length) assertClose(got[i], ref[i], `fused row bias [${biasShape}] ${what}`);
    }
  }
});

Deno.test("BatchMatMul on the fast backend handles a large folded GEMM exactly like the cpu backend", async () => {
  if (!HAS_BLAS) return skip(NAME, "OpenBLAS not installed");
  const rng = new Rng(14);
  const a = randn(rng, [4, 33, 64]), b = randn(rng, [64, 40]);
  await initBackend("cpu");
  const ref = data(tf.matMul(a, b));
  await initBackend("fast");
  const out = tf.matMul(a, b);
  assert.deepEqual(out.shape, [4, 33, 40]);
  assertClose(data(out), ref, "folded [4,33,64]x[64,40]", 1e-3, 1e-4);
});

Deno.test("small products switch OpenBLAS to one thread and large ones back, for every handle", () => {
  if (!HAS_BLAS) return skip(NAME, "OpenBLAS not installed");
  const first = loadBlas({ notice: () => {} })!;
  const dflt = first.threads;
  const naive = (m: number, n: number, k: number, a: Float32Array, b: Float32Array) => {
    const c = new Float32Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
        c[i * n + j] = s;
      }
    }
    return c;
  };
  for (const [m, n, k] of [[8, 512, 256], [256, 128, 256], [8, 64, 16]]) {
    assert.ok((m * n * k < SMALL_GEMM) === (m < 256), "shapes on both sides of SMALL_GEMM");
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i)),
      b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i));
    const c = new Float32Array(m * n);
    first.sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n);
    assertClose(c, naive(m, n, k, a, b), `${m}x${k}x${n}`, 1e-3, 1e-4);
  }
  // A handle opened after a small product still sees the configured default thread count.
  first.sgemm(
    false,
    false,
    8,
    8,
    8,
    1,
    new Float32Array(64),
    8,
    new Float32Array(64),
    8,
    0,
    new Float32Array(64),
    8,
  );
  const second = loadBlas({ notice: () => {} })!;
  assert.equal(second.threads, dflt);
  first.close();
  second.close();
});
