/**
 * Resuming a two-stage run (build a base model, then post-train it) from wherever it stopped,
 * even after `kill -9`:
 *
 * - the base is built in a `<dir>.partial` folder and renamed to `<dir>` when complete, so a
 *   folder at `<dir>` is always a finished base and a half-written one is rebuilt (the build is
 *   seeded, so the rebuilt base is the same);
 * - stage 2 continues from its last training checkpoint; a run stopped before its first
 *   checkpoint starts stage 2 over, its table rows cleared first so no iteration is logged twice.
 *
 * @module
 */
import { closeRunTables, openRunTables } from "../log/mod.ts";
import { findTrainingCheckpoint } from "./checkpoint.ts";

async function _isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Build a folder atomically, or find it already built: `build` writes into `<dir>.partial`
 * (cleared first), which is renamed to `dir` once `build` returns.
 *
 * @param dir the finished folder.
 * @param build writes the folder's content into the path it is given.
 * @returns whether it was built now (false: it already existed).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildOnce } from "./resume.ts";
 * const dir = `${await Deno.makeTempDir()}/base`;
 * const write = (p: string) => Deno.writeTextFile(`${p}/done.txt`, "ok");
 * assert.deepEqual([await buildOnce(dir, write), await buildOnce(dir, write)], [true, false]);
 * ```
 */
export async function buildOnce(dir: string, build: (tmp: string) => Promise<unknown>) {
  if (await _isDir(dir)) return false;
  const tmp = `${dir}.partial`;
  await Deno.remove(tmp, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  await Deno.mkdir(tmp, { recursive: true });
  await build(tmp);
  await Deno.rename(tmp, dir);
  return true;
}

/**
 * Get a run directory ready for stage 2 of a resumed run.
 *
 * @param runDir the run.
 * @returns true when a training checkpoint exists (resume from it); false when stage 2 must start
 *   over — then every table row already logged there has been removed.
 */
export async function prepareStage2(runDir: string): Promise<boolean> {
  if (await findTrainingCheckpoint(runDir) !== null) return true;
  closeRunTables(openRunTables(runDir, { truncateAfter: -1 }));
  return false;
}
