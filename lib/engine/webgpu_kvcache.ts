/**
 * In-place writes into a KV cache's buffers on the `webgpu` backend: the counterpart of the fast
 * backend's `writeKvRows` (`ops_kvcache.ts`), so that a decoding step appends its new positions
 * (one small dispatch per layer and tensor) instead of concatenating the whole cache. The WGSL
 * program is run with the destination buffer as its output, so only the written positions
 * change; tfjs records it after every kernel submitted before it, so earlier reads of the buffer
 * see the old contents.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { TensorInfo } from "@tensorflow/tfjs-core";
import { flatProgram, type GpuBackend, int } from "./webgpu_program.ts";

/** The tfjs WebGPU backend's reference count of a tensor's data. */
export function webGpuRefCount(t: TensorInfo): number {
  const be = tf.backend() as unknown as { refCount(dataId: object): number };
  return be.refCount(t.dataId);
}

/**
 * For every batch row r copy `src[r, 0:srcLength, :]` to `dst[r, start:start + srcLength, :]`
 * on the GPU, in place (checked by the caller: float32 on webgpu, `dst` referenced only by its
 * owner, no gradient recorded).
 *
 * @param dst `[B, capacity, W]`.
 * @param src `[B, ≥ srcLength, W]`.
 * @param start first position of `dst` written.
 * @param srcLength positions copied per row.
 */
export function writeRowsOnDevice(
  dst: TensorInfo,
  src: TensorInfo,
  start: number,
  srcLength: number,
): void {
  const [b, cap, w] = dst.shape, sCap = src.shape[1];
  if (b * srcLength * w === 0) return;
  const program = flatProgram(
    "kv_write",
    ["src"],
    [b, srcLength, w],
    `
    let e = index % uniforms.w;
    let t = (index / uniforms.w) % uniforms.len;
    let r = index / (uniforms.w * uniforms.len);
    result[(r * uniforms.cap + uniforms.start + t) * uniforms.w + e] =
      src[(r * uniforms.srcCap + t) * uniforms.w + e];`,
    "w : i32, len : i32, cap : i32, srcCap : i32, start : i32,",
  );
  const backend = tf.backend() as unknown as GpuBackend;
  backend.runWebGPUProgram(
    program,
    [src],
    "float32",
    [int(w), int(srcLength), int(cap), int(sCap), int(start)],
    dst,
  );
}
