/**
 * Learning-rate schedules over training iterations: an optional linear warm-up, then constant or
 * a cosine decay that reaches `minRatio · lr` at the last iteration. Iterations count from 1, as
 * in the run tables; the value is a pure function of the iteration, so a resumed run gets the
 * same rates with nothing saved.
 *
 *     warm-up (i ≤ W):  lr · i / (W + 1)
 *     cosine  (i > W):  lr · (m + (1 − m) · (1 + cos(π · (i − W − 1) / (N − W − 1))) / 2)
 *
 * with N the last iteration and m = `minRatio` (the cosine starts at lr at iteration W + 1).
 *
 * @module
 */

/** Options of {@link learningRateAt}. */
export interface ScheduleOptions {
  /** Peak learning rate. */
  lr: number;
  /** `constant` or `cosine` after the warm-up. */
  schedule: "constant" | "cosine";
  /** Warm-up iterations W (0 = none). */
  warmup: number;
  /** The last iteration N of the run. */
  iterations: number;
  /** Cosine: the last iteration's rate as a fraction of `lr` (default 0). */
  minRatio?: number;
}

/**
 * The learning rate of iteration `i`.
 *
 * @param i the iteration (1 … N).
 * @param opts peak rate, schedule, warm-up and length.
 * @returns the rate.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { learningRateAt } from "./schedule.ts";
 * const opts = { lr: 1, schedule: "cosine" as const, warmup: 1, iterations: 4 };
 * assert.deepEqual([1, 2, 3, 4].map((i) => learningRateAt(i, opts).toFixed(2)),
 *   ["0.50", "1.00", "0.50", "0.00"]);
 * ```
 */
export function learningRateAt(i: number, opts: ScheduleOptions): number {
  const { lr, warmup, iterations } = opts;
  const m = opts.minRatio ?? 0;
  if (i <= warmup) return lr * i / (warmup + 1);
  if (opts.schedule === "constant") return lr;
  const span = iterations - warmup - 1;
  if (span <= 0) return lr;
  const progress = Math.min(1, (i - warmup - 1) / span);
  return lr * (m + (1 - m) * (1 + Math.cos(Math.PI * progress)) / 2);
}
