/**
 * Subprocess for backend_test.ts: matMul, a gradient, a 40-input AddN and a global gradient norm
 * on WebGPU vs the cpu backend. Prints one
 * JSON line: `{"skip": reason}` when no adapter is available, else the max difference.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import { clipByGlobalNorm } from "../../lib/model/optim.ts";
import { webGpuUnavailableReason } from "../../lib/engine/webgpu.ts";
import { Rng } from "../../lib/util/rng.ts";

const reason = await webGpuUnavailableReason();
if (reason !== null) {
  console.log(JSON.stringify({ skip: reason }));
} else {
  const rng = new Rng(51);
  const av = Float32Array.from({ length: 24 * 40 }, () => rng.normal());
  const bv = Float32Array.from({ length: 40 * 16 }, () => rng.normal());
  const f = async () => {
    const a = tf.tensor(av, [24, 40]), b = tf.tensor(bv, [40, 16]);
    const y = tf.matMul(a, b);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, b))))(a);
    // Many-input AddN (a model's gradient norm sums one term per variable): more inputs than a
    // device's storage-buffer limit per program, then a global norm over 40 gradients.
    const parts = Array.from({ length: 40 }, (_, i) => tf.mul(a, i + 1));
    const sum = tf.addN(parts);
    const { norm } = await clipByGlobalNorm(parts, 1);
    return [...await y.data(), ...await g.data(), ...await sum.data(), norm];
  };
  await initBackend("cpu");
  const ref = await f();
  await initBackend("webgpu");
  const got = await f();
  const maxDiff = got.reduce(
    (m, v, i) => Math.max(m, Math.abs(v - ref[i]) / (1 + Math.abs(ref[i]))),
    0,
  );
  console.log(JSON.stringify({ backend: tf.getBackend(), maxDiff }));
}
