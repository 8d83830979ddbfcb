/**
 * Request batching across concurrent clients: requests that arrive within a short window (or
 * while the policy is busy with the previous batch) and share their sampling settings go into one
 * `actRows` call, each row with its own seed. One batch runs at a time — the model is one device —
 * and whatever queued up meanwhile forms the next batch at once. A request whose signal aborts
 * while it waits leaves the queue at once; one that aborts while its batch runs ends its row at
 * the next token (through its {@link RowHooks}), so a client that leaves frees its slot.
 *
 * @module
 */
import type { Completion } from "../policy/types.ts";
import type { RowHooks, RowOptions, ServedPolicy, ServeInput } from "./types.ts";

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
  /** Rows whose request was aborted (client gone) before they finished. */
  aborted: number;
}

interface _Entry {
  input: ServeInput;
  options: RowOptions;
  key: string;
  seed: number;
  hooks: RowHooks;
  signal?: AbortSignal;
  resolve: (c: Completion) => void;
  reject: (e: unknown) => void;
}

/**
 * Collects requests into batched policy calls.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
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
 * assert.deepEqual([out.map((c) => c.text), calls], [["a/7", "b/8"], 1]);
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
  readonly stats: BatcherStats = { rows: 0, calls: 0, maxBatch: 0, aborted: 0 };

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
   * @param hooks its token callback (see {@link RowHooks}).
   * @param signal aborts the row: dropped from the queue, or ended at its next token.
   * @returns its completion, once its batch has run (rejects when aborted while queued).
   */
  submit(
    input: ServeInput,
    options: RowOptions,
    seed: number,
    hooks: RowHooks = {},
    signal?: AbortSignal,
  ): Promise<Completion> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        this.stats.aborted++;
        return reject(new DOMException("the request was aborted", "AbortError"));
      }
      const o = options;
      const key = `${o.temperature}|${o.topP}|${o.topK}|${o.maxNewTokens}|${o.topLogprobs ?? 0}`;
      const entry: _Entry = { input, options, key, seed, hooks, signal, resolve, reject };
      this.#pending.push(entry);
      this.stats.rows++;
      signal?.addEventListener("abort", () => {
        const at = this.#pending.indexOf(entry);
        if (at < 0) return; // running: its hook ends the row
        this.#pending.splice(at, 1);
        this.stats.aborted++;
        reject(new DOMException("the request was aborted", "AbortError"));
      }, { once: true });
      this.#schedule();
    });
  }

  #rowHooks(e: _Entry): RowHooks {
    let counted = false;
    return {
      onToken: (t) => {
        if (e.signal?.aborted) {
          if (!counted) this.stats.aborted++;
          counted = true;
          return true;
        }
        return e.hooks.onToken?.(t);
      },
    };
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
            batch.map((e) => this.#rowHooks(e)),
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
