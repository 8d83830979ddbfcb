/**
 * Direct access to tensor data on the tfjs wasm heap, for kernels that hand buffers to native
 * code. The heap grows (and its `ArrayBuffer` is replaced) on allocation: create views only
 * after every output has been allocated, and never keep one across calls.
 *
 * @module
 */
import type { TensorInfo } from "@tensorflow/tfjs-core";

/** The parts of tfjs's `BackendWasm` that the engine's kernels use. */
export interface WasmBackendLike {
  /** Emscripten module; `HEAPU8.buffer` is the current heap. */
  wasm: { HEAPU8: Uint8Array };
  /** Data id → heap record. */
  dataIdMap: {
    get(dataId: object): { memoryOffset: number; refCount: number; shape: number[] } | undefined;
  };
  /** Allocate an output tensor on the heap (uninitialised). */
  makeOutput(shape: number[], dtype: "float32" | "int32" | "bool"): TensorInfo;
  /** Add a reference to a data id (used by copy-free kernels). */
  incRef(dataId: object): void;
  /** Drop a reference to a data id, freeing it at zero. */
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function offsetOf(backend: WasmBackendLike, t: TensorInfo): number {
  const rec = backend.dataIdMap.get(t.dataId);
  if (rec === undefined) {
    throw new Error(`wasm_heap: tensor of shape [${t.shape}] has no data on the wasm backend`);
  }
  return rec.memoryOffset;
}

/** A fresh `Float32Array` view of a float32 tensor's heap data. */
export function f32View(backend: WasmBackendLike, t: TensorInfo): Float32Array {
  if (t.dtype !== "float32") {
    throw new Error(`wasm_heap: expected a float32 tensor, got ${t.dtype} [${t.shape}]`);
  }
  return new Float32Array(backend.wasm.HEAPU8.buffer, offsetOf(backend, t), sizeOf(t.shape));
}

/** A fresh `Int32Array` view of an int32 tensor's heap data. */
export function i32View(backend: WasmBackendLike, t: TensorInfo): Int32Array {
  if (t.dtype !== "int32") {
    throw new Error(`wasm_heap: expected an int32 tensor, got ${t.dtype} [${t.shape}]`);
  }
  return new Int32Array(backend.wasm.HEAPU8.buffer, offsetOf(backend, t), sizeOf(t.shape));
}

/** Reference count of a tensor's data id (1 when nothing else shares the buffer). */
export function refCountOf(backend: WasmBackendLike, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)?.refCount ?? 0;
}
