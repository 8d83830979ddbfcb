/**
 * An OpenAI-compatible HTTP server over any policy: `POST /v1/chat/completions`,
 * `POST /v1/completions`, `GET /v1/models` and `GET /health` (never behind the key; it also
 * reports request and batching counters). Concurrent requests are batched into shared policy
 * calls (see {@link Batcher}); a request's `seed` fixes its sampling stream, so the same request
 * gives the same answer whatever it was batched with. Binds 127.0.0.1 unless told otherwise.
 * Bad requests — malformed JSON, bodies over the size limit (413), `max_tokens` over the limit,
 * invalid parameters — get an OpenAI error object with a reason; a policy failure is a 500 for
 * the requests of that batch only. `stream: true` answers Server-Sent Events (see
 * {@link answer}); `n`, `stop`, `top_logprobs` and `max_completion_tokens` are supported, and
 * fields that would change the answer but are not implemented are refused by name (see
 * `protocol.ts`).
 *
 * @module
 */
import type { Policy } from "../policy/types.ts";
import { Rng } from "../util/rng.ts";
import { toServed } from "./adapters.ts";
import { Batcher, type BatcherOptions, type BatcherStats } from "./batcher.ts";
import { parseRequest, RequestError } from "./protocol.ts";
import { answer } from "./complete.ts";
import { errorReply } from "./replies.ts";
import type { ServedPolicy } from "./types.ts";

/** Options of {@link createServer}. */
export interface ServeOptions extends BatcherOptions {
  /** Interface to bind (default `127.0.0.1`: this machine only). */
  hostname?: string;
  /** Port (default 0: any free port; read it from the handle). */
  port?: number;
  /** Model id in `/v1/models` and replies; requests naming another model get a 404 (default: the policy's name). */
  modelName?: string;
  /** When set, `/v1/*` requires `Authorization: Bearer <apiKey>` (401 otherwise). */
  apiKey?: string;
  /** Largest `max_tokens` a request may ask for (default 1024). */
  maxTokensLimit?: number;
  /** `max_tokens` of a request that gives none (default 64, at most the limit). */
  defaultMaxTokens?: number;
  /** Largest request body in bytes (default 1 MiB; larger gets 413). */
  maxBodyBytes?: number;
  /** Seed of the streams given to requests without a `seed` (default 0). */
  seed?: number;
  /** Where internal errors (policy failures) are reported (default `console.error`). */
  onError?: (message: string) => void;
}

/** Counters of a running server. */
export interface ServerStats {
  /** Requests received, all paths. */
  requests: number;
  /** Replies with status 2xx. */
  ok: number;
  /** Replies with status 4xx. */
  rejected: number;
  /** Replies with status 5xx. */
  failed: number;
  /** Batching counters (policy calls, rows, largest batch). */
  batches: BatcherStats;
}

/** A running server. */
export interface ServeHandle {
  /** Base URL of the API, e.g. `http://127.0.0.1:41234/v1`. */
  readonly url: string;
  /** Bound interface. */
  readonly hostname: string;
  /** Bound port. */
  readonly port: number;
  /** Counters. */
  readonly stats: ServerStats;
  /** Stop accepting connections and wait for requests in flight. */
  close(): Promise<void>;
  /** Resolves when the server has stopped. */
  readonly finished: Promise<void>;
}

function _json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

