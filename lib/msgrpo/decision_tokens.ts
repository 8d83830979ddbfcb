/**
 * The decision tokens of an answer: the completion tokens that spell the action name the parser
 * reads, e.g. `right` in `<action>right</action><|endoftext|>`. The entropy bonus can be scoped to
 * them (`msgrpo.entropy_tokens: action`, a departure from the paper, which has no bonus).
 *
 * Why: a bonus on every completion token pays for entropy wherever the answer parser does not
 * look. In the main job's runs it filled the tokens after the closing tag
 * (`<action>right</action>0right`), before the opening tag and inside it (`docs/algorithm.md`, fifth
 * and sixth rounds). Restricted to the decision tokens, it keeps the choice between actions open
 * and pays nothing for text that does not change the action. Measured (`docs/algorithm.md`,
 * seventh round): it removed the stray tokens but did not raise how often the main job holds
 * ≥ 0.90, and the name position's entropy, taken over the whole vocabulary, still pays for invalid
 * names such as `rightright`; so the option is off in every config.
 *
 * A token is a decision token when its characters overlap the action name's range
 * ({@link actionNameSpan}: the first complete `<action>…</action>` tag outside `<think>` blocks).
 * A token's characters are found by decoding growing prefixes of the completion, so a token that
 * only completes a multi-byte character counts where the character ends. An answer without a
 * complete tag, or with an empty one, has no decision token.
 *
 * @module
 */
import { actionNameSpan } from "../env/tsmg.ts";

/** Decodes completion token ids to text (special tokens dropped, as the policy's answer text). */
export type DecodeIds = (ids: readonly number[]) => string;

/**
 * 1 for each decision token of a completion, 0 for the others.
 *
 * @param completionIds the completion's token ids.
 * @param decode the tokenizer's decoder.
 * @returns one 0/1 per token.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decisionTokenMask } from "./decision_tokens.ts";
 * // a toy vocabulary: 0 "<action>", 1 "ri", 2 "ght", 3 "</action>", 4 "x"
 * const vocab = ["<action>", "ri", "ght", "</action>", "x"];
 * const decode = (ids: readonly number[]) => ids.map((i) => vocab[i]).join("");
 * assert.deepEqual(decisionTokenMask([0, 1, 2, 3, 4], decode), [0, 1, 1, 0, 0]);
 * assert.deepEqual(decisionTokenMask([4, 0, 1, 2], decode), [0, 0, 0, 0]); // no closing tag
 * ```
 */
export function decisionTokenMask(completionIds: readonly number[], decode: DecodeIds): number[] {
  const mask = completionIds.map(() => 0);
  const span = actionNameSpan(decode(completionIds));
  if (span === null || span[0] === span[1]) return mask;
  let start = 0;
  for (let j = 0; j < completionIds.length; j++) {
    const end = Math.max(start, decode(completionIds.slice(0, j + 1)).length);
    if (end > span[0] && start < span[1]) mask[j] = 1;
    start = end;
  }
  return mask;
}

/** Distinct completions a {@link decisionMasker} remembers before it starts over. */
export const DECISION_MASK_CACHE = 65_536;

/**
 * {@link decisionTokenMask} with a cache: a group repeats the same few answers many times.
 *
 * @param decode the tokenizer's decoder.
 * @returns a function from completion ids to their 0/1 decision mask.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decisionMasker } from "./decision_tokens.ts";
 * let calls = 0;
 * const decode = (ids: readonly number[]) => (calls++, ids.map((i) => ["<action>", "up", "</action>"][i]).join(""));
 * const mask = decisionMasker(decode);
 * assert.deepEqual(mask([0, 1, 2]), [0, 1, 0]);
 * const before = calls;
 * assert.deepEqual(mask([0, 1, 2]), [0, 1, 0]);
 * assert.equal(calls, before);
 * ```
 */
export function decisionMasker(decode: DecodeIds): (completionIds: readonly number[]) => number[] {
  const cache = new Map<string, number[]>();
  return (completionIds) => {
    const key = completionIds.join(",");
    let mask = cache.get(key);
    if (mask === undefined) {
      if (cache.size >= DECISION_MASK_CACHE) cache.clear();
      mask = decisionTokenMask(completionIds, decode);
      cache.set(key, mask);
    }
    return mask;
  };
}
