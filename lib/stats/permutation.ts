/**
 * Two-sided permutation tests of a difference in means between two arms, and Holm's adjustment
 * for a family of tests.
 *
 * - **Unpaired** ({@link permutationTest}): under the null hypothesis the arm labels are
 *   exchangeable. The statistic is |mean(a) − mean(b)|; the p-value is the share of the
 *   C(n + m, n) relabellings of the pooled values whose statistic is ≥ the observed one (up to a
 *   relative tolerance of 1e-9, so float noise does not drop ties). The relabellings are
 *   enumerated exactly when there are at most `maxExact` of them (default 100 000: 5 vs 5 = 252,
 *   8 vs 8 = 12 870); otherwise `resamples` random relabellings (default 10 000) are drawn with a
 *   seeded {@link Rng} and p = (1 + hits) / (1 + resamples), which never reports 0.
 * - **Paired** ({@link signFlipTest}): for arms measured on the same seeds, the differences
 *   d_i = a_i − b_i have signs exchangeable under the null; the statistic is |mean(d)| over the
 *   2^n sign flips (exact up to `maxExact`, else Monte Carlo as above).
 * - The smallest p an exact test can give is its granularity: 2/252 ≈ 0.008 for 5 vs 5 unpaired,
 *   but 2/32 = 0.0625 for 5 paired seeds, which can therefore never reach 0.05.
 *
 * @module
 */
import { Rng } from "../util/rng.ts";
import { mean } from "./describe.ts";

/** The result of a permutation test. */
export interface PermutationResult {
  /** Two-sided p-value. */
  p: number;
  /** The observed difference mean(a) − mean(b) (signed). */
  difference: number;
  /** `exact` (every relabelling enumerated) or `monte-carlo`. */
  method: "exact" | "monte-carlo";
  /** Relabellings (or sign flips) enumerated or drawn. */
  count: number;
}

/** Options of the permutation tests. */
export interface PermutationOptions {
  /** Enumerate exactly when there are at most this many relabellings (default 100 000). */
  maxExact?: number;
  /** Random relabellings when not exact (default 10 000). */
  resamples?: number;
  /** Seed of the Monte Carlo {@link Rng} (default 14). */
  seed?: number;
}

const _TOL = 1e-9;

function _binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = r * (n - k + i) / i;
  return Math.round(r);
}

function _reaches(stat: number, observed: number): boolean {
  return stat >= observed - _TOL * Math.max(1, Math.abs(observed));
}

function _check(name: string, xs: readonly number[]): void {
  if (xs.length === 0) throw new Error(`${name}: an arm has no values`);
  if (!xs.every(Number.isFinite)) throw new Error(`${name}: values must be finite numbers`);
}

/**
 * Two-sided permutation test of mean(a) ≠ mean(b) for independent arms.
 *
 * @param a one value per seed of the first arm.
 * @param b one value per seed of the second arm.
 * @param opts maxExact, resamples, seed.
 * @returns p, the observed difference, the method and the number of relabellings.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { permutationTest } from "./permutation.ts";
 * // 20 ways to choose 3 of 6; only {1,2,3} and {4,5,6} reach |difference| = 3
 * const r = permutationTest([1, 2, 3], [4, 5, 6]);
 * assert.equal(r.p, 0.1);
 * assert.equal(r.difference, -3);
 * assert.equal(r.method, "exact");
 * assert.equal(r.count, 20);
 * ```
 */
