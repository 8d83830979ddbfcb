/**
 * OpenAI-shaped reply bodies for a {@link Completion}: `chat.completion` with
 * `choices[0].logprobs.content[{token, logprob, bytes, top_logprobs}]`, and `text_completion` with
 * the legacy `choices[0].logprobs.{tokens, token_logprobs, text_offset}`. Both carry the token ids
 * as vLLM's `return_token_ids` does: `choices[0].token_ids` (generated, a final stop token
 * included) and `prompt_token_ids`. Log-probs are `log π(token)` at temperature 1.
 *
 * @module
 */
import type { Completion } from "../policy/types.ts";
import type { RequestError } from "./protocol.ts";

/** What a reply needs besides the completion. */
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

const _enc = new TextEncoder();

function _usage(c: Completion) {
  const { promptTokens, completionTokens } = c.usage;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

function _tokens(c: Completion, meta: ReplyMeta): string[] {
  const ids = c.completionIds;
  if (ids !== undefined && ids.length === (c.logprobs ?? []).length) return ids.map(meta.tokenText);
  return (c.logprobs ?? []).map((_, i) => `token_index:${i}`);
}

/**
 * The body of a `/v1/chat/completions` reply.
 *
 * @param c the completion.
 * @param meta id, model, time and log-prob settings.
 * @returns the JSON object.
 */
export function chatReply(c: Completion, meta: ReplyMeta): Record<string, unknown> {
  let logprobs = null;
  if (meta.logprobs && c.logprobs !== undefined) {
    const toks = _tokens(c, meta);
    logprobs = {
      content: c.logprobs.map((lp, i) => ({
        token: toks[i],
        logprob: lp,
        bytes: [..._enc.encode(toks[i])],
        top_logprobs: [],
      })),
    };
  }
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [{
      index: 0,
      message: { role: "assistant", content: c.text },
      logprobs,
      finish_reason: c.finishReason === "length" ? "length" : "stop",
      token_ids: c.completionIds ?? null,
    }],
    usage: _usage(c),
    prompt_token_ids: c.promptIds ?? null,
  };
}

/**
 * The body of a `/v1/completions` reply.
 *
 * @param c the completion.
 * @param meta id, model, time and log-prob settings.
 * @returns the JSON object.
 */
export function completionReply(c: Completion, meta: ReplyMeta): Record<string, unknown> {
  let logprobs = null;
  if (meta.logprobs && c.logprobs !== undefined) {
    const toks = _tokens(c, meta);
    const offsets: number[] = [];
    let at = 0;
    for (const t of toks) {
      offsets.push(at);
      at += t.length;
    }
    logprobs = {
      tokens: toks,
      token_logprobs: c.logprobs,
      top_logprobs: null,
      text_offset: offsets,
    };
  }
  return {
    id: meta.id,
    object: "text_completion",
    created: meta.created,
    model: meta.model,
    choices: [{
      index: 0,
      text: c.text,
      logprobs,
      finish_reason: c.finishReason === "length" ? "length" : "stop",
      token_ids: c.completionIds ?? null,
      prompt_token_ids: c.promptIds ?? null,
    }],
    usage: _usage(c),
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
