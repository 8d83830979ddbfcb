/**
 * Process-wide state of the fast engine: which native libraries are loaded and whether their
 * kernels are installed on the wasm backend. Fused ops consult {@link nativeKernelsActive}.
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
 * True when the BLAS matmul kernels are installed and the wasm backend is active: `tf.matMul`
 * transpose flags are then free (handed to sgemm), so gradients need no explicit transposes.
 */
export function blasKernelsActive(): boolean {
  return fastActive() && fastState.blas !== null;
}
