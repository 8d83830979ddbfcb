/**
 * A concurrency limit: at most N tasks run at once, the rest wait in arrival order.
 *
 * @module
 */

/**
 * Runs async tasks with at most `limit` in flight.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConcurrencyLimit } from "./http_limit.ts";
 * const limit = new ConcurrencyLimit(2);
 * let peak = 0;
 * const tasks = [1, 2, 3, 4].map((x) =>
 *   limit.run(async () => {
 *     peak = Math.max(peak, limit.active);
 *     await new Promise((r) => setTimeout(r, 1));
 *     return x * 10;
 *   })
 * );
 * assert.deepEqual([await Promise.all(tasks), peak], [[10, 20, 30, 40], 2]);
 * ```
 */
export class ConcurrencyLimit {
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  /** @param limit the most tasks in flight (an integer ≥ 1). */
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new Error(`ConcurrencyLimit: limit must be an integer ≥ 1, got ${limit}`);
    }
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Run `task` once a slot is free.
   *
   * @param task the work.
   * @returns what the task returns (or its rejection).
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.limit) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#active++;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next(); // the slot passes straight to the next task
      else this.#active--;
    }
  }
}
