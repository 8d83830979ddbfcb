/**
 * File-system helpers shared by the library.
 *
 * @module
 */

/**
 * Whether a path exists (a file or a folder). Errors other than "not found" (e.g. a missing read
 * permission) are thrown.
 *
 * @param path the path.
 * @returns true when something is there.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pathExists } from "./fs.ts";
 * assert.equal(pathExists(Deno.makeTempDirSync()), true);
 * assert.equal(pathExists("/no/such/msgrpo/path"), false);
 * ```
 */
export function pathExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
