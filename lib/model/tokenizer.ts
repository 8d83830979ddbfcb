/**
 * A Hugging Face tokenizer folder (`tokenizer.json` + `tokenizer_config.json`) with its Jinja chat
 * template: byte-level BPE through `@huggingface/tokenizers`, templates through
 * `@huggingface/jinja`. Works for the real Qwen tokenizer and for the small byte-level one of
 * {@link ./byte_tokenizer.ts}.
 *
 * @module
 */
import { join } from "node:path";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { Template } from "@huggingface/jinja";

/** One chat turn. */
export interface ChatMessage {
  /** Who speaks. */
  role: "system" | "user" | "assistant";
  /** What is said. */
  content: string;
}

/** Options of {@link Tokenizer.applyChatTemplate}. */
export interface ChatTemplateOptions {
  /** Append the assistant header (`<|im_start|>assistant\n`) so a model continues as assistant. */
  addGenerationPrompt?: boolean;
}

const _ROLES = new Set(["system", "user", "assistant"]);

function _tokenContent(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (
    typeof v === "object" && v !== null && typeof (v as { content?: unknown }).content === "string"
  ) {
    return (v as { content: string }).content;
  }
  return undefined;
}

async function _readJson(
  path: string,
  optional: boolean,
): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      if (optional) return undefined;
      throw new Error(`${path}: file not found`);
    }
    throw new Error(`${path}: cannot read (${(e as Error).message})`);
  }
  try {
    const v = JSON.parse(text);
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
    return v;
  } catch (e) {
    throw new Error(`${path}: invalid JSON (${(e as Error).message})`);
  }
}

/**
 * A loaded tokenizer. Qwen adds no BOS token, so {@link Tokenizer.encode} returns exactly the
 * text's tokens; special tokens written in the text (e.g. `<|im_start|>`) map to their ids.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs a checkpoint folder on disk
 * import { Tokenizer } from "./tokenizer.ts";
 * const tok = await Tokenizer.load("runs/tiny");
 * const ids = tok.encodeChat([{ role: "user", content: "Hi" }], { addGenerationPrompt: true });
 * console.log(tok.decode(ids));
 * ```
 */
export class Tokenizer {
  #hf: HfTokenizer;
  #template?: Template;
  #bos?: string;
  #eos?: string;
  #vocab: Map<string, number>;
  #specialIds: Set<number>;
  /** Number of token ids the tokenizer can produce (largest id + 1, added tokens included). */
  readonly vocabSize: number;
  /** Ids that end an assistant turn: `eos_token` and, when present, `<|endoftext|>`. */
  readonly eosTokenIds: number[];
  /** Id used for padding (`pad_token`, else `<|endoftext|>`, else the first eos id). */
  readonly padTokenId: number;
  /** The folder (or description) it was loaded from, for messages. */
  readonly source: string;

