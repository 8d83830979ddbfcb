/**
 * Registering tfjs's WebGPU backend under Deno (`--unstable-webgpu`). The device is requested
 * with the adapter's own limits (notably `maxStorageBufferBindingSize`, 128 MiB by default), so
 * large embeddings fit. Without a GPU, Debian's `mesa-vulkan-drivers libvulkan1` provide a
 * software adapter (lavapipe): correct but slow.
 *
 * Tensor uploads go through `queue.writeBuffer` instead of tfjs's `mappedAtCreation` buffers:
 * under Deno on an NVIDIA H200, `getMappedRange()` on a 64 MiB buffer took 2.4–3.2 s (~25 MB/s)
 * while `queue.writeBuffer` moved the same 64 MiB in 28 ms, so loading a 3B-parameter model did
 * not finish in 9 minutes.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { registerFusedGradients } from "./fused_grads.ts";
import { registerWebGpuFusedKernels } from "./webgpu_kernels.ts";

// deno-lint-ignore no-explicit-any
type Gpu = any;

/** Why WebGPU is unavailable here, or null when an adapter can be had. */
export async function webGpuUnavailableReason(): Promise<string | null> {
  ensureRuntimeDir();
  const gpu: Gpu = (navigator as unknown as { gpu?: Gpu }).gpu;
  if (!gpu) return "navigator.gpu is missing (run Deno with --unstable-webgpu)";
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) {
      return "no WebGPU adapter (no GPU driver; `apt-get install -y mesa-vulkan-drivers libvulkan1` gives a software one)";
    }
  } catch (e) {
    return `requestAdapter failed: ${(e as Error).message}`;
  }
  return null;
}

function ensureRuntimeDir(): void {
  try {
    if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", Deno.makeTempDirSync());
  } catch { /* no env permission: leave it */ }
}

let registered = false;

/** What the WebGPU adapter says about itself (fields may be empty strings). */
export interface WebGpuAdapterInfo {
  /** e.g. "nvidia", "mesa". */
  vendor: string;
  /** e.g. "hopper", "". */
  architecture: string;
  /** e.g. "NVIDIA H100 80GB HBM3", "llvmpipe (LLVM 15.0.6, 256 bits)". */
  device: string;
  /** Driver description. */
  description: string;
}

let adapterInfo: WebGpuAdapterInfo | null = null;

/** The adapter the webgpu backend runs on, or null before it has been initialised. */
export function webGpuAdapterInfo(): WebGpuAdapterInfo | null {
  return adapterInfo;
}

/**
 * Replace the backend's `uploadToGPU` (values held on the CPU → a GPU storage buffer) with one
 * that writes through `device.queue.writeBuffer`. Tensors without CPU values, already on the
 * GPU, empty, or of another dtype than float32/int32/bool keep tfjs's own path. Ordering: the
 * buffer comes from tfjs's free pool, which only holds buffers no unsubmitted command uses, and
 * `writeBuffer` lands before the next submit, so every later read sees the data.
 */
function useWriteBufferUploads(backend: Gpu, device: Gpu): void {
  const original = backend.uploadToGPU.bind(backend);
  backend.uploadToGPU = (dataId: unknown) => {
    const data = backend.tensorMap.get(dataId);
    const dtype = data?.dtype;
    const values = data?.values;
    const n = data ? tf.util.sizeFromShape(data.shape) : 0;
    if (
      !data || data.resource != null || values == null || n === 0 ||
      !(dtype === "float32" || dtype === "int32" || dtype === "bool")
    ) {
      return original(dataId);
    }
    const typed = dtype === "float32"
      ? (values instanceof Float32Array ? values : Float32Array.from(values))
      : (values instanceof Int32Array ? values : Int32Array.from(values));
    const size = 4 * n;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const buffer = backend.bufferManager.acquireBuffer(size, usage, false);
    device.queue.writeBuffer(buffer, 0, typed.buffer, typed.byteOffset, size);
    data.values = null;
    data.resource = buffer;
  };
}

/**
 * Print each distinct WebGPU validation error once on stderr: an invalid pipeline makes the GPU
 * skip a whole batch of kernels, so their outputs keep stale values — better loud than silent.
 */
function _reportDeviceErrors(device: Gpu): void {
  const seen = new Set<string>();
  device.addEventListener("uncapturederror", (e: { error?: { message?: string } }) => {
    const msg = String(e.error?.message ?? e).split("\n")[0].slice(0, 300);
    if (seen.has(msg)) return;
    seen.add(msg);
    console.error(`webgpu: device error (results of this batch of kernels are wrong): ${msg}`);
  });
}

/**
 * tfjs-backend-webgpu 4.22's `AddN` packs every input into one program, which is invalid past
 * the device's storage-buffer limit (one binding per input plus the output): the pipeline fails
 * and its batch of kernels is dropped. Re-register it to add at most `limit − 1` tensors per
 * program, as tfjs's own `Concat` does.
 */
function _chunkedAddN(): void {
  const original = tf.getKernel("AddN", "webgpu");
  if (!original) return;
  const run = original.kernelFunc;
  tf.unregisterKernel("AddN", "webgpu");
  tf.registerKernel({
    ...original,
    kernelFunc: (args) => {
      const backend = args.backend as Gpu;
      const inputs = args.inputs as unknown as TensorInfoLike[];
      const max = Math.max(2, (backend.device.limits.maxStorageBuffersPerShaderStage ?? 8) - 1);
      let items = [...inputs];
      const made: TensorInfoLike[] = [];
      while (items.length > max) {
        const next: TensorInfoLike[] = [];
        for (let i = 0; i < items.length; i += max) {
          const part = items.slice(i, i + max);
          if (part.length === 1) next.push(part[0]);
          else {
            const sum = run({ ...args, inputs: part as never }) as TensorInfoLike;
            made.push(sum);
            next.push(sum);
          }
        }
        items = next;
      }
      const out = run({ ...args, inputs: items as never }) as TensorInfoLike;
      for (const t of made) backend.disposeData(t.dataId);
      return out as never;
    },
  });
}

/** The parts of a tfjs TensorInfo used here. */
interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}

/** Register the `webgpu` tfjs backend (idempotent); throws with the reason when unavailable. */
export async function initWebGpu(): Promise<void> {
  if (registered) return;
  const reason = await webGpuUnavailableReason();
  if (reason !== null) throw new Error(`--backend webgpu: ${reason}`);
  const mod = await import("@tensorflow/tfjs-backend-webgpu");
  const gpu: Gpu = (navigator as unknown as { gpu: Gpu }).gpu;
  tf.removeBackend("webgpu");
  tf.registerBackend("webgpu", async () => {
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    const l = adapter.limits;
    const device = await adapter.requestDevice({
      requiredFeatures: adapter.features.has("timestamp-query") ? ["timestamp-query"] : [],
      requiredLimits: {
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        // tfjs packs up to this many tensors into one program (AddN of a model's gradients
        // takes 9+); at the default of 8 the pipeline is invalid and the whole submitted batch
        // of kernels is silently dropped, leaving stale values in their outputs.
        maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      },
    });
    const info = adapter.info ?? {};
    adapterInfo = {
      vendor: String(info.vendor ?? ""),
      architecture: String(info.architecture ?? ""),
      device: String(info.device ?? ""),
      description: String(info.description ?? ""),
    };
    _reportDeviceErrors(device);
    const backend = new mod.WebGPUBackend(device, adapter.info);
    useWriteBufferUploads(backend, device);
    return backend;
  }, 3);
  _chunkedAddN();
  registerWebGpuFusedKernels();
  registerFusedGradients();
  registered = true;
}
