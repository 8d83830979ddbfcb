/**
 * Shared helpers for the engine tests: seeded random tensors, closeness checks, and switching
 * between the stock wasm backend and the fast one.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/engine/backend.ts";
import { loadBlas } from "../../lib/engine/blas.ts";
import { loadNative } from "../../lib/engine/native.ts";
import { buildNative, defaultNativeLibPath } from "../../lib/engine/native_build.ts";
import type { Rng } from "../../lib/util/rng.ts";

/** A float32 tensor of N(0, scale²) values from `rng`. */
export function randn(rng: Rng, shape: number[], scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal() * scale;
  return tf.tensor(v, shape);
}

/** Plain data of a tensor (copied). */
export function data(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync() as Float32Array);
}

/** Assert |a − b| ≤ atol + rtol·|b| elementwise, naming `what` and the worst index. */
export function assertClose(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  what: string,
  atol = 1e-4,
  rtol = 1e-4,
) {
  assert.equal(a.length, b.length, `${what}: lengths ${a.length} vs ${b.length}`);
  let worst = -1, worstErr = 0;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - b[i]) - (atol + rtol * Math.abs(b[i]));
    if (!(err <= worstErr)) {
      worstErr = Number.isNaN(err) ? Infinity : err;
      worst = i;
    }
  }
  assert.ok(worst < 0, `${what}: index ${worst}: ${a[worst]} vs ${b[worst]}`);
}

/** Whether OpenBLAS loads here. */
export const HAS_BLAS: boolean = loadBlas({ notice: () => {} }) !== null;

let nativeReady: Promise<string | null> | null = null;

/**
 * Make sure the native kernels exist (building them into the default location when a compiler
 * is present); resolves to a skip reason or null.
 */
export function ensureNative(): Promise<string | null> {
  nativeReady ??= (async () => {
    if (loadNative({ notice: () => {} }) !== null) return null;
    const res = await buildNative(defaultNativeLibPath());
    if (!res.ok) return `native kernels unavailable: ${res.message}`;
    return loadNative({ notice: () => {} }) === null ? "native kernels do not load" : null;
  })();
  return nativeReady;
}

/** Run `f` on the stock wasm backend, then on the fast one; returns both results. */
export async function stockAndFast<T>(f: () => T): Promise<[T, T]> {
  await initBackend("wasm");
  const stock = f();
  await initBackend("fast");
  const fast = f();
  return [stock, fast];
}

/** Print a skip reason in the standard form. */
export function skip(name: string, reason: string): void {
  console.log(`SKIP ${name}: ${reason}`);
}

await initBackend("fast", { fast: { blas: { notice: () => {} }, native: { notice: () => {} } } });
