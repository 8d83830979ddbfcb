/**
 * Request batching across concurrent clients: requests that arrive within a short window (or
 * while the policy is busy with the previous batch) and share their sampling settings go into one
 * `actRows` call, each row with its own seed. One batch runs at a time — the model is one device —
 * and whatever queued up meanwhile forms the next batch at once.
 *
 * @module
 */
import type { Completion } from "../policy/types.ts";
import type { RowOptions, ServedPolicy, ServeInput } from "./types.ts";

/** Options of {@link Batcher}. */
export interface BatcherOptions {
  /** Milliseconds to wait for more requests after the first one of an idle period (default 5). */
  windowMs?: number;
  /** Most rows in one policy call (default 32). */
  maxBatch?: number;
}

/** Counters of a {@link Batcher}. */
export interface BatcherStats {
  /** Rows submitted. */
  rows: number;
  /** Policy calls made. */
  calls: number;
  /** Largest batch so far. */
  maxBatch: number;
}

interface _Entry {
  input: ServeInput;
  options: RowOptions;
  key: string;
  seed: number;
  resolve: (c: Completion) => void;
  reject: (e: unknown) => void;
}

/**
 * Collects requests into batched policy calls.
 *
 * @example
 * ```ts
 * import { Batcher } from "./batcher.ts";
 * let calls = 0;
 * const echo = {
 *   name: "echo",
 *   actRows: (inputs: { prompt: string }[], _o: unknown, seeds: number[]) => {
 *     calls++;
 *     return Promise.resolve(inputs.map((x, i) => ({
 *       text: `${x.prompt}/${seeds[i]}`,
 *       finishReason: "stop" as const,
 *       usage: { promptTokens: 0, completionTokens: 0 },
 *     })));
 *   },
 * };
 * const b = new Batcher(echo as never);
 * const o = { temperature: 1, topP: 1, topK: 0, maxNewTokens: 4 };
 * const out = await Promise.all([b.submit({ prompt: "a" }, o, 7), b.submit({ prompt: "b" }, o, 8)]);
 * console.log(out.map((c) => c.text), calls); // ["a/7", "b/8"] 1
 * ```
 */
export class Batcher {
  readonly #policy: ServedPolicy;
  readonly #windowMs: number;
  readonly #maxBatch: number;
  #pending: _Entry[] = [];
  #running = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Counters. */
  readonly stats: BatcherStats = { rows: 0, calls: 0, maxBatch: 0 };

  /**
   * @param policy the policy to call.
   * @param opts window and batch cap.
   */
  constructor(policy: ServedPolicy, opts: BatcherOptions = {}) {
    this.#policy = policy;
    this.#windowMs = opts.windowMs ?? 5;
    this.#maxBatch = opts.maxBatch ?? 32;
    if (!(this.#windowMs >= 0)) {
      throw new Error(`Batcher: windowMs must be ≥ 0, got ${opts.windowMs}`);
    }
    if (!Number.isInteger(this.#maxBatch) || this.#maxBatch < 1) {
      throw new Error(`Batcher: maxBatch must be an integer ≥ 1, got ${opts.maxBatch}`);
    }
  }

  /**
   * Queue one row.
   *
   * @param input the request's input.
   * @param options its sampling settings (rows batch together only when these are equal).
   * @param seed its sampling stream seed.
   * @returns its completion, once its batch has run.
   */
  submit(input: ServeInput, options: RowOptions, seed: number): Promise<Completion> {
    return new Promise((resolve, reject) => {
      const key = `${options.temperature}|${options.topP}|${options.topK}|${options.maxNewTokens}`;
      this.#pending.push({ input, options, key, seed, resolve, reject });
      this.stats.rows++;
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#running || this.#timer !== undefined) return;
    const delay = this.#pending.length >= this.#maxBatch ? 0 : this.#windowMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#run();
    }, delay);
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#pending.length > 0) {
        const key = this.#pending[0].key;
        const batch: _Entry[] = [], rest: _Entry[] = [];
        for (const e of this.#pending) {
          (e.key === key && batch.length < this.#maxBatch ? batch : rest).push(e);
        }
        this.#pending = rest;
        this.stats.calls++;
        this.stats.maxBatch = Math.max(this.stats.maxBatch, batch.length);
        try {
          const out = await this.#policy.actRows(
            batch.map((e) => e.input),
            batch[0].options,
            batch.map((e) => e.seed),
          );
          if (out.length !== batch.length) {
            throw new Error(
              `policy ${this.#policy.name} returned ${out.length} completions for ${batch.length} inputs`,
            );
          }
          batch.forEach((e, i) => e.resolve(out[i]));
        } catch (err) {
          for (const e of batch) e.reject(err);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
