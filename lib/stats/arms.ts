/**
 * One comparison of two arms (one value per seed each), everything a results table reports:
 * each arm's mean and seed-bootstrap interval, the difference of means with its interval, the
 * two-sided permutation p-value (unpaired, and the sign-flip p when the arms share their seeds),
 * and optionally the relative improvement of the first arm over the second with its interval.
 * Defaults are those of {@link bootstrapMean} and {@link permutationTest}; every call with the
 * same values gives the same numbers.
 *
 * @module
 */
import { mean } from "./describe.ts";
import { type PermutationResult, permutationTest, signFlipTest } from "./permutation.ts";
import {
  bootstrapDiff,
  bootstrapMean,
  type BootstrapOptions,
  type Interval,
  type RelativeImprovement,
  relativeImprovement,
} from "./resample.ts";

/** An arm's mean over seeds with its bootstrap interval. */
export interface ArmEstimate {
  /** Seeds. */
  n: number;
  /** Mean over seeds. */
  mean: number;
  /** Seed-bootstrap percentile interval of the mean. */
  interval: Interval;
}

/** The comparison of arm a with arm b. */
export interface ArmComparison {
  a: ArmEstimate;
  b: ArmEstimate;
  /** mean(a) − mean(b). */
  difference: number;
  /** Bootstrap interval of the difference (unpaired). */
  differenceInterval: Interval;
  /** Unpaired two-sided permutation test. */
  permutation: PermutationResult;
  /** Paired sign-flip test (only with `seedsA`/`seedsB` given and equal), else null. */
  signFlip: PermutationResult | null;
  /** mean(a) / mean(b) − 1 with its interval (only with `relative`), else null. */
  relative: RelativeImprovement | null;
}

/** Options of {@link compareArms}. */
export interface CompareOptions extends BootstrapOptions {
  /** Also compute the relative improvement of a over b. */
  relative?: boolean;
  /** Seeds of a's values (enables the sign-flip test when equal to `seedsB` as sets). */
  seedsA?: readonly number[];
  /** Seeds of b's values. */
  seedsB?: readonly number[];
}

/**
 * Compare two arms.
 *
 * @param a one value per seed of the first arm (e.g. small + MS-GRPO, or `aaw`).
 * @param b one value per seed of the second arm.
 * @param opts bootstrap options, `relative`, the arms' seeds.
 * @returns the comparison.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareArms } from "./arms.ts";
 * const c = compareArms([4, 5, 6], [1, 2, 3], { seedsA: [1, 2, 3], seedsB: [3, 2, 1] });
 * assert.equal(c.difference, 3);
 * assert.equal(c.permutation.p, 0.1);
 * // paired by seed: d = [4 − 3, 5 − 2, 6 − 1] = [1, 3, 5]; only +++ and −−− reach |mean| 3
 * assert.equal(c.signFlip!.p, 0.25);
 * assert.equal(c.relative, null);
 * ```
 */
export function compareArms(
  a: readonly number[],
  b: readonly number[],
  opts: CompareOptions = {},
): ArmComparison {
  const est = (xs: readonly number[]): ArmEstimate => ({
    n: xs.length,
    mean: mean(xs),
    interval: bootstrapMean(xs, opts),
  });
  let signFlip: PermutationResult | null = null;
  const { seedsA, seedsB } = opts;
  if (seedsA && seedsB) {
    if (seedsA.length !== a.length || seedsB.length !== b.length) {
      throw new Error("compareArms: one seed per value is needed");
    }
    const same = seedsA.length === seedsB.length && seedsA.every((s) => seedsB.includes(s));
    if (same) {
      const bBySeed = new Map(seedsB.map((s, i) => [s, b[i]]));
      signFlip = signFlipTest(a, seedsA.map((s) => bBySeed.get(s)!));
    }
  }
  return {
    a: est(a),
    b: est(b),
    difference: mean(a) - mean(b),
    differenceInterval: bootstrapDiff(a, b, opts),
    permutation: permutationTest(a, b),
    signFlip,
    relative: opts.relative ? relativeImprovement(a, b, opts) : null,
  };
}

/**
 * An interval as text, `[lo, hi]`, with `∞` for infinite bounds and `—` for none.
 * @param iv the interval or null.
 * @param digits decimals (default 3).
 * @returns the text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatInterval } from "./arms.ts";
 * assert.equal(formatInterval({ lo: -0.01, hi: 0.2346 }), "[-0.010, 0.235]");
 * assert.equal(formatInterval({ lo: 1, hi: Infinity }, 1), "[1.0, ∞]");
 * assert.equal(formatInterval(null), "—");
 * ```
 */
export function formatInterval(iv: Interval | null, digits = 3): string {
  if (iv === null) return "—";
  const f = (x: number) => (x === Infinity ? "∞" : x === -Infinity ? "−∞" : x.toFixed(digits));
  return `[${f(iv.lo)}, ${f(iv.hi)}]`;
}
