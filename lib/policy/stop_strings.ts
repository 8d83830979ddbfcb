/**
 * Stop strings: where the first of them begins in a text. Shared by the policy, which ends a row
 * once its text holds one, and by the server, which also cuts the choice's text there.
 *
 * @module
 */

/**
 * The first occurrence of any stop string in `text`, or -1.
 *
 * @param text the generated text so far.
 * @param stop the stop strings.
 * @returns the index where the earliest stop string begins, or -1 when none occurs.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findStop } from "./stop_strings.ts";
 * assert.equal(findStop("<action>down</action>junk", ["</action>"]), 12);
 * assert.equal(findStop("<action>down", ["</action>"]), -1);
 * ```
 */
export function findStop(text: string, stop: readonly string[]): number {
  let at = -1;
  for (const s of stop) {
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}
