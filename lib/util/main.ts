/**
 * The entry point of every command-line script: run `main`, and when it fails print one clear
 * line — the error's message, optionally after the script's name — and exit non-zero, without a
 * stack trace. Set `MSGRPO_DEBUG=1` to print the full error with its stack as well.
 *
 * Exit status: what `main` returns (default 0); 2 for a bad config, flag or usage (an error named
 * `ConfigError` or `UsageError`); 1 for any other error.
 *
 * @module
 */

/** Whether `MSGRPO_DEBUG` asks for stack traces (any value but "", "0" or "false"). */
export function debugEnabled(): boolean {
  let v: string | undefined;
  try {
    v = Deno.env.get("MSGRPO_DEBUG");
  } catch {
    return false; // no env permission
  }
  return v !== undefined && !["", "0", "false"].includes(v.trim().toLowerCase());
}

/** An error in how a script was called (a flag, a missing argument): exit status 2. */
export class UsageError extends Error {
  /** @param message what is wrong, naming the flag. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * The line printed for a failure, and the exit status.
 *
 * @param e what `main` threw.
 * @param name prefix of the line (e.g. `"serve"` → `serve: …`), or none.
 * @returns the message and the status.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { failureOf } from "./main.ts";
 * assert.deepEqual(failureOf(new Error("no such file: x.yaml"), "score"), {
 *   message: "score: no such file: x.yaml",
 *   code: 1,
 * });
 * ```
 */
export function failureOf(e: unknown, name?: string): { message: string; code: number } {
  const err = e instanceof Error ? e : new Error(String(e));
  const usage = err.name === "ConfigError" || err.name === "UsageError";
  return { message: name ? `${name}: ${err.message}` : err.message, code: usage ? 2 : 1 };
}

/**
 * Run a script's main function as the process: exit with its status, or print its failure as
 * one message (see the module doc) and exit non-zero.
 *
 * @param main the script's work; may return an exit status.
 * @param name prefix of the error line (default none).
 * @returns never returns normally when `main` fails or returns a non-zero status.
 */
export async function runMain(
  main: () => Promise<number | void> | number | void,
  name?: string,
): Promise<void> {
  let code: number | void;
  try {
    code = await main();
  } catch (e) {
    const f = failureOf(e, name);
    console.error(f.message);
    if (debugEnabled()) console.error(e);
    Deno.exit(f.code);
  }
  if (typeof code === "number" && code !== 0) Deno.exit(code);
}
