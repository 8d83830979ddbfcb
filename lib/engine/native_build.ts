/**
 * Compiling the fused native kernels (`lib/engine/native/kernels.c`) into a shared library with
 * the system C compiler. `tools/setup.ts` calls {@link buildNative}; the loader only opens what
 * is already built.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** ABI version expected from `mg_version()`; must match kernels.c. */
export const NATIVE_ABI_VERSION = 6;

/** Path of the C source. */
export const NATIVE_SOURCE: string = fileURLToPath(new URL("./native/kernels.c", import.meta.url));

/** Default location of the built library: `<repo>/.cache/native/libmsgrpo_kernels.so`. */
export function defaultNativeLibPath(): string {
  const env = Deno.env.get("MSGRPO_NATIVE_LIB");
  if (env) return env;
  return fileURLToPath(new URL("../../.cache/native/libmsgrpo_kernels.so", import.meta.url));
}

/** Flags passed to the compiler (no -ffast-math: the kernels rely on infinities). */
export const NATIVE_CFLAGS: readonly string[] = [
  "-O3",
  "-march=native",
  "-fno-math-errno",
  "-fno-trapping-math",
  "-fno-signed-zeros",
  "-fassociative-math",
  "-freciprocal-math",
  "-fopenmp",
  "-fPIC",
  "-shared",
];

/** Result of {@link buildNative}. */
export interface NativeBuildResult {
  /** True when the library exists after the call. */
  ok: boolean;
  /** Where the library is (or would be). */
  path: string;
  /** What happened, one line. */
  message: string;
}

/**
 * Compile kernels.c into `out` unless an up-to-date build is already there.
 *
 * @param out output path (default {@link defaultNativeLibPath}).
 * @param compiler C compiler command (default `$CC` or `gcc`).
 * @param force rebuild even when the output is newer than the source.
 */
export async function buildNative(
  out: string = defaultNativeLibPath(),
  compiler: string = Deno.env.get("CC") ?? "gcc",
  force = false,
): Promise<NativeBuildResult> {
  const src = await Deno.stat(NATIVE_SOURCE);
  if (!force) {
    try {
      const lib = await Deno.stat(out);
      if ((lib.mtime?.getTime() ?? 0) >= (src.mtime?.getTime() ?? 0)) {
        return { ok: true, path: out, message: `up to date: ${out}` };
      }
    } catch { /* not built yet */ }
  }
  await Deno.mkdir(out.replace(/\/[^/]*$/, ""), { recursive: true });
  const tmp = `${out}.tmp${Deno.pid}`;
  const args = [...NATIVE_CFLAGS, "-o", tmp, NATIVE_SOURCE, "-lm"];
  let res: Deno.CommandOutput;
  try {
    res = await new Deno.Command(compiler, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    return { ok: false, path: out, message: `C compiler "${compiler}" not runnable: ${e}` };
  }
  if (!res.success) {
    const err = new TextDecoder().decode(res.stderr).trim().split("\n").slice(0, 5).join(" | ");
    return { ok: false, path: out, message: `${compiler} failed on ${NATIVE_SOURCE}: ${err}` };
  }
  await Deno.rename(tmp, out);
  return { ok: true, path: out, message: `built ${out}` };
}
