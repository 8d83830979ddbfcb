/**
 * One-line description of the hardware the active backend computes on, for benchmark lines:
 * the WebGPU adapter (`webgpu: NVIDIA H100 80GB HBM3 (nvidia, hopper)`; lavapipe reads
 * `llvmpipe (LLVM …)`) or the CPU model and core count (`cpu: AMD EPYC 7B13 x2`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "./backend.ts";
 * import { deviceDescription } from "./device.ts";
 * await initBackend("cpu");
 * assert.match(deviceDescription(), /^cpu: .+ x\d+$/);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { webGpuAdapterInfo } from "./webgpu.ts";

/** The CPU's model name from /proc/cpuinfo, or "unknown CPU". */
function _cpuModel(): string {
  try {
    const text = Deno.readTextFileSync("/proc/cpuinfo");
    const m = text.match(/^model name\s*:\s*(.+)$/m);
    if (m) return m[1].trim();
  } catch { /* not Linux, or no read permission */ }
  return "unknown CPU";
}

/**
 * Describe the device of the active tfjs backend.
 *
 * @returns `webgpu: <adapter> (<vendor>, <architecture>)` on webgpu, else
 *   `cpu: <model> x<cores>`.
 */
export function deviceDescription(): string {
  const info = tf.getBackend() === "webgpu" ? webGpuAdapterInfo() : null;
  if (info) {
    const name = info.device || info.description || "unknown adapter";
    const extra = [info.vendor, info.architecture].filter((x) => x !== "").join(", ");
    return `webgpu: ${name}${extra ? ` (${extra})` : ""}`;
  }
  return `cpu: ${_cpuModel()} x${navigator.hardwareConcurrency ?? 1}`;
}
