/**
 * How many token ids a checkpoint folder's tokenizer has — the largest id in `tokenizer.json`
 * (its model vocabulary and its added tokens) plus one, the same count as `Tokenizer.vocabSize` —
 * read without building the tokenizer, so the model loader can mask embedding rows that have no
 * token.
 *
 * @module
 */
import { join } from "node:path";

/**
 * The token count of the tokenizer parsed from `tokenizer.json`.
 *
 * @param json the parsed file.
 * @returns largest id + 1, or undefined when the file lists no ids.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenizerJsonSize } from "./tokenizer_size.ts";
 * const n = tokenizerJsonSize({
 *   model: { type: "BPE", vocab: { a: 0, b: 1 } },
 *   added_tokens: [{ id: 5, content: "<|im_end|>" }],
 * });
 * assert.deepEqual(n, 6);
 * ```
 */
export function tokenizerJsonSize(json: Record<string, unknown>): number | undefined {
  let max = -1;
  const model = json.model as { vocab?: unknown } | undefined;
  const vocab = model?.vocab;
  if (Array.isArray(vocab)) max = vocab.length - 1; // Unigram: [[piece, score], …]
  else if (typeof vocab === "object" && vocab !== null) {
    for (const id of Object.values(vocab)) if (typeof id === "number" && id > max) max = id;
  }
  const added = Array.isArray(json.added_tokens) ? json.added_tokens : [];
  for (const t of added) {
    const id = (t as { id?: unknown })?.id;
    if (typeof id === "number" && id > max) max = id;
  }
  return max >= 0 ? max + 1 : undefined;
}

/**
 * The token count of a folder's `tokenizer.json`.
 *
 * @param dir a checkpoint or tokenizer folder.
 * @returns largest id + 1, or undefined when the folder has no readable `tokenizer.json`.
 */
export async function tokenizerSize(dir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(dir, "tokenizer.json"));
  } catch {
    return undefined;
  }
  try {
    return tokenizerJsonSize(JSON.parse(text));
  } catch {
    return undefined; // a broken file is reported by the tokenizer loader, not here
  }
}
