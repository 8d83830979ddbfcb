/**
 * OpenAI-shaped reply bodies: `chat.completion` with `choices[i].logprobs.content[{token, logprob,
 * bytes, top_logprobs}]`, `text_completion` with the legacy `choices[i].logprobs.{tokens,
 * token_logprobs, top_logprobs, text_offset}`, and the `chat.completion.chunk` /
 * `text_completion` chunks of a stream. Replies carry the token ids as vLLM's `return_token_ids`
 * does: `choices[i].token_ids` (generated, a final stop token included) and `prompt_token_ids`.
 * Log-probs are `log π(token)` at temperature 1.
 *
 * @module
 */
import type { Completion } from "../policy/types.ts";
import type { RequestError } from "./protocol.ts";
import type { RowToken } from "./types.ts";

/** What a reply needs besides the completions. */
export interface ReplyMeta {
  /** Reply id (e.g. `chatcmpl-7`). */
  id: string;
  /** Served model name. */
  model: string;
  /** Unix seconds. */
  created: number;
  /** Include log-probs. */
  logprobs: boolean;
  /** Text of a token id. */
  tokenText: (id: number) => string;
}

/** One finished choice: the completion and its text after stop strings. */
export interface ChoiceOut {
  /** What the policy answered. */
  completion: Completion;
  /** The choice's text (ends before a stop string). */
  text: string;
  /** Why it ended. */
  finishReason: "stop" | "length";
}

const _enc = new TextEncoder();

/**
 * The `usage` object of a request's choices (the prompt counted once).
 *
 * @param cs the completions.
 * @returns `{prompt_tokens, completion_tokens, total_tokens}`.
 */
export function usageOf(cs: Completion[]): Record<string, number> {
  const prompt = cs[0]?.usage.promptTokens ?? 0;
  const completion = cs.reduce((a, c) => a + c.usage.completionTokens, 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
}

/** The generated tokens of a completion as stream tokens (ids, log-probs, alternatives). */
export function completionTokens(c: Completion): RowToken[] {
  const lps = c.logprobs ?? [];
  const ids = c.completionIds;
  return lps.map((logprob, i) => ({
    token: ids !== undefined && ids.length === lps.length ? ids[i] : -1 - i,
    logprob,
    top: c.topLogprobs?.[i],
  }));
}

function _text(id: number, meta: ReplyMeta): string {
  return id >= 0 ? meta.tokenText(id) : `token_index:${-1 - id}`;
}

/**
 * `logprobs.content` entries of chat replies and chunks.
 *
 * @param toks the tokens.
 * @param meta token text.
 * @returns one entry per token with its `top_logprobs`.
 */
export function chatLogprobs(toks: RowToken[], meta: ReplyMeta): Record<string, unknown>[] {
  const entry = (id: number, logprob: number) => {
    const token = _text(id, meta);
    return { token, logprob, bytes: [..._enc.encode(token)] };
  };
  return toks.map((t) => ({
    ...entry(t.token, t.logprob ?? 0),
    top_logprobs: (t.top ?? []).map((a) => entry(a.token, a.logprob)),
  }));
}

/**
 * Legacy completions `logprobs` of some tokens.
 *
 * @param toks the tokens.
 * @param meta token text.
 * @param offset text offset of the first token.
 * @returns `{tokens, token_logprobs, top_logprobs, text_offset}`.
 */
export function legacyLogprobs(toks: RowToken[], meta: ReplyMeta, offset = 0) {
  const tokens = toks.map((t) => _text(t.token, meta));
  const text_offset: number[] = [];
  let at = offset;
  for (const t of tokens) {
    text_offset.push(at);
    at += t.length;
  }
  const anyTop = toks.some((t) => t.top !== undefined);
  return {
    tokens,
    token_logprobs: toks.map((t) => t.logprob ?? 0),
    top_logprobs: anyTop
      ? toks.map((t) =>
        Object.fromEntries((t.top ?? []).map((a) => [_text(a.token, meta), a.logprob]))
      )
      : null,
    text_offset,
  };
}

/**
 * The body of a `/v1/chat/completions` reply.
 *
 * @param choices the finished choices, in order.
 * @param meta id, model, time and log-prob settings.
 * @returns the JSON object.
 */
export function chatReply(choices: ChoiceOut[], meta: ReplyMeta): Record<string, unknown> {
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: choices.map((ch, index) => ({
      index,
      message: { role: "assistant", content: ch.text },
      logprobs: meta.logprobs && ch.completion.logprobs !== undefined
        ? { content: chatLogprobs(completionTokens(ch.completion), meta) }
        : null,
      finish_reason: ch.finishReason,
      token_ids: ch.completion.completionIds ?? null,
    })),
    usage: usageOf(choices.map((c) => c.completion)),
    prompt_token_ids: choices[0]?.completion.promptIds ?? null,
  };
}

