/**
 * A policy served over HTTP by any OpenAI-compatible server (vLLM, SGLang, llama.cpp's server,
 * Ollama, or our own `deno task serve`): each input becomes one request to `/v1/chat/completions`
 * (a system and a user message) or `/v1/completions` (a raw prompt, ChatML by default), with at
 * most `concurrency` requests in flight.
 *
 * Seeds: row i of `act(inputs, { seed })` sends `seed: deriveSeed(seed, i)`. Our server samples a
 * request with seed s from `Rng(s)`, exactly as `LapPolicy` samples row i from
 * `Rng(deriveSeed(seed, i))`, so the same checkpoint gives the same answers in process and over
 * HTTP. Other servers treat the seed as a hint.
 *
 * Log-probs: requested by default (`logprobs: true`, or `logprobs: 1` on `/v1/completions`) and
 * mapped to {@link Completion.logprobs}; token ids are read when the server returns them. Our
 * server's log-probs are temperature-1 `log π(token)`, as `LapPolicy` gives; other servers may
 * report them at the sampling temperature.
 *
 * @module
 */
import { deriveSeed, Rng } from "../util/rng.ts";
import { HttpPolicyError, postJson, type RetryOptions } from "./http_fetch.ts";
import { ConcurrencyLimit } from "./http_limit.ts";
import { chatMlPrompt, type HttpMode, parseReply } from "./http_reply.ts";
import type { ActOptions, Completion, Policy, PolicyInput } from "./types.ts";

/** Options of {@link HttpPolicy}. */
export interface HttpPolicyOptions extends Partial<RetryOptions> {
  /** Base URL including the API prefix, e.g. `http://127.0.0.1:8000/v1` (a trailing `/` is ignored). */
  baseUrl: string;
  /** Model name sent with each request (the served model's id). */
  model: string;
  /** `"chat"` (default): `/chat/completions`; `"completions"`: `/completions` with a raw prompt. */
  mode?: HttpMode;
  /** Name recorded in evaluation logs (default `http:<model>`). */
  name?: string;
  /** Environment variable holding the API key (default `OPENAI_API_KEY`; unset = no key sent). */
  apiKeyEnv?: string;
  /** The API key itself (overrides `apiKeyEnv`). */
  apiKey?: string;
  /** Default cap on generated tokens when `act` gives none (default 64). */
  maxTokens?: number;
  /** Ask for log-probs (default true; turn off for servers that reject the field). */
  logprobs?: boolean;
  /** Send `return_token_ids: true` (vLLM ≥ 0.10.2; our server always returns ids). Default false. */
  returnTokenIds?: boolean;
  /** Raw prompt of an input in `"completions"` mode (default {@link chatMlPrompt}). */
  renderPrompt?: (input: PolicyInput) => string;
  /** Requests in flight at once, across all `act` calls of this policy (default 8). */
  concurrency?: number;
  /** Seed of the retry jitter (default 0). */
  seed?: number;
  /** Extra JSON fields merged into every request body (e.g. `{ repetition_penalty: 1 }`). */
  extraBody?: Record<string, unknown>;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

const _DEFAULTS: RetryOptions = {
  timeoutMs: 60_000,
  maxRetries: 4,
  backoffMs: 500,
  maxBackoffMs: 20_000,
  maxRetryAfterMs: 60_000,
};

function _positive(name: string, v: number, integer: boolean, min: number): number {
  if (!Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    throw new Error(
      `HttpPolicy: ${name} must be ${integer ? "an integer" : "a number"} ≥ ${min}, got ${v}`,
    );
  }
  return v;
}

/**
 * A {@link Policy} answered by an OpenAI-compatible HTTP server.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs a running OpenAI-compatible server
 * const policy = new HttpPolicy({ baseUrl: "http://127.0.0.1:8000/v1", model: "Qwen2.5-72B" });
 * const [c] = await policy.act([env.observe()], { temperature: 0.5, seed: 0 });
 * env.stepText([c.text]);
 * ```
 */
export class HttpPolicy implements Policy {
  /** @inheritdoc */
  readonly name: string;
  /** The endpoint requests go to. */
  readonly url: string;
  readonly #opts: HttpPolicyOptions;
  readonly #retry: RetryOptions;
  readonly #limit: ConcurrencyLimit;
  readonly #headers: Record<string, string>;
  #requests = 0;