async function _readBody(req: Request, max: number): Promise<string> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > max) {
    throw new RequestError(413, `request body of ${declared} bytes exceeds the limit of ${max}`);
  }
  if (req.body === null) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw new RequestError(413, `request body exceeds the limit of ${max} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(all);
  } catch {
    throw new RequestError(400, "the request body is not UTF-8");
  }
}

function _sameKey(given: string, key: string): boolean {
  const enc = new TextEncoder();
  const a = enc.encode(given), b = enc.encode(key);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i]; // time does not depend on a match
  return diff === 0;
}

/**
 * Serve a policy over HTTP.
 *
 * @param policy a `LapPolicy` (batched), any `Policy` (one call per request) or a
 *   {@link ServedPolicy}.
 * @param opts address, limits, key, batching.
 * @returns the running server; close it with {@link ServeHandle.close}.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createServer } from "./server.ts";
 * import { RandomPolicy } from "../policy/scripted.ts";
 * const server = createServer(new RandomPolicy(), { port: 0 });
 * const res = await fetch(`${server.url}/models`);
 * assert.deepEqual((await res.json()).data[0].id, "random");
 * await server.close();
 * ```
 */
export function createServer(policy: Policy | ServedPolicy, opts: ServeOptions = {}): ServeHandle {
  const served = toServed(policy);
  const modelName = opts.modelName ?? served.name;
  const maxTokensLimit = opts.maxTokensLimit ?? 1024;
  const limits = { maxTokensLimit, defaultMaxTokens: opts.defaultMaxTokens ?? 64 };
  const maxBody = opts.maxBodyBytes ?? 1 << 20;
  for (const [k, v] of [["maxTokensLimit", maxTokensLimit], ["maxBodyBytes", maxBody]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new Error(`createServer: ${k} must be an integer ≥ 1, got ${v}`);
    }
  }
  const onError = opts.onError ?? ((m: string) => console.error(m));
  const batcher = new Batcher(served, opts);
  const rng = new Rng(opts.seed ?? 0);
  const stats: ServerStats = { requests: 0, ok: 0, rejected: 0, failed: 0, batches: batcher.stats };
  let ids = 0;
  const created = () => Math.floor(Date.now() / 1000);
  const tokenText = served.tokenText ?? ((id: number) => `token_id:${id}`);
  const ctx = { served, batcher, onError };

  async function complete(kind: "chat" | "completions", req: Request): Promise<Response> {
    if (req.method !== "POST") {
      throw new RequestError(405, `${req.method} is not allowed here; use POST`);
    }
    const text = await _readBody(req, maxBody);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new RequestError(400, `malformed JSON in the request body: ${(e as Error).message}`);
    }
    const r = parseRequest(kind, body, limits);
    if (r.model !== undefined && r.model !== modelName) {
      throw new RequestError(
        404,
        `model ${JSON.stringify(r.model)} is not served here; this server serves ${
          JSON.stringify(modelName)
        }`,
        "model",
        "not_found_error",
      );
    }
    const why = served.check?.(r.input, r.options);
    if (why !== undefined) {
      throw new RequestError(400, why, kind === "chat" ? "messages" : "prompt");
    }
    const meta = {
      id: `${kind === "chat" ? "chatcmpl" : "cmpl"}-${ids++}`,
      model: modelName,
      created: created(),
      logprobs: r.logprobs,
      tokenText,
    };
    return await answer(ctx, r, r.seed ?? rng.nextU32(), meta);
  }

  async function route(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname.replace(/\/+$/, "") || "/";
    if (path === "/health") {
      const b = batcher.stats;
      return _json(200, {
        status: "ok",
        model: modelName,
        requests: stats.requests,
        policy_calls: b.calls,
        rows: b.rows,
        max_batch: b.maxBatch,
        aborted_rows: b.aborted,
      });
    }
    if (!path.startsWith("/v1/")) {
      throw new RequestError(
        404,
        `no route ${path}; the API is under /v1`,
        null,
        "not_found_error",
      );
    }
    if (opts.apiKey !== undefined) {
      const auth = req.headers.get("authorization") ?? "";
      const m = /^Bearer\s+(.+)$/i.exec(auth);
      if (!m || !_sameKey(m[1].trim(), opts.apiKey)) {
        throw new RequestError(
          401,
          "missing or wrong API key (send Authorization: Bearer <key>)",
          null,
          "authentication_error",
        );
      }
    }
    if (path === "/v1/models") {
      if (req.method !== "GET") {
        throw new RequestError(405, `${req.method} is not allowed here; use GET`);
      }
      return _json(200, {
        object: "list",
        data: [{ id: modelName, object: "model", created: created(), owned_by: "msgrpo" }],
      });
    }
    if (path === "/v1/chat/completions") return await complete("chat", req);
    if (path === "/v1/completions") return await complete("completions", req);
    throw new RequestError(404, `no route ${path}`, null, "not_found_error");
  }

  const server = Deno.serve({
    hostname: opts.hostname ?? "127.0.0.1",
    port: opts.port ?? 0,
    onListen: () => {},
  }, async (req) => {
    stats.requests++;
    let res: Response;
    try {
      res = await route(req);
    } catch (e) {
      if (e instanceof RequestError) {
        res = _json(e.status, errorReply(e));
      } else {
        const msg = (e as Error)?.message ?? String(e);
        onError(`serve: internal error: ${msg}`);
        res = _json(500, {
          error: {
            message: `internal error: ${msg}`,
            type: "server_error",
            param: null,
            code: 500,
          },
        });
      }
    }
    if (res.status < 300) stats.ok++;
    else if (res.status < 500) stats.rejected++;
    else stats.failed++;
    return res;
  });
  const addr = server.addr as Deno.NetAddr;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return {
    url: `http://${host}:${addr.port}/v1`,
    hostname: addr.hostname,
    port: addr.port,
    stats,
    close: () => server.shutdown(),
    finished: server.finished,
  };
}
