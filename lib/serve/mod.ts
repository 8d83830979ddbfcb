/**
 * Our OpenAI-compatible server: any policy behind `/v1/chat/completions`, `/v1/completions`,
 * `/v1/models` and `/health`, with request batching across concurrent clients, per-request
 * seeds, log-probs with token ids, an optional API key, and size and `max_tokens` limits.
 *
 * @module
 */
export type { RowOptions, ServedPolicy, ServeInput } from "./types.ts";
export { isServedPolicy, servedLap, servedPolicy, toServed } from "./adapters.ts";
export { Batcher, type BatcherOptions, type BatcherStats } from "./batcher.ts";
export {
  type ParsedRequest,
  type ParseLimits,
  parseRequest,
  RequestError,
  streamSeed,
} from "./protocol.ts";
export { chatReply, completionReply, errorReply, type ReplyMeta } from "./replies.ts";
export { createServer, type ServeHandle, type ServeOptions, type ServerStats } from "./server.ts";
