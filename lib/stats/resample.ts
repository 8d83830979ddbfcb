/**
 * Seed-bootstrap intervals (percentile method) of a mean, of a difference of means and of a
 * relative improvement (ratio of means − 1).
 *
 * - The unit resampled is the **seed** (one value per run): a sample of n values is redrawn n
 *   times with replacement, {@link BOOTSTRAP_RESAMPLES} times (10 000 unless told), with an
 *   {@link Rng} seeded by `seed` ({@link BOOTSTRAP_SEED} unless told), so every interval is
 *   reproducible bit for bit.
 * - Percentile method: the interval at level 1 − α is the α/2 and 1 − α/2 quantiles of the
 *   resampled statistic, quantiles taken by the inverse empirical distribution function
 *   ({@link percentile}: the smallest resampled value whose cumulative share reaches p). With
 *   10 000 resamples the 95% bounds are the 250th smallest and the 9 750th smallest values.
 * - Two arms are resampled independently (unpaired), or, with `paired`, by drawing seed indices
 *   once for both (the arms must then hold the same seeds in the same order).
 * - With 3–8 seeds the percentile interval is known to be too narrow (it cannot reach beyond the
 *   observed values): read it as a description of the seeds, not as a guarantee.
 *
 * @module
 */
import { Rng } from "../util/rng.ts";
import { mean } from "./describe.ts";

/** Resamples drawn by default. */
export const BOOTSTRAP_RESAMPLES = 10_000;

/** Seed of the resampling generator by default. */
export const BOOTSTRAP_SEED = 14;

/** A closed interval [lo, hi]. */
export interface Interval {
  /** Lower bound. */
  lo: number;
  /** Upper bound (may be +Infinity for a ratio, see {@link relativeImprovement}). */
  hi: number;
}

/** Options of the bootstrap functions. */
export interface BootstrapOptions {
  /** Number of resamples (default {@link BOOTSTRAP_RESAMPLES}). */
  resamples?: number;
  /** Seed of the resampling {@link Rng} (default {@link BOOTSTRAP_SEED}). */
  seed?: number;
  /** Coverage of the interval (default 0.95). */
  level?: number;
}

/**
 * The p-quantile of sorted values by the inverse empirical distribution function: the value at
 * index ⌈p·n⌉ − 1 (clamped to the list).
 *
 * @param sorted values in ascending order (non-empty).
 * @param p the probability, in [0, 1].
 * @returns the quantile.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { percentile } from "./resample.ts";
 * assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
 * assert.equal(percentile([1, 2, 3, 4], 0.51), 3);
 * assert.equal(percentile([1, 2, 3, 4], 0), 1);
 * ```
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error("percentile: no values");
  if (!(p >= 0 && p <= 1)) throw new Error(`percentile: p must be in [0, 1], got ${p}`);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i];
}

function _opts(o: BootstrapOptions): { resamples: number; seed: number; alpha: number } {
  const resamples = o.resamples ?? BOOTSTRAP_RESAMPLES;
  const level = o.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new Error(`bootstrap: resamples must be a positive integer, got ${resamples}`);
  }
  if (!(level > 0 && level < 1)) {
    throw new Error(`bootstrap: level must be in (0, 1), got ${level}`);
  }
  return { resamples, seed: o.seed ?? BOOTSTRAP_SEED, alpha: 1 - level };
}

function _check(name: string, xs: readonly number[]): void {
  if (xs.length === 0) throw new Error(`${name}: no values`);
  if (!xs.every(Number.isFinite)) throw new Error(`${name}: values must be finite numbers`);
}

/** Mean of one resample of `xs` drawn with `idx` (n indices). */
function _resampleMean(xs: readonly number[], idx: Int32Array): number {
  let s = 0;
  for (let i = 0; i < idx.length; i++) s += xs[idx[i]];
  return s / idx.length;
}

function _draw(rng: Rng, idx: Int32Array, n: number): Int32Array {
  for (let i = 0; i < idx.length; i++) idx[i] = rng.int(n);
  return idx;
}

function _interval(stats: number[], alpha: number): Interval {
  stats.sort((a, b) => a - b);
  return { lo: percentile(stats, alpha / 2), hi: percentile(stats, 1 - alpha / 2) };
}

/**
 * Seed-bootstrap percentile interval of the mean of `xs`.
 *
 * @param xs one value per seed (non-empty, finite).
 * @param opts resamples, seed, level.
 * @returns the interval.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bootstrapMean } from "./resample.ts";
 * // resampled means of [0, 0, 0, 0, 1] are k/5 with k ~ Binomial(5, 0.2):
 * // P(0) = 0.328, P(≤ 0.4) = 0.942, P(≤ 0.6) = 0.993, so the 95% interval is [0, 0.6]
 * assert.deepEqual(bootstrapMean([0, 0, 0, 0, 1]), { lo: 0, hi: 0.6 });
 * assert.deepEqual(bootstrapMean([0.3, 0.3]), { lo: 0.3, hi: 0.3 });
 * ```
 */
export function bootstrapMean(xs: readonly number[], opts: BootstrapOptions = {}): Interval {
  _check("bootstrapMean", xs);
  const { resamples, seed, alpha } = _opts(opts);
  const rng = new Rng(seed), idx = new Int32Array(xs.length);
  const stats = new Array<number>(resamples);
  for (let b = 0; b < resamples; b++) stats[b] = _resampleMean(xs, _draw(rng, idx, xs.length));
  return _interval(stats, alpha);
}

