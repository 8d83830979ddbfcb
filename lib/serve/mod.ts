/**
 * Our OpenAI-compatible server: any policy behind `/v1/chat/completions`, `/v1/completions`,
 * `/v1/models` and `/health`, with request batching across concurrent clients, per-request
 * seeds, streaming (Server-Sent Events), `n` choices, stop strings, log-probs with top
 * alternatives and token ids, an optional API key, and size and `max_tokens` limits. What it
 * supports of the OpenAI API, field by field: `docs/serving.md`.
 *
 * @module
 */
export type { RowHooks, RowOptions, RowToken, ServedPolicy, ServeInput } from "./types.ts";
export { isServedPolicy, servedLap, servedPolicy, toServed } from "./adapters.ts";
export { Batcher, type BatcherOptions, type BatcherStats } from "./batcher.ts";
export {
  MAX_CHOICES,
  MAX_STOP,
  MAX_TOP_LOGPROBS,
  type ParsedRequest,
  type ParseLimits,
  parseRequest,
  RequestError,
  streamSeed,
} from "./protocol.ts";
export {
  chatReply,
  type ChoiceOut,
  chunkReply,
  completionReply,
  errorReply,
  type ReplyMeta,
  usageChunk,
} from "./replies.ts";
export { answer, choiceSeed } from "./complete.ts";
export { ChoiceText, findStop } from "./choice_text.ts";
export { createServer, type ServeHandle, type ServeOptions, type ServerStats } from "./server.ts";
