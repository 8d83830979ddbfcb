/**
 * OpenBLAS through Deno FFI. {@link loadBlas} returns `null` (after a one-line notice on stderr)
 * when the library or the FFI permission is missing, so callers fall back to stock kernels.
 *
 * @module
 */
import { engineNotice, setEngineEnvDefault } from "./engine_env.ts";

/** Library names tried in order by {@link loadBlas}. */
export const DEFAULT_BLAS_NAMES: readonly string[] = [
  "libopenblas.so.0",
  "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "libopenblas.so",
  "libopenblas.dylib",
];

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  openblas_get_num_threads: { parameters: [], result: "i32", optional: true },
  openblas_set_num_threads: { parameters: ["i32"], result: "void", optional: true },
} as const;

/** Row-major single-precision GEMM: C = alpha·op(A)·op(B) + beta·C. */
export type Sgemm = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
) => void;

/** A loaded BLAS library. */
export interface BlasLib {
  /** The name that was opened. */
  name: string;
  /** Threads OpenBLAS uses (1 when unknown). */
  threads: number;
  /** Row-major SGEMM. */
  sgemm: Sgemm;
  /** Set the OpenBLAS thread count (no-op when unsupported). */
  setThreads(n: number): void;
  /** Close the library. */
  close(): void;
}

const ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

/** Multiply-adds (m·n·k) below which a product runs on one OpenBLAS thread (see loadBlas). */
export const SMALL_GEMM = 1 << 22;

/** OpenBLAS's current thread count as last set through any handle (null before the first). */
let _blasThreadsNow: number | null = null;
/** OpenBLAS's thread count when this process first opened it (its configured default). */
let _blasThreadsDefault: number | null = null;

/** Options of {@link loadBlas}. */
export interface LoadBlasOptions {
  /** Library names or paths tried in order (default {@link DEFAULT_BLAS_NAMES}). */
  names?: readonly string[];
  /** Receives the one-line fallback notice (default: stderr, once per process). */
  notice?: (message: string) => void;
}

/**
 * Open OpenBLAS. Returns `null` and emits one notice line when none of the names loads.
 *
 * @example
 * ```ts
 * const blas = loadBlas();
 * if (blas) console.log(blas.name, blas.threads);
 * ```
 */
export function loadBlas(options: LoadBlasOptions = {}): BlasLib | null {
  const names = options.names ?? DEFAULT_BLAS_NAMES;
  const notice = options.notice ?? ((m: string) => engineNotice("blas", m));
  const errors: string[] = [];
  // OpenBLAS workers busy-wait for a while after each call (by default ~2^28 cycles), taking
  // the cores the native kernels' OpenMP threads need next: on 2 cores the attention backward
  // ran ~1.6× slower. 2^4 cycles makes them sleep at once; OpenBLAS reads this when it loads.
  setEngineEnvDefault("OPENBLAS_THREAD_TIMEOUT", "4");
  for (const name of names) {
    try {
      const lib = Deno.dlopen(name, SYMBOLS);
      const s = lib.symbols;
      // Small products (decode steps: a few rows) run faster on one thread than with a wake-up
      // of the workers (measured: 8×256×512 takes 48 µs on 1 thread, 65 µs on 2), so below
      // SMALL_GEMM multiply-adds the library is switched to one thread, and back above it.
      // The thread count is process-wide (every handle opens the same library): track it in
      // one module-level variable so several handles never disagree about it.
      _blasThreadsNow ??= s.openblas_get_num_threads ? s.openblas_get_num_threads() : 1;
      _blasThreadsDefault ??= _blasThreadsNow;
      let threads = _blasThreadsDefault;
      const use = (t: number) => {
        if (t !== _blasThreadsNow && s.openblas_set_num_threads) {
          s.openblas_set_num_threads(t);
          _blasThreadsNow = t;
        }
      };
      const sgemm: Sgemm = (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) => {
        use(m * n * k < SMALL_GEMM ? 1 : threads);
        s.cblas_sgemm(
          ROW_MAJOR,
          ta ? TRANS : NO_TRANS,
          tb ? TRANS : NO_TRANS,
          m,
          n,
          k,
          alpha,
          a,
          lda,
          b,
          ldb,
          beta,
          c,
          ldc,
        );
      };
      return {
        name,
        threads,
        sgemm,
        setThreads: (n: number) => {
          threads = n;
          use(n);
        },
        close: () => lib.close(),
      };
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  notice(
    `OpenBLAS not loaded (${errors[0] ?? "no library names given"}); ` +
      "matmul falls back to the stock wasm kernel (run `deno task setup` to install it)",
  );
  return null;
}