export function permutationTest(
  a: readonly number[],
  b: readonly number[],
  opts: PermutationOptions = {},
): PermutationResult {
  _check("permutationTest", a);
  _check("permutationTest", b);
  const pooled = [...a, ...b], n = pooled.length, na = a.length;
  const total = pooled.reduce((s, x) => s + x, 0);
  const stat = (sumA: number) => Math.abs(sumA / na - (total - sumA) / (n - na));
  const difference = mean(a) - mean(b);
  const observed = Math.abs(difference);
  const splits = _binom(n, na);
  if (splits <= (opts.maxExact ?? 100_000)) {
    let hits = 0, count = 0;
    // enumerate the subsets of size na (indices in increasing order)
    const idx = Array.from({ length: na }, (_, i) => i);
    while (true) {
      let s = 0;
      for (const i of idx) s += pooled[i];
      count++;
      if (_reaches(stat(s), observed)) hits++;
      let k = na - 1;
      while (k >= 0 && idx[k] === n - na + k) k--;
      if (k < 0) break;
      idx[k]++;
      for (let j = k + 1; j < na; j++) idx[j] = idx[j - 1] + 1;
    }
    return { p: hits / count, difference, method: "exact", count };
  }
  const resamples = opts.resamples ?? 10_000;
  const rng = new Rng(opts.seed ?? 14);
  const work = [...pooled];
  let hits = 0;
  for (let r = 0; r < resamples; r++) {
    // partial Fisher–Yates: the first na entries are a uniform random subset
    let s = 0;
    for (let i = 0; i < na; i++) {
      const j = i + rng.int(n - i);
      [work[i], work[j]] = [work[j], work[i]];
      s += work[i];
    }
    if (_reaches(stat(s), observed)) hits++;
  }
  return { p: (1 + hits) / (1 + resamples), difference, method: "monte-carlo", count: resamples };
}

/**
 * Two-sided paired permutation (sign-flip) test of mean(a − b) ≠ 0, for arms run on the same
 * seeds (a[i] and b[i] share seed i).
 *
 * @param a one value per seed of the first arm.
 * @param b the second arm, same seeds in the same order.
 * @param opts maxExact, resamples, seed.
 * @returns p, the observed mean difference, the method and the number of sign flips.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signFlipTest } from "./permutation.ts";
 * // d = [1, 2, 3]: of the 8 sign flips only +++ and −−− reach |mean| = 2
 * const r = signFlipTest([2, 4, 6], [1, 2, 3]);
 * assert.equal(r.p, 0.25);
 * assert.equal(r.difference, 2);
 * ```
 */
export function signFlipTest(
  a: readonly number[],
  b: readonly number[],
  opts: PermutationOptions = {},
): PermutationResult {
  _check("signFlipTest", a);
  _check("signFlipTest", b);
  if (a.length !== b.length) {
    throw new Error(`signFlipTest: paired arms need equal lengths, got ${a.length}, ${b.length}`);
  }
  const d = a.map((x, i) => x - b[i]), n = d.length;
  const difference = mean(d), observed = Math.abs(difference);
  const flips = 2 ** n;
  if (n <= 30 && flips <= (opts.maxExact ?? 100_000)) {
    let hits = 0;
    for (let m = 0; m < flips; m++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (m >> i) & 1 ? -d[i] : d[i];
      if (_reaches(Math.abs(s / n), observed)) hits++;
    }
    return { p: hits / flips, difference, method: "exact", count: flips };
  }
  const resamples = opts.resamples ?? 10_000;
  const rng = new Rng(opts.seed ?? 14);
  let hits = 0;
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += rng.float() < 0.5 ? -d[i] : d[i];
    if (_reaches(Math.abs(s / n), observed)) hits++;
  }
  return { p: (1 + hits) / (1 + resamples), difference, method: "monte-carlo", count: resamples };
}

/**
 * Holm's step-down adjustment of a family of p-values (controls the family-wise error rate):
 * sort ascending, multiply the k-th smallest (k from 0) by (m − k), keep the running maximum, cap
 * at 1. A test is rejected at level α when its adjusted p ≤ α.
 *
 * @param ps the family's p-values.
 * @returns the adjusted p-values, in the input order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { holm } from "./permutation.ts";
 * // sorted 0.01, 0.03, 0.04 → 0.03, 0.06, max(0.06, 0.04) = 0.06
 * assert.deepEqual(holm([0.04, 0.01, 0.03]).map((p) => +p.toFixed(10)), [0.06, 0.03, 0.06]);
 * ```
 */
export function holm(ps: readonly number[]): number[] {
  const m = ps.length;
  const order = ps.map((p, i) => [p, i] as const).sort((x, y) => x[0] - y[0]);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(([p, i], k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}
