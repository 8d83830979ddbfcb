/**
 * "Did you mean …?" suggestions for misspelt keys, flags and enum values.
 *
 * @module
 */

/**
 * Levenshtein edit distance between two strings (insertions, deletions, substitutions).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { editDistance } from "./suggest.ts";
 * assert.deepEqual(editDistance("group_sise", "group_size"), 1);
 * ```
 */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(up + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/**
 * The closest candidate to `word` (case-insensitive edit distance at most a third of its length,
 * at least 2), or undefined when nothing is close.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closest } from "./suggest.ts";
 * assert.deepEqual(closest("uniforn", ["aaw", "uniform", "all"]), "uniform");
 * ```
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const cand of candidates) {
    const d = editDistance(w, cand.toLowerCase());
    if (d < bestD) {
      best = cand;
      bestD = d;
    }
  }
  return best;
}
