/**
 * Registering tfjs's WebGPU backend under Deno (`--unstable-webgpu`). The device is requested
 * with the adapter's own limits (notably `maxStorageBufferBindingSize`, 128 MiB by default), so
 * large embeddings fit. Without a GPU, Debian's `mesa-vulkan-drivers libvulkan1` provide a
 * software adapter (lavapipe): correct but slow.
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
    return new mod.WebGPUBackend(device, adapter.info);
  }, 3);
  registered = true;
}
