import { join } from "node:path";

/** Repository root. */
export const ROOT = join(import.meta.dirname!, "..", "..");

/** Run a repository script (path relative to the root); returns exit code, stdout and stderr. */
export async function runScript(
  script: string,
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, script), ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The JSON summary line a successful run prints last. */
export function summaryOf(r: { stdout: string; stderr: string }): Record<string, unknown> {
  const line = r.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`no JSON summary; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}
