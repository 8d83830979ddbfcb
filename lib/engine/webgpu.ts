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
      },
    });
    const backend = new mod.WebGPUBackend(device, adapter.info);
    useWriteBufferUploads(backend, device);
    return backend;
  }, 3);
  registered = true;
}
