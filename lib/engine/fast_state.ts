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

/** Environment variables the engine set for itself (name → value), when the user had not. */
export const engineEnv: Map<string, string> = new Map();

/**
 * Set an environment variable for the native libraries unless the user already did, and
 * remember it in {@link engineEnv} (so child processes, e.g. a reference benchmark, can be
 * started without it). Without env permission the libraries keep their defaults.
 */
export function setEngineEnvDefault(name: string, value: string): void {
  try {
    if (Deno.env.get(name) !== undefined) return;
    Deno.env.set(name, value);
    engineEnv.set(name, value);
  } catch { /* no env permission */ }
}
