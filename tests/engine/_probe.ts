/**
 * Run a probe script with `--unstable-webgpu` in a subprocess (WebGPU needs the flag, and a
 * fresh process keeps each backend's state apart); its last stdout line parsed as JSON.
 *
 * @module
 */
import assert from "node:assert/strict";

/**
 * @param url the probe script (e.g. `new URL("./_x_probe.ts", import.meta.url)`).
 * @param args extra arguments for the script.
 * @param env extra environment variables for it.
 * @returns the parsed last line of its stdout (the probe fails the test when it exits non-zero).
 */
export async function runProbe<T>(
  url: URL,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<T> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-webgpu", url.pathname, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(text) as T;
}
