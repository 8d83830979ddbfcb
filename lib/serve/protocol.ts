/**
 * Reading and checking OpenAI request bodies for `/v1/chat/completions` and `/v1/completions`.
 * Every problem is a {@link RequestError} with an HTTP status and a message naming the field and
 * value, sent back as an OpenAI error object. OpenAI fields that would change the answer but are
 * not implemented (tools, response formats, penalties, logit biases, audio, …) are refused by
 * name; fields that do not change it (`user`, `metadata`, `store`, …) and unknown fields are
 * ignored, as vLLM does.
 *
 * @module
 */
import type { ChatMessage } from "../model/tokenizer.ts";
import { deriveSeed } from "../util/rng.ts";
import type { RowOptions, ServeInput } from "./types.ts";

/** A request the server refuses, with the status to answer. */
export class RequestError extends Error {
  /**
   * @param status HTTP status (400, 401, 404, 405, 413, …).
   * @param message what is wrong, naming the field.
   * @param param the offending field, if one.
   * @param type OpenAI error type.
   */
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly type = "invalid_request_error",
  ) {
    super(message);
    this.name = "RequestError";
  }
}

/** A checked request. */
export interface ParsedRequest {
  /** Which endpoint. */
  kind: "chat" | "completions";
  /** The `model` field, if sent. */
  model?: string;
  /** The input. */
  input: ServeInput;
  /** Sampling settings. */
  options: RowOptions;
  /** Sampling stream seed (u32), or undefined when the request sent none. */
  seed?: number;
  /** Whether log-probs were asked for. */
  logprobs: boolean;
  /** Choices to generate (`n`). */
  n: number;
  /** Stop strings: the text ends before the first one generated (not included). */
  stop: string[];
  /** Answer as Server-Sent Events. */
  stream: boolean;
  /** With `stream`: end with a chunk holding the usage (`stream_options.include_usage`). */
  includeUsage: boolean;
}

/** Most choices one request may ask for (`n`). */
export const MAX_CHOICES = 16;
/** Most alternatives per token (`top_logprobs`; vLLM's limit). */
export const MAX_TOP_LOGPROBS = 20;
/** Most stop strings (OpenAI's limit). */
export const MAX_STOP = 4;

/** OpenAI request fields that would change the answer and are not implemented. */
const _UNSUPPORTED: Record<string, (v: unknown) => boolean> = {
  tools: (v) => Array.isArray(v) && v.length > 0,
  tool_choice: (v) => v !== "none",
  functions: (v) => Array.isArray(v) && v.length > 0,
  function_call: (v) => v !== "none",
  response_format: (v) => (v as _Obj)?.type !== "text",
  logit_bias: (v) => typeof v !== "object" || Object.keys(v as _Obj).length > 0,
  audio: () => true,
  modalities: (v) => !(Array.isArray(v) && v.every((m) => m === "text")),
  prediction: () => true,
  web_search_options: () => true,
  guided_json: () => true,
  guided_regex: () => true,
  guided_choice: () => true,
  guided_grammar: () => true,
};

/** Limits the parser enforces. */
export interface ParseLimits {
  /** Largest `max_tokens` accepted. */
  maxTokensLimit: number;
  /** `max_tokens` when the request gives none. */
  defaultMaxTokens: number;
}

type _Obj = Record<string, unknown>;

const _bad = (msg: string, param: string): never => {
  throw new RequestError(400, msg, param);
};

function _num(b: _Obj, key: string, dflt: number, ok: (x: number) => boolean, range: string) {
  const v = b[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) {
    _bad(`${key} must be ${range}, got ${JSON.stringify(v)}`, key);
  }
  return v as number;
}

function _text(v: unknown, where: string): string {
  if (typeof v === "string") return v;
  // OpenAI content parts: [{ type: "text", text: "…" }, …]
  if (Array.isArray(v) && v.every((p) => typeof p?.text === "string" && p.type === "text")) {
    return v.map((p) => p.text).join("");
  }
  return _bad(`${where} must be a string or a list of text parts`, where);
}

function _messages(v: unknown): ChatMessage[] {
  if (!Array.isArray(v) || v.length === 0) _bad("messages must be a non-empty array", "messages");
  return (v as unknown[]).map((m, i) => {
    const where = `messages[${i}]`;
    if (typeof m !== "object" || m === null) _bad(`${where} must be an object`, where);
    let role = (m as _Obj).role;
    if (role === "developer") role = "system"; // OpenAI's newer name for the system turn
    if (role !== "system" && role !== "user" && role !== "assistant") {
      _bad(
        `${where}.role must be system, developer, user or assistant, got ${JSON.stringify(role)}`,
        `${where}.role`,
      );
    }
    return {
      role: role as ChatMessage["role"],
      content: _text((m as _Obj).content, `${where}.content`),
    };
  });
}

function _stop(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const list = typeof v === "string" ? [v] : v;
  if (!Array.isArray(list) || !list.every((x) => typeof x === "string" && x.length > 0)) {
    return _bad("stop must be a non-empty string or a list of them", "stop");
  }
  if (list.length > MAX_STOP) _bad(`stop has ${list.length} strings; at most ${MAX_STOP}`, "stop");
  return list as string[];
}

function _prompt(v: unknown): ServeInput {
  let p = v;
  if (Array.isArray(p) && p.length === 1 && (typeof p[0] === "string" || Array.isArray(p[0]))) {
    p = p[0]; // a batch of one
  }
  if (typeof p === "string") return { prompt: p };
  if (Array.isArray(p) && p.every((x) => Number.isInteger(x) && x >= 0)) {
    return { promptIds: p as number[] };
  }
  return _bad("prompt must be a string, a list of token ids, or a list of one of those", "prompt");
}

