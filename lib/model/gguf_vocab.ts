/**
 * Turn a Hugging Face byte-level BPE tokenizer folder (`tokenizer.json`,
 * `tokenizer_config.json`) into the vocabulary fields of a GGUF file, the way llama.cpp's
 * `convert_hf_to_gguf.py` does for Qwen2: every id below the embedding size gets a token
 * string and a token type, ids the tokenizer does not cover become `[PAD{i}]` (unused).
 *
 * @module
 */

/** GGUF token types (`tokenizer.ggml.token_type`), as llama.cpp numbers them. */
export const GgufTokenType = {
  normal: 1,
  unknown: 2,
  control: 3,
  userDefined: 4,
  unused: 5,
  byte: 6,
} as const;

/** The vocabulary part of a GGUF file. */
export interface GgufVocab {
  /** `tokenizer.ggml.tokens`: one string per id, `vocabSize` long (byte-level encoded). */
  tokens: string[];
  /** `tokenizer.ggml.token_type`: one {@link GgufTokenType} per id. */
  tokenTypes: number[];
  /** `tokenizer.ggml.merges`: BPE merges as `"left right"`, highest priority first. */
  merges: string[];
  /** `tokenizer.ggml.bos_token_id`, when known. */
  bosTokenId?: number;
  /** `tokenizer.ggml.eos_token_id`, when known. */
  eosTokenId?: number;
  /** `tokenizer.ggml.padding_token_id`, when known. */
  padTokenId?: number;
  /** `tokenizer.ggml.add_bos_token`. */
  addBosToken: boolean;
  /** `tokenizer.chat_template`, when the folder has one. */
  chatTemplate?: string;
}

/** Optional ids taken from the model config when the tokenizer config names none. */
export interface GgufVocabFallbacks {
  /** `bos_token_id` from config.json. */
  bosTokenId?: number;
  /** `eos_token_id` values from config.json / generation_config.json. */
  eosTokenIds?: number[];
}

interface _AddedToken {
  id: number;
  content: string;
  special?: boolean;
}

async function _readJson(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`gguf: cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`gguf: ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

async function _readJsonIfExists(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    await Deno.stat(path);
  } catch {
    return undefined;
  }
  return await _readJson(path);
}

/** Same rule as llama.cpp's converter: `<|...|>`-style added tokens are control tokens. */
function _looksSpecial(token: string): boolean {
  return (token.startsWith("<|") && token.endsWith("|>")) ||
    (token.startsWith("<｜") && token.endsWith("｜>")) ||
    ["<pad>", "<mask>"].includes(token);
}

/** A token named in tokenizer_config.json: a string or an AddedToken object. */
function _tokenText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (
    value && typeof value === "object" &&
    typeof (value as { content?: unknown }).content === "string"
  ) {
    return (value as { content: string }).content;
  }
  return undefined;
}

function _chatTemplate(cfg: Record<string, unknown>, path: string): string | undefined {
  const t = cfg.chat_template;
  if (t === undefined || t === null) return undefined;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) {
    const named = t as { name?: string; template?: string }[];
    const def = named.find((x) => x.name === "default") ?? named[0];
    if (def && typeof def.template === "string") return def.template;
  }
  throw new Error(`gguf: ${path} field chat_template has an unsupported form`);
}

/**
 * Read the vocabulary of a byte-level BPE tokenizer folder for a GGUF file.
 *
 * @param tokenizerDir folder holding `tokenizer.json` (and optionally `tokenizer_config.json`,
 *   `chat_template.jinja`)
 * @param vocabSize number of token ids in the GGUF (the embedding rows); ids the tokenizer does
 *   not define are filled with `[PAD{i}]` tokens of type unused
 * @param fallbacks ids from the model config, used when tokenizer_config.json names none
 * @returns the token strings, types, merges, special ids and chat template
 * @example
 * ```ts ignore
 * // not run as a test: it needs a checkpoint folder with a Qwen tokenizer
 * const v = await readGgufVocab("runs/ckpt", 151936);
 * console.log(v.tokens.length); // 151936
 * ```
 */
export async function readGgufVocab(
  tokenizerDir: string,
  vocabSize: number,
  fallbacks: GgufVocabFallbacks = {},
): Promise<GgufVocab> {
  const tokPath = `${tokenizerDir}/tokenizer.json`;
  const tok = await _readJson(tokPath);
  const model = tok.model as Record<string, unknown> | undefined;
  if (!model || model.type !== "BPE") {
    throw new Error(
      `gguf: ${tokPath} field model.type is ${
        JSON.stringify(model?.type)
      }; only byte-level "BPE" tokenizers can be exported`,
    );
  }
  const tokens: (string | undefined)[] = new Array(vocabSize);
  const tokenTypes: number[] = new Array(vocabSize).fill(GgufTokenType.unused);
  const vocab = model.vocab as Record<string, number>;
  for (const [text, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new Error(
        `gguf: ${tokPath} token ${
          JSON.stringify(text)
        } has id ${id}, outside the ${vocabSize} embedding rows`,
      );
    }
    tokens[id] = text;
    tokenTypes[id] = GgufTokenType.normal;
  }
  const added = (tok.added_tokens ?? []) as _AddedToken[];
  const byText = new Map<string, number>(Object.entries(vocab));
  for (const a of added) {
    if (!Number.isInteger(a.id) || a.id < 0 || a.id >= vocabSize) {
      throw new Error(
        `gguf: ${tokPath} added token ${
          JSON.stringify(a.content)
        } has id ${a.id}, outside the ${vocabSize} embedding rows`,
      );
    }
    tokens[a.id] = a.content;
    tokenTypes[a.id] = a.special || _looksSpecial(a.content)
      ? GgufTokenType.control
      : GgufTokenType.userDefined;
    byText.set(a.content, a.id);
  }
  for (let i = 0; i < vocabSize; i++) {
    if (tokens[i] === undefined) tokens[i] = `[PAD${i}]`;
  }
  const rawMerges = (model.merges ?? []) as (string | string[])[];
  const merges = rawMerges.map((m, i) => {
    if (typeof m === "string") return m;
    if (Array.isArray(m) && m.length === 2) return `${m[0]} ${m[1]}`;
    throw new Error(`gguf: ${tokPath} merge #${i} has an unsupported form: ${JSON.stringify(m)}`);
  });

  const cfgPath = `${tokenizerDir}/tokenizer_config.json`;
  const cfg = (await _readJsonIfExists(cfgPath)) ?? {};
  const idOf = (field: string): number | undefined => {
    const text = _tokenText(cfg[field]);
    if (text === undefined) return undefined;
    const id = byText.get(text);
    if (id === undefined) {
      throw new Error(`gguf: ${cfgPath} field ${field} names ${JSON.stringify(text)}, not a token`);
    }
    return id;
  };
  const jinja = `${tokenizerDir}/chat_template.jinja`;
  let chatTemplate = _chatTemplate(cfg, cfgPath);
  if (chatTemplate === undefined) {
    try {
      chatTemplate = await Deno.readTextFile(jinja);
    } catch {
      chatTemplate = undefined;
    }
  }
  return {
    tokens: tokens as string[],
    tokenTypes,
    merges,
    bosTokenId: idOf("bos_token") ?? fallbacks.bosTokenId,
    eosTokenId: idOf("eos_token") ?? fallbacks.eosTokenIds?.[0],
    padTokenId: idOf("pad_token"),
    addBosToken: cfg.add_bos_token === true,
    chatTemplate,
  };
}
