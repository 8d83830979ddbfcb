/**
 * The engine's process environment and notices: the environment variables it sets for the
 * native libraries ({@link setEngineEnvDefault}, recorded in {@link engineEnv}) and its one-line
 * notices on stderr ({@link engineNotice}). A leaf module: it imports nothing, so the loaders
 * (`blas.ts`, `native.ts`) and the engine state (`fast_state.ts`) can all use it.
 *
 * @module
 */

/** Environment variables the engine set for itself (name → value), when the user had not. */
export const engineEnv: Map<string, string> = new Map();

/**
 * Set an environment variable for the native libraries unless the user already did, and
 * remember it in {@link engineEnv} (so child processes, e.g. a reference benchmark, can be
 * started without it). Without env permission the libraries keep their defaults.
 *
 * @param name the variable.
 * @param value its value, used only when the variable is unset.
 */
export function setEngineEnvDefault(name: string, value: string): void {
  try {
    if (Deno.env.get(name) !== undefined) return;
    Deno.env.set(name, value);
    engineEnv.set(name, value);
  } catch { /* no env permission */ }
}

const noticed = new Set<string>();

/**
 * Print a one-line notice on stderr, at most once per `key` and process.
 *
 * @param key what the notice is about (a second notice with the same key is dropped).
 * @param message the line, printed after `[msgrpo engine] `.
 */
export function engineNotice(key: string, message: string): void {
  if (noticed.has(key)) return;
  noticed.add(key);
  console.error(`[msgrpo engine] ${message}`);
}