/**
 * The body of a `/v1/completions` reply.
 *
 * @param choices the finished choices, in order.
 * @param meta id, model, time and log-prob settings.
 * @returns the JSON object.
 */
export function completionReply(choices: ChoiceOut[], meta: ReplyMeta): Record<string, unknown> {
  return {
    id: meta.id,
    object: "text_completion",
    created: meta.created,
    model: meta.model,
    choices: choices.map((ch, index) => ({
      index,
      text: ch.text,
      logprobs: meta.logprobs && ch.completion.logprobs !== undefined
        ? legacyLogprobs(completionTokens(ch.completion), meta)
        : null,
      finish_reason: ch.finishReason,
      token_ids: ch.completion.completionIds ?? null,
      prompt_token_ids: ch.completion.promptIds ?? null,
    })),
    usage: usageOf(choices.map((c) => c.completion)),
  };
}

/** One piece of a streamed choice. */
export interface ChunkPart {
  /** Choice index. */
  index: number;
  /** New text (may be empty). */
  text: string;
  /** Tokens generated since the last chunk of this choice (for log-probs). */
  tokens: RowToken[];
  /** Set on the choice's last chunk. */
  finishReason: "stop" | "length" | null;
  /** Chat only: the first chunk of a choice carries the role. */
  first?: boolean;
}

/**
 * A streamed chunk (`chat.completion.chunk` or a `text_completion` piece).
 *
 * @param kind the endpoint.
 * @param part the choice's piece.
 * @param meta id, model, time, log-prob settings.
 * @param includeUsage whether the stream carries `usage: null` on every chunk.
 * @param textOffset legacy completions: text offset of the piece's first token.
 * @returns the JSON object.
 */
export function chunkReply(
  kind: "chat" | "completions",
  part: ChunkPart,
  meta: ReplyMeta,
  includeUsage: boolean,
  textOffset = 0,
): Record<string, unknown> {
  const lp = meta.logprobs && part.tokens.length > 0;
  const choice = kind === "chat"
    ? {
      index: part.index,
      delta: part.first
        ? { role: "assistant", content: part.text }
        : part.finishReason !== null && part.text === ""
        ? {}
        : { content: part.text },
      logprobs: lp ? { content: chatLogprobs(part.tokens, meta) } : null,
      finish_reason: part.finishReason,
    }
    : {
      index: part.index,
      text: part.text,
      logprobs: lp ? legacyLogprobs(part.tokens, meta, textOffset) : null,
      finish_reason: part.finishReason,
    };
  return {
    id: meta.id,
    object: kind === "chat" ? "chat.completion.chunk" : "text_completion",
    created: meta.created,
    model: meta.model,
    choices: [choice],
    ...(includeUsage ? { usage: null } : {}),
  };
}

/**
 * The last chunk of a stream with `stream_options.include_usage`: no choices, the usage.
 *
 * @param kind the endpoint.
 * @param cs the completions of every choice.
 * @param meta id, model, time.
 * @returns the JSON object.
 */
export function usageChunk(
  kind: "chat" | "completions",
  cs: Completion[],
  meta: ReplyMeta,
): Record<string, unknown> {
  return {
    id: meta.id,
    object: kind === "chat" ? "chat.completion.chunk" : "text_completion",
    created: meta.created,
    model: meta.model,
    choices: [],
    usage: usageOf(cs),
  };
}

/**
 * An OpenAI error body.
 *
 * @param e the request error.
 * @returns `{ error: { message, type, param, code } }`.
 */
export function errorReply(e: RequestError): Record<string, unknown> {
  return { error: { message: e.message, type: e.type, param: e.param, code: e.status } };
}
