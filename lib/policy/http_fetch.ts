/**
 * One JSON POST with a timeout and retries: exponential back-off with seeded jitter on 429, 408,
 * 5xx, timeouts and connection errors (a `Retry-After` header is honoured), no retry on other
 * replies. Every failure is an {@link HttpPolicyError} naming the URL, the HTTP status and the
 * beginning of the reply.
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";

/** What an {@link HttpPolicyError} knows about the failed call. */
export interface HttpErrorInfo {
  /** The URL posted to. */
  url: string;
  /** HTTP status of the last reply, if any came. */
  status?: number;
  /** The beginning of the last reply's body (JSON-quoted), if any came. */
  snippet?: string;
  /** Attempts made. */
  attempts: number;
  /** Whether the last failure was of a retryable kind (the retries ran out). */
  retryable: boolean;
}

/** A failed call to a policy server. */
export class HttpPolicyError extends Error {
  /**
   * @param message the full message (it already names URL, status and snippet).
   * @param info the same facts, as fields.
   */
  constructor(message: string, readonly info: HttpErrorInfo) {
    super(message);
    this.name = "HttpPolicyError";
  }
}

/** Timing and retry settings of {@link postJson}. */
export interface RetryOptions {
  /** Milliseconds an attempt may take, reply body included. */
  timeoutMs: number;
  /** Retries after the first attempt (0 = one attempt only). */
  maxRetries: number;
  /** Back-off before retry k (k = 0, 1, …) is `backoffMs · 2^k`, capped, times a jitter in [0.5, 1). */
  backoffMs: number;
  /** Cap on the exponential back-off. */
  maxBackoffMs: number;
  /** Cap on a server's `Retry-After` wait. */
  maxRetryAfterMs: number;
}

/** Options of {@link postJson}. */
export interface PostOptions extends RetryOptions {
  /** Request headers (content type is added). */
  headers: Record<string, string>;
  /** Jitter source (one `float()` per back-off). */
  rng: Rng;
  /** Cancels the call (no further retries); the error is the signal's reason. */
  signal?: AbortSignal;
  /** Environment variable the API key came from, named in 401/403 errors. */
  apiKeyEnv?: string;
}

/** A successful reply. */
export interface PostResult {
  /** HTTP status (2xx). */
  status: number;
  /** The parsed JSON body. */
  body: unknown;
  /** The raw body text. */
  text: string;
  /** Attempts it took. */
  attempts: number;
}

const _SNIPPET = 200;

/** The beginning of a reply body, JSON-quoted so control characters show. */
export function snippetOf(text: string): string {
  return JSON.stringify(text.length > _SNIPPET ? `${text.slice(0, _SNIPPET)}…` : text);
}

/**
 * Milliseconds a `Retry-After` header asks for (delta-seconds or an HTTP date), or undefined.
 *
 * @param value the header value.
 * @param now the current time in ms since the epoch.
 * @returns a wait ≥ 0, or undefined when absent or unreadable.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRetryAfter } from "./http_fetch.ts";
 * assert.deepEqual(parseRetryAfter("2", 0), 2000);
 * ```
 */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/**
 * Back-off before retry `k`: `min(maxBackoffMs, backoffMs · 2^k) · (0.5 + 0.5 · u)`, u from `rng`.
 *
 * @param k retry index (0 = first retry).
 * @param opts base and cap.
 * @param rng jitter source.
 * @returns milliseconds.
 */
export function backoffDelay(
  k: number,
  opts: Pick<RetryOptions, "backoffMs" | "maxBackoffMs">,
  rng: Rng,
): number {
  return Math.min(opts.maxBackoffMs, opts.backoffMs * 2 ** k) * (0.5 + 0.5 * rng.float());
}

interface _Failure {
  reason: string;
  retryable: boolean;
  status?: number;
  snippet?: string;
  retryAfterMs?: number;
}

class _Timeout extends Error {}

function _sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

async function _attempt(
  url: string,
  payload: string,
  opts: PostOptions,
): Promise<{ ok: PostResult } | { fail: _Failure }> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(new _Timeout()), opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([ctrl.signal, opts.signal]) : ctrl.signal;
  let status: number | undefined;
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...opts.headers },
      body: payload,
      signal,
    });
    status = res.status;
    const text = await res.text();
    const snippet = snippetOf(text);
    if (res.ok) {
      try {
        return { ok: { status, body: JSON.parse(text), text, attempts: 0 } };
      } catch (e) {
        return {
          fail: {
            reason: `malformed reply: not JSON (${(e as Error).message})`,
            retryable: false,
            status,
            snippet,
          },
        };
      }
    }
    if (status === 401 || status === 403) {
      const key = opts.apiKeyEnv ? ` (API key from $${opts.apiKeyEnv})` : "";
      return {
        fail: { reason: `the server refused the API key${key}`, retryable: false, status, snippet },
      };
    }
    const retryable = status === 429 || status === 408 || status >= 500;
    return {
      fail: {
        reason: retryable ? "server busy or failing" : "request rejected",
        retryable,
        status,
        snippet,
        retryAfterMs: parseRetryAfter(res.headers.get("retry-after")),
      },
    };
  } catch (e) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (ctrl.signal.aborted && ctrl.signal.reason instanceof _Timeout) {
      const part = status === undefined ? "no reply" : `reply (HTTP ${status}) not complete`;
      return { fail: { reason: `${part} within ${opts.timeoutMs} ms`, retryable: true, status } };
    }
    const msg = (e as Error).message ?? String(e);
    return {
      fail: { reason: `connection failed (${msg.split("\n")[0]})`, retryable: true, status },
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * POST `payload` as JSON to `url` and parse the JSON reply, retrying transient failures.
 *
 * @param url the endpoint.
 * @param payload any JSON-serialisable value.
 * @param opts headers, timeout, retries, jitter source and cancellation.
 * @returns the parsed 2xx reply.
 * @throws {HttpPolicyError} naming the URL, status and the reply's beginning when the server
 *   refuses the request, answers something that is not JSON, or stays down after the retries.
 */
export async function postJson(
  url: string,
  payload: unknown,
  opts: PostOptions,
): Promise<PostResult> {
  const body = JSON.stringify(payload);
  for (let attempt = 0;; attempt++) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    const r = await _attempt(url, body, opts);
    if ("ok" in r) return { ...r.ok, attempts: attempt + 1 };
    const f = r.fail;
    if (!f.retryable || attempt >= opts.maxRetries) {
      const attempts = attempt + 1;
      const status = f.status === undefined ? "" : ` (HTTP ${f.status})`;
      const after = f.retryable ? ` after ${attempts} attempt${attempts === 1 ? "" : "s"}` : "";
      const reply = f.snippet === undefined ? "" : `; reply begins ${f.snippet}`;
      throw new HttpPolicyError(`POST ${url}: ${f.reason}${status}${after}${reply}`, {
        url,
        status: f.status,
        snippet: f.snippet,
        attempts,
        retryable: f.retryable,
      });
    }
    const wait = f.retryAfterMs !== undefined
      ? Math.min(f.retryAfterMs, opts.maxRetryAfterMs)
      : backoffDelay(attempt, opts, opts.rng);
    await _sleep(wait, opts.signal);
  }
}
