/**
 * Summaries of one run's evaluation curve (success at each evaluation iteration): area under the
 * curve and iterations to a threshold.
 *
 * - **Area under the curve**: trapezoid rule over the evaluation iterations, divided by the span
 *   (last iteration − first), so it is the curve's mean height, in the metric's units (0–1 for a
 *   success rate); a run that sits at 0.8 throughout scores 0.8. A single evaluation scores its
 *   value. Runs compared by it must share their evaluation iterations.
 * - **Iterations to a threshold**: the iteration of the first evaluation whose value is ≥ the
 *   threshold (iteration 0 counts), or null when none reaches it.
 * - **Censored iterations** ({@link censoredIterations}): a run that never reaches the threshold
 *   counts as its last iteration plus one evaluation interval (when it could next have been seen
 *   to reach it: a lower bound of the truth), and is flagged. Means of censored values are lower
 *   bounds; a permutation test on them stays valid when every arm has the same budget and
 *   evaluation schedule (the rule is the same for every run).
 *
 * @module
 */

/** One evaluation of a run. */
export interface CurvePoint {
  /** Iterations completed before the evaluation. */
  iteration: number;
  /** The metric (e.g. success rate over the evaluation episodes). */
  value: number;
}

function _sorted(points: readonly CurvePoint[], name: string): CurvePoint[] {
  if (points.length === 0) throw new Error(`${name}: no evaluation points`);
  const s = [...points].sort((a, b) => a.iteration - b.iteration);
  for (let i = 1; i < s.length; i++) {
    if (s[i].iteration === s[i - 1].iteration) {
      throw new Error(`${name}: two points at iteration ${s[i].iteration}`);
    }
  }
  return s;
}

/**
 * Area under the curve by the trapezoid rule, normalised by the iteration span.
 *
 * @param points the run's evaluations (any order; distinct iterations).
 * @returns the curve's mean height.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { areaUnderCurve } from "./curve.ts";
 * const p = (iteration: number, value: number) => ({ iteration, value });
 * assert.equal(areaUnderCurve([p(0, 0), p(10, 1)]), 0.5);
 * // (10·(0 + 1)/2 + 20·1) / 30 = 25/30
 * assert.equal(areaUnderCurve([p(0, 0), p(10, 1), p(30, 1)]), 25 / 30);
 * assert.equal(areaUnderCurve([p(40, 0.7)]), 0.7);
 * ```
 */
export function areaUnderCurve(points: readonly CurvePoint[]): number {
  const s = _sorted(points, "areaUnderCurve");
  if (s.length === 1) return s[0].value;
  let area = 0;
  for (let i = 1; i < s.length; i++) {
    area += (s[i].iteration - s[i - 1].iteration) * (s[i].value + s[i - 1].value) / 2;
  }
  return area / (s[s.length - 1].iteration - s[0].iteration);
}

/**
 * The iteration of the first evaluation reaching `threshold`, or null when none does.
 *
 * @param points the run's evaluations.
 * @param threshold the level (e.g. 0.8).
 * @returns the iteration, or null.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { iterationsToThreshold } from "./curve.ts";
 * const p = (iteration: number, value: number) => ({ iteration, value });
 * assert.equal(iterationsToThreshold([p(0, 0.1), p(20, 0.8), p(40, 0.9)], 0.8), 20);
 * assert.equal(iterationsToThreshold([p(0, 0.1), p(20, 0.78)], 0.8), null);
 * ```
 */
export function iterationsToThreshold(
  points: readonly CurvePoint[],
  threshold: number,
): number | null {
  const hit = _sorted(points, "iterationsToThreshold").find((p) => p.value >= threshold);
  return hit ? hit.iteration : null;
}

/** Iterations to a threshold with censoring (see the module doc). */
export interface CensoredIterations {
  /** Iterations to the threshold, or the censored value when it was never reached. */
  value: number;
  /** Whether the run never reached the threshold. */
  censored: boolean;
}

/**
 * Iterations to `threshold`, a never-reaching run counted as its last iteration plus one
 * evaluation interval (the last gap between evaluations) and flagged as censored.
 *
 * @param points the run's evaluations (at least two when the threshold may not be reached).
 * @param threshold the level.
 * @returns the value and whether it is censored.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { censoredIterations } from "./curve.ts";
 * const p = (iteration: number, value: number) => ({ iteration, value });
 * assert.deepEqual(censoredIterations([p(0, 0.9), p(20, 0.5)], 0.8), { value: 0, censored: false });
 * assert.deepEqual(censoredIterations([p(0, 0), p(20, 0.5), p(40, 0.7)], 0.8), {
 *   value: 60,
 *   censored: true,
 * });
 * ```
 */
export function censoredIterations(
  points: readonly CurvePoint[],
  threshold: number,
): CensoredIterations {
  const it = iterationsToThreshold(points, threshold);
  if (it !== null) return { value: it, censored: false };
  const s = _sorted(points, "censoredIterations");
  if (s.length < 2) {
    throw new Error("censoredIterations: one evaluation gives no interval to censor with");
  }
  const last = s[s.length - 1].iteration;
  return { value: last + (last - s[s.length - 2].iteration), censored: true };
}