/**
 * Seed-bootstrap percentile interval of mean(a) − mean(b).
 *
 * @param a one value per seed of the first arm.
 * @param b one value per seed of the second arm.
 * @param opts resamples, seed, level; `paired`: resample seed indices jointly (same length).
 * @returns the interval.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bootstrapDiff } from "./resample.ts";
 * // constant arms: every resample gives the same difference
 * assert.deepEqual(bootstrapDiff([1, 1, 1], [0.25, 0.25]), { lo: 0.75, hi: 0.75 });
 * // paired: the differences are [1, 1, 1] whatever the seeds drawn
 * assert.deepEqual(bootstrapDiff([1, 2, 3], [0, 1, 2], { paired: true }), { lo: 1, hi: 1 });
 * ```
 */
export function bootstrapDiff(
  a: readonly number[],
  b: readonly number[],
  opts: BootstrapOptions & { paired?: boolean } = {},
): Interval {
  _check("bootstrapDiff", a);
  _check("bootstrapDiff", b);
  if (opts.paired) {
    if (a.length !== b.length) {
      throw new Error(
        `bootstrapDiff: paired arms need equal lengths, got ${a.length}, ${b.length}`,
      );
    }
    return bootstrapMean(a.map((x, i) => x - b[i]), opts);
  }
  const { resamples, seed, alpha } = _opts(opts);
  const rng = new Rng(seed), ia = new Int32Array(a.length), ib = new Int32Array(b.length);
  const stats = new Array<number>(resamples);
  for (let k = 0; k < resamples; k++) {
    const ma = _resampleMean(a, _draw(rng, ia, a.length));
    stats[k] = ma - _resampleMean(b, _draw(rng, ib, b.length));
  }
  return _interval(stats, alpha);
}

/** The relative improvement of {@link relativeImprovement}, with its interval. */
export interface RelativeImprovement {
  /** mean(after) / mean(base) − 1; null when mean(base) is 0. */
  estimate: number | null;
  /** Bootstrap percentile interval; null when `estimate` is null or undefined in a resample. */
  interval: Interval | null;
  /** Share of resamples whose base mean is 0 (their ratio counts as +Infinity). */
  zeroBaseShare: number;
  /** Why `estimate` or `interval` is null, else null. */
  note: string | null;
}

/**
 * Relative improvement of `after` over `base`, mean(after) / mean(base) − 1 (the paper's "x%
 * better"; a ratio of means, not a mean of ratios), with a seed-bootstrap percentile interval
 * (the arms resampled independently, or jointly with `paired`).
 *
 * Values must be ≥ 0 (success rates, non-negative returns). When mean(base) = 0 the estimate is
 * null ("undefined: the base mean is 0"). A resample whose base mean is 0 gives +Infinity when its
 * after mean is > 0 (so the upper bound can be +Infinity: the data do not bound the ratio), and
 * makes the interval null when its after mean is 0 too (0/0).
 *
 * @param after one value per seed of the improved arm (e.g. small + MS-GRPO).
 * @param base one value per seed of the reference arm (e.g. the large base).
 * @param opts resamples, seed, level, paired.
 * @returns estimate, interval, share of zero-base resamples, note.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { relativeImprovement } from "./resample.ts";
 * const r = relativeImprovement([0.6, 0.6], [0.4, 0.4]);
 * assert.ok(Math.abs(r.estimate! - 0.5) < 1e-12); // "50% better"
 * assert.equal(r.interval!.lo, r.interval!.hi);
 * assert.equal(relativeImprovement([0.5], [0]).estimate, null);
 * // base [0, 0.5]: a quarter of the resamples have base mean 0 → the upper bound is unbounded
 * const u = relativeImprovement([1, 1], [0, 0.5]);
 * assert.equal(u.estimate, 3);
 * assert.equal(u.interval!.hi, Infinity);
 * ```
 */
export function relativeImprovement(
  after: readonly number[],
  base: readonly number[],
  opts: BootstrapOptions & { paired?: boolean } = {},
): RelativeImprovement {
  _check("relativeImprovement", after);
  _check("relativeImprovement", base);
  if (![...after, ...base].every((x) => x >= 0)) {
    throw new Error("relativeImprovement: values must be ≥ 0");
  }
  const mb = mean(base);
  if (mb === 0) {
    return {
      estimate: null,
      interval: null,
      zeroBaseShare: 1,
      note: "undefined: the base mean is 0",
    };
  }
  if (opts.paired && after.length !== base.length) {
    throw new Error("relativeImprovement: paired arms need equal lengths");
  }
  const { resamples, seed, alpha } = _opts(opts);
  const rng = new Rng(seed);
  const ia = new Int32Array(after.length), ib = new Int32Array(base.length);
  const stats = new Array<number>(resamples);
  let zero = 0, undef = 0;
  for (let k = 0; k < resamples; k++) {
    _draw(rng, ia, after.length);
    if (opts.paired) ib.set(ia);
    else _draw(rng, ib, base.length);
    const ma = _resampleMean(after, ia), m0 = _resampleMean(base, ib);
    if (m0 === 0) {
      zero++;
      if (ma === 0) undef++;
      stats[k] = ma > 0 ? Infinity : NaN;
    } else stats[k] = ma / m0 - 1;
  }
  const estimate = mean(after) / mb - 1;
  const zeroBaseShare = zero / resamples;
  if (undef > 0) {
    return {
      estimate,
      interval: null,
      zeroBaseShare,
      note: `interval undefined: 0/0 in ${undef} of ${resamples} resamples`,
    };
  }
  return { estimate, interval: _interval(stats, alpha), zeroBaseShare, note: null };
}