  private constructor(
    tokenizerJson: Record<string, unknown>,
    config: Record<string, unknown>,
    source: string,
    chatTemplate?: string,
  ) {
    this.source = source;
    this.#hf = new HfTokenizer(tokenizerJson, config);
    this.#vocab = this.#hf.get_vocab(true);
    let maxId = -1;
    for (const id of this.#vocab.values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;
    this.#specialIds = new Set(
      [...this.#hf.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([id]) => id),
    );
    this.#bos = _tokenContent(config.bos_token);
    this.#eos = _tokenContent(config.eos_token);
    const eos: number[] = [];
    for (const t of [this.#eos, "<|endoftext|>"]) {
      const id = t === undefined ? undefined : this.#vocab.get(t);
      if (id !== undefined && !eos.includes(id)) eos.push(id);
    }
    if (eos.length === 0) {
      throw new Error(
        `${source}: tokenizer_config.json names no eos_token and there is no <|endoftext|> token`,
      );
    }
    this.eosTokenIds = eos;
    const padTok = _tokenContent(config.pad_token);
    this.padTokenId = (padTok !== undefined ? this.#vocab.get(padTok) : undefined) ??
      this.#vocab.get("<|endoftext|>") ?? eos[0];
    if (chatTemplate !== undefined) {
      try {
        this.#template = new Template(chatTemplate);
      } catch (e) {
        throw new Error(`${source}: chat_template does not parse (${(e as Error).message})`);
      }
    }
  }

  /**
   * Load `tokenizer.json` and `tokenizer_config.json` (its `chat_template`, or a
   * `chat_template.jinja` file) from a folder.
   *
   * @param dir tokenizer or checkpoint folder.
   * @returns the tokenizer.
   */
  static async load(dir: string): Promise<Tokenizer> {
    const tj = await _readJson(join(dir, "tokenizer.json"), false);
    const cfg = await _readJson(join(dir, "tokenizer_config.json"), true) ?? {};
    let tpl: unknown = cfg.chat_template;
    if (Array.isArray(tpl)) {
      const d = tpl.find((t) => t?.name === "default");
      tpl = d?.template;
    }
    if (typeof tpl !== "string") {
      try {
        tpl = await Deno.readTextFile(join(dir, "chat_template.jinja"));
      } catch {
        tpl = undefined;
      }
    }
    return Tokenizer.fromJson(tj!, cfg, { chatTemplate: tpl as string | undefined, source: dir });
  }

  /**
   * Build a tokenizer from already-parsed files.
   *
   * @param tokenizerJson parsed `tokenizer.json`.
   * @param config parsed `tokenizer_config.json`.
   * @param opts `chatTemplate` (default `config.chat_template`) and `source` for messages.
   * @returns the tokenizer.
   */
  static fromJson(
    tokenizerJson: Record<string, unknown>,
    config: Record<string, unknown>,
    opts: { chatTemplate?: string; source?: string } = {},
  ): Tokenizer {
    const source = opts.source ?? "tokenizer";
    const model = tokenizerJson.model as Record<string, unknown> | undefined;
    if (typeof model !== "object" || model === null || typeof model.type !== "string") {
      throw new Error(`${source}: tokenizer.json has no "model" with a "type"`);
    }
    const tpl = opts.chatTemplate ??
      (typeof config.chat_template === "string" ? config.chat_template : undefined);
    return new Tokenizer(tokenizerJson, config, source, tpl);
  }

  /**
   * Encode text to token ids (no BOS/EOS added; special-token strings become their ids).
   *
   * @param text any string.
   * @returns token ids.
   */
  encode(text: string): number[] {
    return this.#hf.encode(text, { add_special_tokens: false }).ids;
  }

  /**
   * Decode token ids to text.
   *
   * @param ids token ids (each below {@link vocabSize}).
   * @param opts `skipSpecial`: drop special tokens such as `<|im_end|>`.
   * @returns the text.
   */
  decode(ids: number[], opts: { skipSpecial?: boolean } = {}): string {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new Error(
          `${this.source}: cannot decode token id ${id} (vocabulary has ${this.vocabSize})`,
        );
      }
    }
    if (ids.length === 0) return "";
    return this.#hf.decode(ids, {
      skip_special_tokens: opts.skipSpecial ?? false,
      clean_up_tokenization_spaces: false,
    });
  }

  /**
   * Render messages with the folder's chat template.
   *
   * @param messages the conversation.
   * @param opts `addGenerationPrompt` to end with the assistant header.
   * @returns the prompt text.
   */
  applyChatTemplate(messages: ChatMessage[], opts: ChatTemplateOptions = {}): string {
    if (!this.#template) throw new Error(`${this.source}: tokenizer has no chat_template`);
    messages.forEach((m, i) => {
      if (!_ROLES.has(m?.role)) {
        throw new Error(
          `messages[${i}].role is ${JSON.stringify(m?.role)}; expected system, user or assistant`,
        );
      }
      if (typeof m.content !== "string") throw new Error(`messages[${i}].content is not a string`);
    });
    return this.#template.render({
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      add_generation_prompt: opts.addGenerationPrompt ?? false,
      bos_token: this.#bos ?? "",
      eos_token: this.#eos ?? "",
    });
  }

  /**
   * Render messages with the chat template and encode the result.
   *
   * @param messages the conversation.
   * @param opts `addGenerationPrompt` to end with the assistant header.
   * @returns token ids.
   */
  encodeChat(messages: ChatMessage[], opts: ChatTemplateOptions = {}): number[] {
    return this.encode(this.applyChatTemplate(messages, opts));
  }

  /**
   * Look up a token string (e.g. `<|im_end|>` or a byte-level symbol like `Ġthe`).
   *
   * @param tok token string.
   * @returns its id, or undefined.
   */
  tokenToId(tok: string): number | undefined {
    return this.#vocab.get(tok);
  }

  /**
   * The token string of an id.
   *
   * @param id token id.
   * @returns the token string, or undefined.
   */
  idToToken(id: number): string | undefined {
    return this.#hf.id_to_token(id);
  }

  /**
   * Whether an id is a special token (dropped by `decode(..., { skipSpecial: true })`).
   *
   * @param id token id.
   * @returns true for special tokens.
   */
  isSpecial(id: number): boolean {
    return this.#specialIds.has(id);
  }
}
