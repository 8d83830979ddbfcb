/**
 * A small byte-level BPE tokenizer trained on a text corpus (e.g. the prompts and answers an
 * environment renders), so tiny CPU models read and write their domain in few tokens.
 *
 * It starts from the 259-id byte tokenizer ({@link byteTokenizerFiles}), adds extra added
 * (non-special) tokens such as `<action>` and `</action>`, then learns BPE merges by the textbook
 * procedure — repeatedly merge the most frequent adjacent pair — over the corpus's words only:
 * pre-tokens holding at least one lower-case letter. Symbol runs (grid rows such as `_OP_`, where
 * `O`, `P` and `G` are letters too, keys such as `#`) never take part, so they stay one byte per
 * character and a board is read cell by cell, each cell one token wherever it stands. Ties are
 * broken by the pair's text, so training is deterministic. The ChatML role names count as frequent
 * words. The result is a genuine `tokenizer.json` loaded by the same {@link Tokenizer}.
 *
 * @module
 */
import { byteSymbols, byteTokenizerFiles, type TokenizerFiles } from "./byte_tokenizer.ts";
import { chatMlTokenizerConfig } from "./chat_template.ts";

/** Options of {@link domainTokenizerFiles}. */
export interface DomainTokenizerOptions {
  /** Texts to learn merges from. */
  corpus: readonly string[];
  /** Number of merges to learn at most (default 256). */
  merges?: number;
  /** Strings that become single added tokens (default `<action>`, `</action>`, `<think>`, `</think>`). */
  addedTokens?: readonly string[];
  /** Pairs seen fewer times than this are not merged (default 2). */
  minFrequency?: number;
}

/** The tags of the toolkit's answer format, each one token in a domain tokenizer. */
export const ANSWER_TAGS: readonly string[] = ["<action>", "</action>", "<think>", "</think>"];

const _CHAT_ROLES = ["system", "user", "assistant"];
const _LETTER_PRETOKEN = /[^\r\n\p{L}\p{N}]?\p{L}+/gu;
const _LOWER = /\p{Ll}/u;

/**
 * Train a domain tokenizer.
 *
 * @param opts corpus, merge budget and added tokens.
 * @returns tokenizer files ready for `writeTokenizerFiles`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { domainTokenizerFiles } from "./domain_tokenizer.ts";
 * const files = domainTokenizerFiles({ corpus: ["move left", "move right"], merges: 8 });
 * assert.deepEqual(files.size > 259, true);
 * ```
 */
export function domainTokenizerFiles(opts: DomainTokenizerOptions): TokenizerFiles {
  const maxMerges = opts.merges ?? 256;
  const minFrequency = opts.minFrequency ?? 2;
  if (!Number.isInteger(maxMerges) || maxMerges < 0) {
    throw new Error(`domainTokenizerFiles: merges must be an integer >= 0, got ${maxMerges}`);
  }
  const base = byteTokenizerFiles();
  const json = structuredClone(base.tokenizerJson) as {
    added_tokens: Record<string, unknown>[];
    model: { vocab: Record<string, number>; merges: [string, string][] };
  };
  const vocab = json.model.vocab;
  let nextId = base.size;
  const specials = json.added_tokens.map((t) => ({
    id: t.id as number,
    content: t.content as string,
    special: true,
  }));
  const extra = (opts.addedTokens ?? ANSWER_TAGS).map((content) => ({
    id: nextId++,
    content,
    special: false,
  }));
  // Merged tokens take ids after the added tokens.
  const words = _countWords(opts.corpus, extra.map((t) => t.content));
  const merges: [string, string][] = [];
  for (let m = 0; m < maxMerges; m++) {
    const best = _bestPair(words, minFrequency);
    if (best === null) break;
    const [a, b] = best;
    merges.push([a, b]);
    vocab[a + b] = nextId++;
    for (const w of words) w.symbols = _mergeSymbols(w.symbols, a, b);
  }
  json.model.merges = merges;
  json.added_tokens = [...specials, ...extra].map((t) => ({
    id: t.id,
    content: t.content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: t.special,
  }));
  return {
    tokenizerJson: json as unknown as Record<string, unknown>,
    tokenizerConfig: chatMlTokenizerConfig([...specials, ...extra]),
    size: nextId,
  };
}

interface _Word {
  symbols: string[];
  count: number;
}

function _countWords(corpus: readonly string[], added: readonly string[]): _Word[] {
  const syms = byteSymbols();
  const enc = new TextEncoder();
  const counts = new Map<string, number>();
  for (const text of corpus) {
    let rest = text;
    for (const tag of added) rest = rest.split(tag).join("\n");
    for (const m of rest.matchAll(_LETTER_PRETOKEN)) {
      if (!_LOWER.test(m[0])) continue;
      counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
    }
  }
  // Every chat turn starts with a role name: weigh them like the most common words.
  for (const role of _CHAT_ROLES) counts.set(role, (counts.get(role) ?? 0) + corpus.length);
  return [...counts.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map(([w, count]) => ({
    symbols: [...enc.encode(w)].map((b) => syms[b]),
    count,
  }));
}

function _bestPair(words: _Word[], minFrequency: number): [string, string] | null {
  const pairs = new Map<string, number>();
  for (const w of words) {
    for (let i = 0; i + 1 < w.symbols.length; i++) {
      const key = `${w.symbols[i]}\u0000${w.symbols[i + 1]}`;
      pairs.set(key, (pairs.get(key) ?? 0) + w.count);
    }
  }
  let bestKey: string | null = null;
  let bestCount = minFrequency - 1;
  for (const [key, count] of pairs) {
    if (count > bestCount || (count === bestCount && bestKey !== null && key < bestKey)) {
      bestKey = key;
      bestCount = count;
    }
  }
  if (bestKey === null) return null;
  const [a, b] = bestKey.split("\u0000");
  return [a, b];
}

function _mergeSymbols(symbols: string[], a: string, b: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
      out.push(a + b);
      i++;
    } else out.push(symbols[i]);
  }
  return out;
}
