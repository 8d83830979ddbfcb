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

/**
 * Whether a path is a regular file (false when it is missing, a folder, or cannot be read).
 *
 * @param path the path.
 * @returns true for a file.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isFile } from "./fs.ts";
 * const dir = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${dir}/a.txt`, "x");
 * assert.deepEqual([isFile(`${dir}/a.txt`), isFile(dir), isFile(`${dir}/b`)], [true, false, false]);
 * ```
 */
export function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
