/**
 * The tensor engine: backend selection (`--backend`), the OpenBLAS/native fast path on tfjs-wasm
 * and fused ops (RMSNorm, SwiGLU, RoPE, causal GQA attention, token log-probs, AdamW) that run
 * as single native kernels on the fast backend, as WGSL kernels on webgpu (RMSNorm, SwiGLU,
 * RoPE, token log-probs) and as composite tfjs ops elsewhere.
 *
 * @module
 */
export {
  activeBackend,
  BACKEND_NAMES,
  backendDescription,
  type BackendName,
  DEFAULT_BACKEND,
  initBackend,
  type InitBackendOptions,
  parseBackendName,
} from "./backend.ts";
export {
  type FastInfo,
  fastInfo,
  type FastOptions,
  installFastKernels,
  uninstallFastKernels,
} from "./fast.ts";
export {
  activeFusedKernels,
  blasKernelsActive,
  fastActive,
  FUSED_KERNELS,
  fusedKernelActive,
  nativeKernelsActive,
} from "./fast_state.ts";
export { type BlasLib, DEFAULT_BLAS_NAMES, loadBlas, type LoadBlasOptions } from "./blas.ts";
export { loadNative, type LoadNativeOptions, type NativeLib } from "./native.ts";
export { buildNative, defaultNativeLibPath, type NativeBuildResult } from "./native_build.ts";
export { rmsNorm, rmsNormComposite, swiglu, swigluComposite } from "./ops_norm.ts";
export {
  type AttentionOptions,
  causalAttention,
  causalAttentionComposite,
} from "./ops_attention.ts";
export { tokenLogprobs, tokenLogprobsComposite } from "./ops_logprobs.ts";
export { rope, ropeComposite } from "./ops_rope.ts";
export { inPlaceKvWrites, writeKvRows } from "./ops_kvcache.ts";
export { type AdamWHyper, adamwUpdate } from "./adamw.ts";
export { webGpuUnavailableReason } from "./webgpu.ts";
export { type WebGpuAdapterInfo, webGpuAdapterInfo } from "./webgpu.ts";
export { registerWebGpuFusedKernels, webGpuFusedKernels } from "./webgpu_kernels.ts";
export {
  type MemorySource,
  type PeakMemory,
  releaseBufferPool,
  trackPeakMemory,
} from "./memory.ts";
export { deviceDescription } from "./device.ts";
