/**
 * In-place writes into preallocated key/value cache buffers on the fast backend (and on webgpu,
 * through `webgpu_kvcache.ts`, when its fused attention is registered).
 *
 * tfjs tensors are immutable, so a growing cache is normally extended by `concat`, which copies
 * every cached position at every decoding step. On the fast (wasm) backend a cache buffer is
 * plain memory on the wasm heap that only the cache references; writing the new positions into
 * it in place turns each step's O(S) copy into an O(1) append. The fused attention reads only
 * the positions in use (its `keyLength`), so the spare capacity is never seen.
 *
 * Writes in place are only safe while no gradient tape is recording (a recorded buffer must not
 * change afterwards) and while nothing else shares the buffer's data; {@link inPlaceKvWrites}
 * says when they are allowed, {@link writeKvRows} checks the rest.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { nativeKernelsActive, webGpuKernelActive } from "./fast_state.ts";
import { f32View, refCountOf, type WasmBackendLike } from "./wasm_heap.ts";
import { webGpuRefCount, writeRowsOnDevice } from "./webgpu_kvcache.ts";

/**
 * Whether a cache may write into its buffers in place right now: the fast backend's native
 * attention, or webgpu's WGSL one, is active (it reads a `keyLength` without copying) and no
 * gradient is being recorded.
 */
export function inPlaceKvWrites(): boolean {
  const onWebGpu = webGpuKernelActive("MgAttention");
  if (nativeKernelsActive() === null && !onWebGpu) return false;
  const state = (tf.engine() as unknown as { state: { gradientDepth: number } }).state;
  return state.gradientDepth === 0;
}

/**
 * Copy rows into a cache buffer in place: for every batch row r, `src[r, 0:T, :]` goes to
 * `dst[r, start:start + T, :]`. Only valid when {@link inPlaceKvWrites} is true.
 *
 * @param dst float32 buffer `[B, capacity, W]`, referenced by nothing but its owner.
 * @param src float32 `[B, T, W]`, or `[B, ≥T, W]` of which the first T positions are copied
 *   (`srcLength`).
 * @param start first position of `dst` written.
 * @param srcLength positions copied from each row of `src` (default `src.shape[1]`).
 */
export function writeKvRows(
  dst: tf.Tensor3D,
  src: tf.Tensor3D,
  start: number,
  srcLength: number = src.shape[1],
): void {
  const [b, cap, w] = dst.shape;
  const [sb, sCap, sw] = src.shape;
  if (sb !== b || sw !== w || srcLength > sCap || start < 0 || start + srcLength > cap) {
    throw new Error(
      `writeKvRows: cannot write ${srcLength} positions of [${src.shape}] at ${start} into ` +
        `[${dst.shape}]`,
    );
  }
  if (dst.dtype !== "float32" || src.dtype !== "float32") {
    throw new Error("writeKvRows: needs float32 tensors");
  }
  if (tf.getBackend() === "webgpu") {
    if (webGpuRefCount(dst) !== 1) {
      throw new Error("writeKvRows: the destination buffer is shared and cannot be written");
    }
    writeRowsOnDevice(dst, src, start, srcLength);
    return;
  }
  if (tf.getBackend() !== "wasm") {
    throw new Error("writeKvRows: needs the wasm (fast) or webgpu backend");
  }
  const be = tf.backend() as unknown as WasmBackendLike;
  if (refCountOf(be, dst) !== 1) {
    throw new Error("writeKvRows: the destination buffer is shared and cannot be written");
  }
  const d = f32View(be, dst), s = f32View(be, src);
  const n = srcLength * w;
  for (let r = 0; r < b; r++) {
    const from = r * sCap * w;
    d.set(s.subarray(from, from + n), (r * cap + start) * w);
  }
}
