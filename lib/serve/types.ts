/**
 * What the server hands a policy: one input per request (chat messages or a raw prompt), shared
 * sampling settings, and one seed per row so every request samples from its own stream whatever
 * else shares its batch.
 *
 * @module
 */
import type { ChatMessage } from "../model/tokenizer.ts";
import type { Completion } from "../policy/types.ts";

/** One request's input: a conversation (chat endpoint) or a raw prompt (completions endpoint). */
export type ServeInput =
  | { messages: ChatMessage[] }
  | { prompt: string }
  | { promptIds: number[] };

/** Sampling settings shared by the rows of one policy call. */
export interface RowOptions {
  /** Softmax temperature (0 = greedy). */
  temperature: number;
  /** Nucleus mass (1 = off). */
  topP: number;
  /** Top-k (0 = off). */
  topK: number;
  /** Most tokens to generate per row. */
  maxNewTokens: number;
  /** Most likely alternatives to return per token (default 0 = none; at most 20). */
  topLogprobs?: number;
}

/** One generated token as a policy reports it while generating. */
export interface RowToken {
  /** The token id. */
  token: number;
  /** Its log-prob at temperature 1, when known. */
  logprob?: number;
  /** The most likely alternatives, when asked for (`RowOptions.topLogprobs`). */
  top?: { token: number; logprob: number }[];
}

/** What the server follows of one row while it is generated. */
export interface RowHooks {
  /**
   * Called with each generated token as soon as it is sampled; returning true ends the row
   * there (a stop string was completed, or the client left) and frees its batch slot.
   */
  onToken?(t: RowToken): boolean | void;
}

/**
 * A policy the server can batch: row i samples from `Rng(rowSeeds[i])`, so a request's answer
 * depends on its own seed and input only.
 */
export interface ServedPolicy {
  /** Name shown in `/v1/models` unless the server is given another. */
  readonly name: string;
  /**
   * Answer every input, one completion per input, in order.
   *
   * @param inputs the requests' inputs.
   * @param options sampling shared by the rows.
   * @param rowSeeds one sampling seed per row.
   * @param hooks per row, token callbacks (policies without a token stream may ignore them: the
   *   server then applies stop strings to the finished text).
   */
  actRows(
    inputs: ServeInput[],
    options: RowOptions,
    rowSeeds: number[],
    hooks?: RowHooks[],
  ): Promise<Completion[]>;
  /**
   * Why an input cannot be served (e.g. an empty prompt or a token id outside the vocabulary),
   * checked before batching; undefined when it can.
   */
  check?(input: ServeInput, options: RowOptions): string | undefined;
  /** Text of one token, for `logprobs.content[].token` (default `"token_id:N"`). */
  tokenText?(id: number): string;
  /**
   * Text of generated ids exactly as the completion's `text` would be, for streaming and stop
   * strings while a row is generated; without it the text arrives in one piece at the end.
   */
  decode?(ids: number[]): string;
  /** Release resources. */
  dispose?(): void;
}
