import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/engine/backend.ts";
import { loadBlas } from "../../lib/engine/blas.ts";
import { fastInfo } from "../../lib/engine/fast.ts";
import { nativeKernelsActive } from "../../lib/engine/fast_state.ts";
import { loadNative } from "../../lib/engine/native.ts";
import { rmsNorm, rmsNormComposite } from "../../lib/engine/ops_norm.ts";
import { Rng } from "../../lib/util/rng.ts";
import { assertClose, data, randn } from "./_helpers.ts";

Deno.test("loadBlas() returns null with one notice naming the library when it is missing", () => {
  const notes: string[] = [];
  const blas = loadBlas({ names: ["libmsgrpo-missing-blas.so.9"], notice: (m) => notes.push(m) });
  assert.equal(blas, null);
  assert.equal(notes.length, 1);
  assert.match(notes[0], /libmsgrpo-missing-blas\.so\.9/);
  assert.match(notes[0], /deno task setup/);
});

Deno.test("loadNative() returns null with one notice when the library path does not exist", () => {
  const notes: string[] = [];
  const lib = loadNative({
    path: "/nonexistent/libmsgrpo_kernels.so",
    notice: (m) => notes.push(m),
  });
  assert.equal(lib, null);
  assert.equal(notes.length, 1);
  assert.match(notes[0], /\/nonexistent\/libmsgrpo_kernels\.so/);
});

Deno.test("initBackend('fast') without BLAS or native kernels keeps stock kernels and correct results", async () => {
  const notes: string[] = [];
  const notice = (m: string) => notes.push(m);
  const rng = new Rng(41);
  const a = randn(rng, [6, 9]), b = randn(rng, [9, 4]), w = randn(rng, [4]);
  await initBackend("wasm");
  const stockMatMul = tf.getKernel("BatchMatMul", "wasm")!.kernelFunc;
  const refMm = data(tf.matMul(a, b));
  const refNorm = data(rmsNormComposite(tf.matMul(a, b), w, 1e-6));
  try {
    const name = await initBackend("fast", {
      fast: {
        blas: { names: ["libmsgrpo-missing-blas.so.9"], notice },
        native: { path: "/nonexistent/libmsgrpo_kernels.so", notice },
      },
    });
    assert.equal(name, "fast");
    assert.equal(notes.length, 2, notes.join("\n"));
    assert.equal(fastInfo()?.blas, null);
    assert.equal(fastInfo()?.native, null);
    assert.equal(nativeKernelsActive(), null);
    assert.equal(tf.getKernel("BatchMatMul", "wasm")!.kernelFunc, stockMatMul, "stock matmul kept");
    assertClose(data(tf.matMul(a, b)), refMm, "matMul without BLAS");
    assertClose(data(rmsNorm(tf.matMul(a, b), w, 1e-6)), refNorm, "composite rmsNorm");
  } finally {
    await initBackend("wasm");
    await initBackend("fast");
  }
});

Deno.test("initBackend('wasm') after 'fast' restores every stock kernel", async () => {
  await initBackend("wasm");
  const stock = ["BatchMatMul", "Identity", "Cast", "Sum"].map((k) =>
    tf.getKernel(k, "wasm")!.kernelFunc
  );
  await initBackend("fast");
  await initBackend("wasm");
  const again = ["BatchMatMul", "Identity", "Cast", "Sum"].map((k) =>
    tf.getKernel(k, "wasm")!.kernelFunc
  );
  assert.deepEqual(again, stock);
  assert.equal(tf.getKernel("UnsortedSegmentSum", "wasm"), undefined);
  await initBackend("fast");
});
