/**
 * Memory accounting and release for the active tfjs backend, in the backend's own terms:
 *
 * - `webgpu`: bytes of GPU buffers tfjs's buffer manager holds (`numBytesAllocated`: buffers in
 *   use *and* those kept in its free pool for reuse). {@link trackPeakMemory} records the peak by
 *   watching every buffer allocation, so short-lived peaks inside a step count.
 * - `fast` / `wasm`: the wasm heap's size (it grows and never shrinks, so its size is its peak).
 * - others (`cpu`, `tfjs-node`): bytes of live tensors (`tf.memory().numBytes`), sampled when
 *   {@link PeakMemory.sample} is called.
 *
 * {@link releaseBufferPool} destroys the GPU buffers tfjs keeps in its free pool (webgpu only), so
 * phases with different tensor shapes (generation vs update) do not each leave a pool behind.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "./backend.ts";
 * import { releaseBufferPool, trackPeakMemory } from "./memory.ts";
 * await initBackend("cpu");
 * const peak = trackPeakMemory();
 * const x = tf.zeros([256, 256]);
 * peak.sample();
 * x.dispose();
 * assert.equal(peak.source, "tensors");
 * assert.ok(peak.peakBytes() >= 256 * 256 * 4);
 * assert.equal(peak.gpu, false);
 * peak.stop();
 * assert.equal(await releaseBufferPool(), 0); // nothing to release off the GPU
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** Where {@link PeakMemory} reads its bytes from. */
export type MemorySource = "webgpu-buffers" | "wasm-heap" | "tensors";

/** A running peak of the active backend's memory (see the module doc). */
export interface PeakMemory {
  /** What is counted. */
  readonly source: MemorySource;
  /** Whether the counted memory is on a GPU. */
  readonly gpu: boolean;
  /** Read the current figure now (needed only for the `tensors` source; harmless otherwise). */
  sample(): void;
  /** Peak bytes seen since {@link trackPeakMemory} (samples the current figure first). */
  peakBytes(): number;
  /** Stop watching allocations (webgpu); the peak stays readable. */
  stop(): void;
}

// deno-lint-ignore no-explicit-any
type Any = any;

/** The tfjs WebGPU backend's buffer manager, or null on other backends. */
function _bufferManager(): Any | null {
  if (tf.getBackend() !== "webgpu") return null;
  return (tf.backend() as Any).bufferManager ?? null;
}

function _wasmHeapBytes(): number | null {
  const b = tf.backend() as Any;
  const heap = b?.wasm?.HEAPU8;
  return heap ? heap.buffer.byteLength : null;
}

/**
 * Start recording the active backend's peak memory.
 *
 * @returns a {@link PeakMemory}; call `stop()` when done (restores the webgpu allocator).
 */
export function trackPeakMemory(): PeakMemory {
  const bm = _bufferManager();
  if (bm) {
    let peak = bm.numBytesAllocated as number;
    const acquire = bm.acquireBuffer;
    bm.acquireBuffer = function (...args: unknown[]) {
      const out = acquire.apply(this, args);
      if (bm.numBytesAllocated > peak) peak = bm.numBytesAllocated;
      return out;
    };
    return {
      source: "webgpu-buffers",
      gpu: true,
      sample: () => {
        peak = Math.max(peak, bm.numBytesAllocated);
      },
      peakBytes: () => Math.max(peak, bm.numBytesAllocated),
      stop: () => {
        if (bm.acquireBuffer !== acquire) bm.acquireBuffer = acquire;
      },
    };
  }
  const wasm = _wasmHeapBytes();
  const read = wasm !== null ? () => _wasmHeapBytes() ?? 0 : () => tf.memory().numBytes;
  let peak = read();
  const sample = () => {
    peak = Math.max(peak, read());
  };
  return {
    source: wasm !== null ? "wasm-heap" : "tensors",
    gpu: false,
    sample,
    peakBytes: () => {
      sample();
      return peak;
    },
    stop: () => {},
  };
}

/**
 * Destroy the GPU buffers tfjs's WebGPU backend keeps in its free pool (pending work is
 * submitted and awaited first, so no queued kernel still uses them). Buffers of live tensors are
 * untouched. A no-op on other backends.
 *
 * @returns bytes released.
 */
export async function releaseBufferPool(): Promise<number> {
  const bm = _bufferManager();
  if (!bm) return 0;
  const backend = tf.backend() as Any;
  // Flush as tfjs's own reads do: close the open pass and submit (an empty encoder is fine).
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  await backend.device?.queue?.onSubmittedWorkDone?.();
  let bytes = 0;
  // Keep the map's keys: tfjs's releaseBuffer returns early (without accounting) on an empty map.
  for (const list of bm.freeBuffers.values() as Iterable<Any[]>) {
    for (const buffer of list) {
      bytes += buffer.size;
      buffer.destroy();
    }
    bm.numFreeBuffers -= list.length;
    list.length = 0;
  }
  bm.numBytesAllocated -= bytes;
  return bytes;
}