/**
 * The sampling stream of a request seed: the seed itself when it is a u32, else a hash of it.
 *
 * @param seed any safe integer.
 * @returns a u32 seed.
 */
export function streamSeed(seed: number): number {
  if (seed >= 0 && seed < 2 ** 32) return seed;
  return deriveSeed(Math.floor(seed / 2 ** 32), seed % 2 ** 32);
}

/**
 * Check a request body.
 *
 * @param kind the endpoint.
 * @param body the parsed JSON.
 * @param limits `max_tokens` limits.
 * @returns the checked request.
 * @throws {RequestError} naming the first bad field.
 */
export function parseRequest(
  kind: "chat" | "completions",
  body: unknown,
  limits: ParseLimits,
): ParsedRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new RequestError(400, "the request body must be a JSON object");
  }
  const b = body as _Obj;
  if (b.model !== undefined && typeof b.model !== "string") _bad("model must be a string", "model");
  for (const [key, used] of Object.entries(_UNSUPPORTED)) {
    if (b[key] !== undefined && b[key] !== null && used(b[key])) {
      _bad(`${key} is not supported by this server`, key);
    }
  }
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== "boolean") {
    _bad("stream must be a boolean", "stream");
  }
  const stream = b.stream === true;
  let includeUsage = false;
  if (b.stream_options !== undefined && b.stream_options !== null) {
    const so = b.stream_options as _Obj;
    if (!stream) _bad("stream_options is only allowed with stream: true", "stream_options");
    if (typeof so !== "object" || Array.isArray(so)) {
      _bad("stream_options must be an object", "stream_options");
    }
    if (so.include_usage !== undefined && typeof so.include_usage !== "boolean") {
      _bad("stream_options.include_usage must be a boolean", "stream_options.include_usage");
    }
    includeUsage = so.include_usage === true;
  }
  const n = _num(
    b,
    "n",
    1,
    (x) => Number.isInteger(x) && x >= 1 && x <= MAX_CHOICES,
    `an integer in [1, ${MAX_CHOICES}]`,
  );
  if (kind === "completions") {
    _num(b, "best_of", n, (x) => x === n, `equal to n (${n}) (best_of is not supported)`);
  }
  const stop = _stop(b.stop);
  for (const key of ["presence_penalty", "frequency_penalty"]) {
    _num(b, key, 0, (x) => x === 0, "0 (penalties are not supported)");
  }
  _num(b, "repetition_penalty", 1, (x) => x === 1, "1 (penalties are not supported)");
  if (kind === "completions" && b.echo === true) _bad("echo is not supported", "echo");
  if (kind === "completions" && b.suffix !== undefined && b.suffix !== null) {
    _bad("suffix is not supported", "suffix");
  }
  const temperature = _num(b, "temperature", 1, (x) => x >= 0, "a number ≥ 0");
  const topP = _num(b, "top_p", 1, (x) => x > 0 && x <= 1, "a number in (0, 1]");
  const topKRaw = _num(b, "top_k", 0, (x) => Number.isInteger(x) && x >= -1, "an integer ≥ -1");
  const tokKey = b.max_completion_tokens !== undefined && b.max_completion_tokens !== null
    ? "max_completion_tokens"
    : "max_tokens";
  const maxNewTokens = _num(
    b,
    tokKey,
    Math.min(limits.defaultMaxTokens, limits.maxTokensLimit),
    (x) => Number.isInteger(x) && x >= 1 && x <= limits.maxTokensLimit,
    `an integer in [1, ${limits.maxTokensLimit}]`,
  );
  let seed: number | undefined;
  if (b.seed !== undefined && b.seed !== null) {
    if (!Number.isSafeInteger(b.seed)) {
      _bad(`seed must be an integer, got ${JSON.stringify(b.seed)}`, "seed");
    }
    seed = streamSeed(b.seed as number);
  }
  let logprobs: boolean;
  let topLogprobs = 0;
  let input: ServeInput;
  const topRange = `an integer in [0, ${MAX_TOP_LOGPROBS}]`;
  const topOk = (x: number) => Number.isInteger(x) && x >= 0 && x <= MAX_TOP_LOGPROBS;
  if (kind === "chat") {
    if (b.logprobs !== undefined && b.logprobs !== null && typeof b.logprobs !== "boolean") {
      _bad("logprobs must be a boolean", "logprobs");
    }
    logprobs = b.logprobs === true;
    topLogprobs = _num(b, "top_logprobs", 0, topOk, topRange);
    if (topLogprobs > 0 && !logprobs) {
      _bad("top_logprobs needs logprobs: true", "top_logprobs");
    }
    input = { messages: _messages(b.messages) };
  } else {
    if (typeof b.logprobs === "boolean") {
      logprobs = b.logprobs;
    } else {
      const lp = _num(b, "logprobs", -1, (x) => x === -1 || topOk(x), topRange);
      logprobs = lp >= 0;
      topLogprobs = Math.max(0, lp);
    }
    if (b.prompt === undefined) _bad("prompt is required", "prompt");
    input = _prompt(b.prompt);
  }
  return {
    kind,
    model: b.model as string | undefined,
    input,
    options: { temperature, topP, topK: topKRaw === -1 ? 0 : topKRaw, maxNewTokens, topLogprobs },
    seed,
    logprobs,
    n,
    stop,
    stream,
    includeUsage,
  };
}