  /** @param opts server, model, endpoint, key, limits and retry settings. */
  constructor(opts: HttpPolicyOptions) {
    let base: URL;
    try {
      base = new URL(opts.baseUrl);
    } catch {
      throw new Error(`HttpPolicy: baseUrl ${JSON.stringify(opts.baseUrl)} is not a URL`);
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new Error(`HttpPolicy: baseUrl ${opts.baseUrl} must be http: or https:`);
    }
    if (typeof opts.model !== "string" || opts.model === "") {
      throw new Error("HttpPolicy: model (the served model's name) is required");
    }
    const mode = opts.mode ?? "chat";
    if (mode !== "chat" && mode !== "completions") {
      throw new Error(`HttpPolicy: mode must be "chat" or "completions", got ${mode}`);
    }
    this.#opts = { ...opts, mode };
    this.#retry = {
      timeoutMs: _positive("timeoutMs", opts.timeoutMs ?? _DEFAULTS.timeoutMs, false, 1),
      maxRetries: _positive("maxRetries", opts.maxRetries ?? _DEFAULTS.maxRetries, true, 0),
      backoffMs: _positive("backoffMs", opts.backoffMs ?? _DEFAULTS.backoffMs, false, 0),
      maxBackoffMs: _positive(
        "maxBackoffMs",
        opts.maxBackoffMs ?? _DEFAULTS.maxBackoffMs,
        false,
        0,
      ),
      maxRetryAfterMs: _positive(
        "maxRetryAfterMs",
        opts.maxRetryAfterMs ?? _DEFAULTS.maxRetryAfterMs,
        false,
        0,
      ),
    };
    this.#limit = new ConcurrencyLimit(_positive("concurrency", opts.concurrency ?? 8, true, 1));
    this.url = `${opts.baseUrl.replace(/\/+$/, "")}/${
      mode === "chat" ? "chat/completions" : "completions"
    }`;
    this.name = opts.name ?? `http:${opts.model}`;
    const env = opts.apiKeyEnv ?? "OPENAI_API_KEY";
    let key = opts.apiKey;
    if (key === undefined) {
      try {
        key = Deno.env.get(env);
      } catch { /* no --allow-env: no key */ }
    }
    this.#headers = { ...opts.headers };
    if (key) this.#headers.authorization = `Bearer ${key}`;
  }

  /** Requests sent so far (retries not counted). */
  get requests(): number {
    return this.#requests;
  }

  /** The JSON body of the request for one input. */
  requestBody(input: PolicyInput, options: ActOptions, row: number): Record<string, unknown> {
    const o = this.#opts;
    const body: Record<string, unknown> = {
      model: o.model,
      temperature: options.temperature,
      max_tokens: options.maxNewTokens ?? o.maxTokens ?? 64,
      seed: deriveSeed(options.seed, row),
    };
    if (o.mode === "chat") {
      body.messages = [
        { role: "system", content: input.system },
        { role: "user", content: input.user },
      ];
      if (o.logprobs ?? true) body.logprobs = true;
    } else {
      body.prompt = (o.renderPrompt ?? chatMlPrompt)(input);
      if (o.logprobs ?? true) body.logprobs = 1;
    }
    if (options.topP !== undefined && options.topP !== 1) body.top_p = options.topP;
    if (options.topK !== undefined && options.topK > 0) body.top_k = options.topK;
    if (o.returnTokenIds) body.return_token_ids = true;
    return { ...body, ...o.extraBody };
  }

  /** @inheritdoc */
  async act(inputs: PolicyInput[], options: ActOptions): Promise<Completion[]> {
    const ctrl = new AbortController();
    let first: unknown;
    const tasks = inputs.map((input, row) =>
      this.#limit.run(() => this.#one(input, options, row, ctrl.signal)).catch((e) => {
        if (first === undefined) {
          first = e;
          ctrl.abort(e);
        }
        throw e;
      })
    );
    const settled = await Promise.allSettled(tasks);
    if (first !== undefined) throw first;
    return settled.map((s) => (s as PromiseFulfilledResult<Completion>).value);
  }

  async #one(
    input: PolicyInput,
    options: ActOptions,
    row: number,
    signal: AbortSignal,
  ): Promise<Completion> {
    if (signal.aborted) throw signal.reason;
    const n = this.#requests++;
    const res = await postJson(this.url, this.requestBody(input, options, row), {
      ...this.#retry,
      headers: this.#headers,
      rng: new Rng(deriveSeed(this.#opts.seed ?? 0, n)),
      signal,
      apiKeyEnv: this.#opts.apiKey === undefined
        ? this.#opts.apiKeyEnv ?? "OPENAI_API_KEY"
        : undefined,
    });
    return parseReply(this.#opts.mode!, res.body, {
      url: this.url,
      status: res.status,
      text: res.text,
    });
  }
}

export { HttpPolicyError };
