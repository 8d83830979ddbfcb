/**
 * Answering one completion request, whole or streamed. Each of the request's `n` choices is a
 * row of the batcher with its own seed (choice 0 the request's seed, choice i `deriveSeed(seed,
 * i)`), its own stop-string watcher and, when streaming, its own Server-Sent Events: a first
 * chunk with the role, chunks of new text (and their tokens' log-probs) as tokens are sampled, a
 * last chunk with the finish reason, then — with `stream_options.include_usage` — a chunk with no
 * choices and the usage, then `data: [DONE]`. A client that disconnects from a stream aborts its
 * rows: queued rows leave the queue, running rows end at their next token.
 *
 * @module
 */
import { deriveSeed } from "../util/rng.ts";
import type { Batcher } from "./batcher.ts";
import { ChoiceText } from "./choice_text.ts";
import type { ParsedRequest } from "./protocol.ts";
import {
  chatReply,
  type ChoiceOut,
  chunkReply,
  completionReply,
  completionTokens,
  type ReplyMeta,
  usageChunk,
} from "./replies.ts";
import type { RowHooks, RowToken, ServedPolicy } from "./types.ts";

/** What answering needs from the server. */
export interface CompleteContext {
  /** The served policy. */
  served: ServedPolicy;
  /** The batcher in front of it. */
  batcher: Batcher;
  /** Reports a policy failure. */
  onError: (message: string) => void;
}

/**
 * The seed of choice `i` of a request with seed `seed`.
 *
 * @param seed the request's stream seed.
 * @param i choice index.
 * @returns `seed` for choice 0 (so `n: 1` answers as before), else `deriveSeed(seed, i)`.
 */
export function choiceSeed(seed: number, i: number): number {
  return i === 0 ? seed : deriveSeed(seed, i);
}

function _failure(ctx: CompleteContext, e: unknown): Record<string, unknown> {
  const msg = (e as Error)?.message ?? String(e);
  ctx.onError(`serve: policy ${ctx.served.name} failed: ${msg}`);
  return {
    error: { message: `policy failed: ${msg}`, type: "server_error", param: null, code: 500 },
  };
}

/**
 * Answer a checked request.
 *
 * @param ctx policy, batcher, error sink.
 * @param r the request.
 * @param seed its stream seed.
 * @param meta reply id, model, time, token text.
 * @returns the HTTP response (JSON, or an event stream when `r.stream`).
 */
export async function answer(
  ctx: CompleteContext,
  r: ParsedRequest,
  seed: number,
  meta: ReplyMeta,
): Promise<Response> {
  const abort = new AbortController();
  const watchers = Array.from({ length: r.n }, () => new ChoiceText(r.stop, ctx.served.decode));
  if (!r.stream) {
    try {
      const cs = await Promise.all(
        watchers.map((w, i) =>
          ctx.batcher.submit(r.input, r.options, choiceSeed(seed, i), {
            onToken: (t) => w.push(t.token),
          }, abort.signal)
        ),
      );
      const choices: ChoiceOut[] = cs.map((c, i) => ({ completion: c, ...watchers[i].finish(c) }));
      const body = r.kind === "chat" ? chatReply(choices, meta) : completionReply(choices, meta);
      return Response.json(body);
    } catch (e) {
      return Response.json(_failure(ctx, e), { status: 500 });
    }
  }
  return _stream(ctx, r, seed, meta, watchers, abort);
}

function _stream(
  ctx: CompleteContext,
  r: ParsedRequest,
  seed: number,
  meta: ReplyMeta,
  watchers: ChoiceText[],
  abort: AbortController,
): Response {
  const enc = new TextEncoder();
  let out: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  const write = (line: string) => {
    if (closed) return;
    try {
      out.enqueue(enc.encode(line));
    } catch {
      closed = true;
    }
  };
  const send = (obj: unknown) => write(`data: ${JSON.stringify(obj)}\n\n`);
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      out = c;
    },
    cancel() {
      closed = true;
      abort.abort();
    },
  });
  const pending: RowToken[][] = watchers.map(() => []);
  const sentTokens = watchers.map(() => 0);
  const sentText = watchers.map(() => 0);
  const piece = (
    index: number,
    text: string,
    tokens: RowToken[],
    finish: "stop" | "length" | null,
  ) => {
    send(
      chunkReply(
        r.kind,
        { index, text, tokens, finishReason: finish },
        meta,
        r.includeUsage,
        sentText[index],
      ),
    );
    sentTokens[index] += tokens.length;
    sentText[index] += text.length;
  };
  if (r.kind === "chat") {
    watchers.forEach((_, index) =>
      send(
        chunkReply(
          "chat",
          { index, text: "", tokens: [], finishReason: null, first: true },
          meta,
          r.includeUsage,
        ),
      )
    );
  }
  const rows = watchers.map((w, i) => {
    const hooks: RowHooks = {
      onToken: (t) => {
        const end = w.push(t.token);
        pending[i].push(t);
        const delta = w.takeDelta();
        if (delta !== "" || (meta.logprobs && !end)) {
          piece(i, delta, pending[i], null);
          pending[i] = [];
        }
        return end;
      },
    };
    return ctx.batcher.submit(r.input, r.options, choiceSeed(seed, i), hooks, abort.signal)
      .then((c) => {
        const fin = w.finish(c);
        piece(i, fin.delta, completionTokens(c).slice(sentTokens[i]), fin.finishReason);
        return c;
      });
  });
  Promise.all(rows).then(
    (cs) => {
      if (r.includeUsage) send(usageChunk(r.kind, cs, meta));
    },
    (e) => {
      if (!abort.signal.aborted) send(_failure(ctx, e));
    },
  ).finally(() => {
    write("data: [DONE]\n\n");
    if (!closed) {
      closed = true;
      try {
        out.close();
      } catch { /* the client is gone */ }
    }
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
    },
  });
}
