/**
 * Process-wide state of the fast engine: which native libraries are loaded and whether their
 * kernels are installed on the wasm backend. Fused ops consult {@link fusedKernelActive}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { BlasLib } from "./blas.ts";
import type { NativeLib } from "./native.ts";

/** Mutable engine state (read it through the functions below). */
export const fastState: {
  blas: BlasLib | null;
  native: NativeLib | null;
  installed: boolean;
} = { blas: null, native: null, installed: false };

/** True when the fast kernels are installed and the wasm backend is active. */
export function fastActive(): boolean {
  return fastState.installed && tf.getBackend() === "wasm";
}

/** The native library when fused native kernels can run right now, else `null`. */
export function nativeKernelsActive(): NativeLib | null {
  return fastActive() ? fastState.native : null;
}

/**
 * True when the fused kernel `name` (e.g. `"MgRmsNorm"`) can run right now: the fast backend's
 * native kernels are active, or the `webgpu` backend is active and has the kernel (the WGSL ones
 * of `webgpu_kernels.ts`). Fused ops fall back to their composite tfjs expressions otherwise.
 */
export function fusedKernelActive(name: string): boolean {
  return nativeKernelsActive() !== null || webGpuKernelActive(name);
}

/** True when the `webgpu` backend is active and has the kernel `name` registered. */
export function webGpuKernelActive(name: string): boolean {
  return tf.getBackend() === "webgpu" && tf.getKernel(name, "webgpu") !== undefined;
}

/** The fused ops' kernel names, forward (each has a gradient kernel or config beside it). */
export const FUSED_KERNELS: readonly string[] = [
  "MgRmsNorm",
  "MgSwiGlu",
  "MgRope",
  "MgAttention",
  "MgLogprobs",
  "MgSampleRows",
  "MgAdamW",
];

/** The {@link FUSED_KERNELS} that run as single kernels on the active backend right now. */
export function activeFusedKernels(): string[] {
  const native = nativeKernelsActive() !== null;
  return FUSED_KERNELS.filter((k) => native ? k !== "MgSampleRows" : webGpuKernelActive(k));
}

/**
 * True when the BLAS matmul kernels are installed and the wasm backend is active: `tf.matMul`
 * transpose flags are then free (handed to sgemm), so gradients need no explicit transposes.
 */
export function blasKernelsActive(): boolean {
  return fastActive() && fastState.blas !== null;
}
