/**
 * Reading OpenAI-compatible replies into a {@link Completion}: text, finish reason, usage,
 * log-probs (`choices[0].logprobs.content[].logprob` for chat, `…token_logprobs` for completions)
 * and token ids where the server gives them (`choices[0].token_ids` and `prompt_token_ids`, as
 * vLLM's `return_token_ids` and our server write them, or `token_id:N` token strings as vLLM's
 * `--return-tokens-as-token-ids` writes them). Anything else missing or ill-typed is an
 * {@link HttpPolicyError} naming the field.
 *
 * @module
 */
import { HttpPolicyError, snippetOf } from "./http_fetch.ts";
import type { Completion, PolicyInput } from "./types.ts";

/** Which OpenAI endpoint a policy talks to. */
export type HttpMode = "chat" | "completions";

/** Where a reply came from, for error messages. */
export interface ReplyContext {
  /** The URL posted to. */
  url: string;
  /** HTTP status of the reply. */
  status: number;
  /** The raw reply body. */
  text: string;
}

type _Obj = Record<string, unknown>;

function _isObj(v: unknown): v is _Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function _isIds(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0);
}

/**
 * The ChatML prompt (Qwen's chat format) of an input, for raw-prompt servers: system and user
 * turns, then the assistant header.
 *
 * @param input the decision's system and user text.
 * @returns the prompt text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chatMlPrompt } from "./http_reply.ts";
 * assert.equal(
 *   chatMlPrompt({ system: "S", user: "U" }),
 *   "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n",
 * );
 * ```
 */
export function chatMlPrompt(input: PolicyInput): string {
  return `<|im_start|>system\n${input.system}<|im_end|>\n<|im_start|>user\n${input.user}` +
    `<|im_end|>\n<|im_start|>assistant\n`;
}

/**
 * Turn a parsed reply into a {@link Completion}.
 *
 * @param mode the endpoint the reply came from.
 * @param body the parsed JSON body.
 * @param ctx URL, status and raw text for error messages.
 * @returns the completion (log-probs and ids only when the reply has them).
 * @throws {HttpPolicyError} when a required field is missing or has the wrong type.
 */
export function parseReply(mode: HttpMode, body: unknown, ctx: ReplyContext): Completion {
  const bad = (what: string): never => {
    throw new HttpPolicyError(
      `POST ${ctx.url}: malformed reply (HTTP ${ctx.status}): ${what}; reply begins ${
        snippetOf(ctx.text)
      }`,
      {
        url: ctx.url,
        status: ctx.status,
        snippet: snippetOf(ctx.text),
        attempts: 1,
        retryable: false,
      },
    );
  };
  if (!_isObj(body)) bad("not a JSON object");
  const b = body as _Obj;
  if (!Array.isArray(b.choices) || b.choices.length === 0) bad("no choices[0]");
  const choice = (b.choices as unknown[])[0];
  if (!_isObj(choice)) bad("choices[0] is not an object");
  const c = choice as _Obj;

  let text: string;
  if (mode === "chat") {
    if (!_isObj(c.message)) bad("choices[0].message is missing");
    const content = (c.message as _Obj).content;
    if (content !== null && content !== undefined && typeof content !== "string") {
      bad("choices[0].message.content is not a string");
    }
    text = (content as string | null | undefined) ?? "";
  } else {
    if (typeof c.text !== "string") bad("choices[0].text is not a string");
    text = c.text as string;
  }

  const finish = c.finish_reason;
  if (finish !== undefined && finish !== null && typeof finish !== "string") {
    bad("choices[0].finish_reason is not a string");
  }
  const finishReason = finish === "length" ? "length" : "stop";

  let logprobs: number[] | undefined;
  let tokenIdsFromLogprobs: number[] | undefined;
  if (c.logprobs !== undefined && c.logprobs !== null) {
    if (!_isObj(c.logprobs)) bad("choices[0].logprobs is not an object");
    const lp = c.logprobs as _Obj;
    if (mode === "chat") {
      if (!Array.isArray(lp.content)) bad("choices[0].logprobs.content is not an array");
      const entries = lp.content as unknown[];
      logprobs = entries.map((e, i) => {
        if (!_isObj(e) || typeof e.logprob !== "number") {
          bad(`choices[0].logprobs.content[${i}].logprob is not a number`);
        }
        return (e as _Obj).logprob as number;
      });
      const ids = entries.map((e) => /^token_id:(\d+)$/.exec(String((e as _Obj).token))?.[1]);
      if (ids.length > 0 && ids.every((x) => x !== undefined)) {
        tokenIdsFromLogprobs = ids.map(Number);
      }
    } else {
      if (!Array.isArray(lp.token_logprobs)) {
        bad("choices[0].logprobs.token_logprobs is not an array");
      }
      logprobs = (lp.token_logprobs as unknown[]).map((x, i) => {
        if (typeof x !== "number") bad(`choices[0].logprobs.token_logprobs[${i}] is not a number`);
        return x as number;
      });
    }
  }

  let completionIds: number[] | undefined = tokenIdsFromLogprobs;
  if (c.token_ids !== undefined && c.token_ids !== null) {
    if (!_isIds(c.token_ids)) bad("choices[0].token_ids is not an array of token ids");
    completionIds = c.token_ids as number[];
  }
  const promptRaw = b.prompt_token_ids ?? c.prompt_token_ids;
  let promptIds: number[] | undefined;
  if (promptRaw !== undefined && promptRaw !== null) {
    if (!_isIds(promptRaw)) bad("prompt_token_ids is not an array of token ids");
    promptIds = promptRaw as number[];
  }

  const usage = _isObj(b.usage) ? b.usage : {};
  const count = (v: unknown, field: string, fallback: number): number => {
    if (v === undefined || v === null) return fallback;
    if (!Number.isInteger(v) || (v as number) < 0) bad(`usage.${field} is not a count`);
    return v as number;
  };
  const out: Completion = {
    text,
    finishReason,
    usage: {
      promptTokens: count(usage.prompt_tokens, "prompt_tokens", promptIds?.length ?? 0),
      completionTokens: count(
        usage.completion_tokens,
        "completion_tokens",
        completionIds?.length ?? logprobs?.length ?? 0,
      ),
    },
  };
  if (promptIds !== undefined) out.promptIds = promptIds;
  if (completionIds !== undefined) out.completionIds = completionIds;
  if (logprobs !== undefined) out.logprobs = logprobs;
  return out;
}
