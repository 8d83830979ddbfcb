/**
 * One-line description of the hardware the active backend computes on, for benchmark lines:
 * the WebGPU adapter's description with its PCI ids (lavapipe:
 * `webgpu: llvmpipe (LLVM 15.0.6, 256 bits) (vendor 0x10005, device 0x0)`) or the CPU model and
 * core count (`cpu: AMD EPYC 7B13 x2`).
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
 * @returns `webgpu: <description> (vendor 0x…, device 0x…)` on webgpu, else
 *   `cpu: <model> x<cores>`.
 */
export function deviceDescription(): string {
  const info = tf.getBackend() === "webgpu" ? webGpuAdapterInfo() : null;
  if (info) {
    const name = info.description || info.device || "unknown adapter";
    // Deno reports PCI ids as decimal strings (Mesa lavapipe: vendor 65541, device 0).
    const hex = (x: string) => /^\d+$/.test(x) ? `0x${Number(x).toString(16)}` : x;
    const extra = [
      info.vendor && `vendor ${hex(info.vendor)}`,
      info.device && info.device !== name && `device ${hex(info.device)}`,
      info.architecture,
    ].filter((x) => x);
    return `webgpu: ${name}${extra.length ? ` (${extra.join(", ")})` : ""}`;
  }
  return `cpu: ${_cpuModel()} x${navigator.hardwareConcurrency ?? 1}`;
}
