/**
 * Loader for the fused native kernels built by `tools/setup.ts`. {@link loadNative} returns
 * `null` (after one stderr line) when the library is missing or stale; fused ops then use their
 * composite tfjs definitions.
 *
 * @module
 */
import { engineNotice, setEngineEnvDefault } from "./engine_env.ts";
import { defaultNativeLibPath, NATIVE_ABI_VERSION } from "./native_build.ts";

const SYMBOLS = {
  mg_version: { parameters: [], result: "i32" },
  mg_threads: { parameters: [], result: "i32" },
  mg_sum_mid: { parameters: ["buffer", "i32", "i32", "i32", "buffer"], result: "void" },
  mg_rmsnorm_fwd: {
    parameters: ["buffer", "buffer", "i32", "i32", "f32", "buffer"],
    result: "void",
  },
  mg_rmsnorm_bwd: {
    parameters: ["buffer", "buffer", "buffer", "i32", "i32", "f32", "buffer", "buffer"],
    result: "void",
  },
  mg_swiglu_fwd: { parameters: ["buffer", "buffer", "i32", "buffer"], result: "void" },
  mg_swiglu_bwd: {
    parameters: ["buffer", "buffer", "buffer", "i32", "buffer", "buffer"],
    result: "void",
  },
  mg_attention_fwd: {
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
    ],
    result: "void",
  },
  mg_attention_bwd: {
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "void",
  },
  mg_logprobs_fwd: { parameters: ["buffer", "buffer", "i32", "i32", "buffer"], result: "void" },
  mg_logprobs_bwd: {
    parameters: ["buffer", "buffer", "buffer", "i32", "i32", "buffer"],
    result: "void",
  },
  mg_segment_sum: {
    parameters: ["buffer", "buffer", "i32", "i32", "i32", "buffer"],
    result: "void",
  },
  mg_rope: {
    parameters: ["buffer", "buffer", "buffer", "i32", "i32", "i32", "f32", "buffer"],
    result: "void",
  },
  mg_gather: {
    parameters: ["buffer", "buffer", "i32", "i32", "i32", "i32", "buffer"],
    result: "void",
  },
  mg_adamw: {
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "i32",
      "f32",
      "f32",
      "f32",
      "f32",
      "f32",
      "f32",
      "f32",
    ],
    result: "void",
  },
} as const;

/** The native kernel symbols (see lib/engine/native/kernels.c for their contracts). */
export type NativeSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** A loaded native kernel library. */
export interface NativeLib {
  /** Path that was opened. */
  path: string;
  /** OpenMP threads the kernels use. */
  threads: number;
  /** Raw FFI symbols. */
  symbols: NativeSymbols;
  /** Close the library. */
  close(): void;
}

/** Options of {@link loadNative}. */
export interface LoadNativeOptions {
  /** Library path (default `.cache/native/libmsgrpo_kernels.so` or `$MSGRPO_NATIVE_LIB`). */
  path?: string;
  /** Receives the one-line fallback notice (default: stderr, once per process). */
  notice?: (message: string) => void;
}

/**
 * Open the native kernel library; `null` (with one notice) when absent, unloadable or stale.
 *
 * @example
 * ```ts
 * const native = loadNative();
 * console.log(native ? `native kernels: ${native.threads} threads` : "composite ops");
 * ```
 */
export function loadNative(options: LoadNativeOptions = {}): NativeLib | null {
  const path = options.path ?? defaultNativeLibPath();
  const notice = options.notice ?? ((m: string) => engineNotice("native", m));
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  // Idle OpenMP workers must sleep, not spin: spinning steals the cores OpenBLAS and the JS
  // thread need (measured: ~2× slower train steps on 2 cores). libgomp reads this at load.
  setEngineEnvDefault("OMP_WAIT_POLICY", "PASSIVE");
  try {
    lib = Deno.dlopen(path, SYMBOLS);
  } catch (e) {
    notice(
      `native kernels not loaded (${path}: ${(e as Error).message.split("\n")[0]}); ` +
        "fused ops use composite tfjs kernels (run `deno task setup` to build them)",
    );
    return null;
  }
  const version = lib.symbols.mg_version();
  if (version !== NATIVE_ABI_VERSION) {
    lib.close();
    notice(
      `native kernels at ${path} are version ${version}, expected ${NATIVE_ABI_VERSION}; ` +
        "run `deno task setup` to rebuild",
    );
    return null;
  }
  return {
    path,
    threads: lib.symbols.mg_threads(),
    symbols: lib.symbols,
    close: () => lib.close(),
  };
}
