/**
 * Statistics of the experiments: across-seed comparisons of arms with honest intervals and
 * p-values. The unit of analysis is the **seed** (one run = one value, e.g. its success rate at
 * the final evaluation over the fixed evaluation episodes); episodes within a run are not
 * independent replications of the experiment and are never resampled.
 *
 * - Description ({@link summarize}): mean, sample standard deviation, Student-t 95% interval.
 * - Seed bootstrap ({@link bootstrapMean}, {@link bootstrapDiff}): percentile intervals from
 *   10 000 resamples of the seeds with a seeded {@link Rng} (reproducible), quantiles by the
 *   inverse empirical distribution function.
 * - Permutation tests, two-sided, on the difference of means: unpaired relabelling
 *   ({@link permutationTest}, exact up to 100 000 relabellings, else 10 000 seeded draws and
 *   p = (1 + hits)/(1 + draws)), and the paired sign-flip test ({@link signFlipTest}) for arms
 *   run on the same seeds; {@link holm} adjusts a family of p-values.
 * - Relative improvement ({@link relativeImprovement}): mean(after) / mean(base) − 1 (ratio of
 *   means) with its bootstrap interval; null with a note when the base mean is 0; an upper bound
 *   of +∞ when some resamples have a base mean of 0.
 * - Curves ({@link areaUnderCurve}, {@link iterationsToThreshold}, {@link censoredIterations}):
 *   trapezoid area normalised by the iteration span; first evaluation reaching a level.
 * - {@link compareArms} puts these together for one row of a results table.
 * - Planning ({@link permutationPower}): simulated power of the permutation test for n seeds.
 *
 * Training compute, where an experiment states it, is counted as ≈ 6 · parameters · tokens
 * FLOPs (forward + backward of a dense decoder, attention's own FLOPs neglected); evaluation-only
 * forward passes as ≈ 2 · parameters · tokens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareArms, formatInterval } from "./mod.ts";
 * const c = compareArms([0.8, 0.9, 1.0, 0.7, 0.9], [0.3, 0.5, 0.2, 0.4, 0.3], { relative: true });
 * assert.ok(c.permutation.p < 0.01); // 2 of 252 relabellings reach the observed difference
 * console.log(formatInterval(c.differenceInterval), c.relative!.estimate);
 * ```
 *
 * @module
 */
export { type ArmComparison, type ArmEstimate, compareArms, type CompareOptions } from "./arms.ts";
export { formatInterval } from "./arms.ts";
export {
  areaUnderCurve,
  type CensoredIterations,
  censoredIterations,
  type CurvePoint,
  iterationsToThreshold,
} from "./curve.ts";
export { groupBy, mean, std, summarize, type Summary, tQuantile975 } from "./describe.ts";
export {
  holm,
  type PermutationOptions,
  type PermutationResult,
  permutationTest,
  signFlipTest,
} from "./permutation.ts";
export { permutationPower, type PowerOptions } from "./power.ts";
export {
  BOOTSTRAP_RESAMPLES,
  BOOTSTRAP_SEED,
  bootstrapDiff,
  bootstrapMean,
  type BootstrapOptions,
  type Interval,
  percentile,
  type RelativeImprovement,
  relativeImprovement,
} from "./resample.ts";
export { Rng } from "../util/rng.ts";
