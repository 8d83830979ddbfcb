/**
 * Small statistics for across-seed summaries: mean, sample standard deviation, and Student-t 95%
 * confidence intervals (seed counts are small, so the normal 1.96 would be too narrow).
 *
 * @module
 */

/** Two-sided 97.5% quantiles of Student's t for 1 … 30 degrees of freedom. */
const _T975 = [
  12.706,
  4.303,
  3.182,
  2.776,
  2.571,
  2.447,
  2.365,
  2.306,
  2.262,
  2.228,
  2.201,
  2.179,
  2.16,
  2.145,
  2.131,
  2.12,
  2.11,
  2.101,
  2.093,
  2.086,
  2.08,
  2.074,
  2.069,
  2.064,
  2.06,
  2.056,
  2.052,
  2.048,
  2.045,
  2.042,
];

/**
 * The arithmetic mean.
 * @param xs values (non-empty).
 * @returns their mean (NaN for an empty list).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mean } from "./stats.ts";
 * assert.deepEqual(mean([1, 2, 3]), 2);
 * ```
 */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * The sample standard deviation (n − 1 in the denominator; 0 for fewer than two values).
 * @param xs values.
 * @returns the standard deviation.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { std } from "./stats.ts";
 * assert.deepEqual(std([1, 3]), 1.4142135623730951);
 * ```
 */
export function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/**
 * The 0.975 quantile of Student's t with `df` degrees of freedom (1.96 beyond 30).
 * @param df degrees of freedom (≥ 1).
 * @returns the quantile.
 */
export function tQuantile975(df: number): number {
  if (!(df >= 1)) throw new Error(`tQuantile975: df must be ≥ 1, got ${df}`);
  return df <= 30 ? _T975[Math.floor(df) - 1] : 1.96;
}

/** Mean, spread and 95% confidence interval of one group of values. */
export interface Summary {
  /** Number of values. */
  n: number;
  /** Mean. */
  mean: number;
  /** Sample standard deviation. */
  std: number;
  /** Half-width of the Student-t 95% confidence interval of the mean (0 when n < 2). */
  ci95: number;
  /** Smallest value. */
  min: number;
  /** Largest value. */
  max: number;
}

/**
 * Summarise values: mean, sample std, t-based 95% CI half-width, min and max.
 * @param xs values (non-empty).
 * @returns the summary.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarize } from "./stats.ts";
 * const s = summarize([0.5, 0.7, 0.6]);
 * assert.deepEqual([s.mean.toFixed(2), s.ci95.toFixed(3)], ["0.60", "0.248"]);
 * ```
 */
export function summarize(xs: readonly number[]): Summary {
  if (xs.length === 0) throw new Error("summarize: no values");
  const s = std(xs);
  return {
    n: xs.length,
    mean: mean(xs),
    std: s,
    ci95: xs.length < 2 ? 0 : tQuantile975(xs.length - 1) * s / Math.sqrt(xs.length),
    min: Math.min(...xs),
    max: Math.max(...xs),
  };
}

/**
 * Group items by a string key, keeping first-seen order.
 * @param items the items.
 * @param key the grouping key.
 * @returns a map from key to items.
 */
export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = out.get(k);
    if (list) list.push(it);
    else out.set(k, [it]);
  }
  return out;
}
