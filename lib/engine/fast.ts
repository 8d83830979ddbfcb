/**
 * Installing the fast engine on the tfjs wasm backend: BLAS matmul kernels, copy-free
 * Identity/Cast, `UnsortedSegmentSum`, native `Sum` and `GatherV2`, and the fused-op kernels.
 * Stock kernels are kept and restored by {@link uninstallFastKernels}, so `initBackend("wasm")`
 * is always stock.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { KernelConfig, KernelFunc } from "@tensorflow/tfjs-core";
import { loadBlas, type LoadBlasOptions } from "./blas.ts";
import { copyFreeKernels } from "./kernels_copyfree.ts";
import { blasMatMulKernels } from "./kernels_matmul.ts";
import { gatherKernel, segmentSumKernel, sumKernel } from "./kernels_native.ts";
import { loadNative, type LoadNativeOptions } from "./native.ts";
import { attentionKernels } from "./ops_attention.ts";
import { logprobsKernels } from "./ops_logprobs.ts";
import { normKernels } from "./ops_norm.ts";
import { ropeKernels } from "./ops_rope.ts";
import { fastState } from "./fast_state.ts";
import { registerFusedGradients } from "./fused_grads.ts";

/** What {@link installFastKernels} put in place. */
export interface FastInfo {
  /** OpenBLAS library name, or null when matmul stayed stock. */
  blas: string | null;
  /** OpenBLAS threads (0 without BLAS). */
  blasThreads: number;
  /** Native kernel library path, or null when fused ops are composite. */
  native: string | null;
  /** Kernel names overridden or added on the wasm backend. */
  kernels: string[];
}

/** Options of {@link installFastKernels}. */
export interface FastOptions {
  /** Passed to {@link loadBlas} (e.g. `names` to force a missing library in tests). */
  blas?: LoadBlasOptions;
  /** Passed to {@link loadNative}. */
  native?: LoadNativeOptions;
  /** Skip BLAS entirely. */
  noBlas?: boolean;
  /** Skip the native kernels entirely. */
  noNative?: boolean;
}

const stock = new Map<string, KernelConfig | null>();
let lastInfo: FastInfo | null = null;

function override(config: KernelConfig): void {
  const name = config.kernelName;
  if (!stock.has(name)) stock.set(name, tf.getKernel(name, "wasm") ?? null);
  if (tf.getKernel(name, "wasm")) tf.unregisterKernel(name, "wasm");
  tf.registerKernel(config);
}

function stockFunc(name: string): KernelFunc {
  const k = stock.get(name) ?? tf.getKernel(name, "wasm");
  if (!k) throw new Error(`fast engine: no stock wasm kernel "${name}"`);
  return k.kernelFunc;
}

/**
 * Load OpenBLAS and the native kernels (each optional, with a one-line notice when absent) and
 * register the fast kernels on the wasm backend. The wasm backend must be registered (importing
 * `@tensorflow/tfjs-backend-wasm` does that). Idempotent.
 */
export function installFastKernels(options: FastOptions = {}): FastInfo {
  if (fastState.installed && lastInfo) return lastInfo;
  const blas = options.noBlas
    ? null
    : options.blas
    ? loadBlas(options.blas)
    : (fastState.blas ?? loadBlas());
  const native = options.noNative
    ? null
    : options.native
    ? loadNative(options.native)
    : (fastState.native ?? loadNative());
  fastState.blas = blas;
  fastState.native = native;
  // Capture stock configs before any override.
  for (
    const n of [
      "Identity",
      "Cast",
      "Sum",
      "UnsortedSegmentSum",
      "BatchMatMul",
      "_FusedMatMul",
      "GatherV2",
    ]
  ) {
    if (!stock.has(n)) stock.set(n, tf.getKernel(n, "wasm") ?? null);
  }
  const configs: KernelConfig[] = [
    ...copyFreeKernels(stockFunc("Identity"), stockFunc("Cast")),
    segmentSumKernel(native),
  ];
  if (blas) configs.push(...blasMatMulKernels(blas));
  if (native) {
    configs.push(sumKernel(native, stockFunc("Sum")), gatherKernel(native, stockFunc("GatherV2")));
    configs.push(...normKernels(native), ...attentionKernels(native), ...logprobsKernels(native));
    configs.push(...ropeKernels(native));
  }
  for (const c of configs) override(c);
  registerFusedGradients();
  fastState.installed = true;
  lastInfo = {
    blas: blas?.name ?? null,
    blasThreads: blas?.threads ?? 0,
    native: native?.path ?? null,
    kernels: configs.map((c) => c.kernelName),
  };
  return lastInfo;
}

/** Restore the stock wasm kernels (fused ops then use their composite definitions). */
export function uninstallFastKernels(): void {
  for (const [name, config] of stock) {
    if (tf.getKernel(name, "wasm")) tf.unregisterKernel(name, "wasm");
    if (config) tf.registerKernel(config);
  }
  stock.clear();
  fastState.installed = false;
  lastInfo = null;
}

/** What the fast engine currently has installed, or null when it is off. */
export function fastInfo(): FastInfo | null {
  return fastState.installed ? lastInfo : null;
}
