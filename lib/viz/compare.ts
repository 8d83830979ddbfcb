/**
 * The comparison table of the scale experiment: per scenario, the small policy before training
 * (iteration 0 of its runs), after training (each run's last evaluation), the large baseline, and
 * the optimum where known, with the relative improvement of the trained small policy over the
 * large baseline.
 *
 * Relative improvement = (trained − baseline) / |baseline|, where trained and baseline are the
 * means over runs of each run's mean metric over the same evaluation episodes ("50% better" means
 * a relative improvement of +0.5). It is null when the baseline's mean is 0; the absolute
 * difference is given beside it. A second large baseline (the scale comparison's `baseline_long/`,
 * pre-trained longer) adds its own columns when its rows are given. {@link runComparison} gives
 * one run's table (its `eval.arrow` against its `baseline/eval.arrow`, and `baseline_long/` when
 * present) as plain JSON records.
 *
 * @module
 */
import {
  type EvalLike,
  type EvalMetric,
  finalPoints,
  optimumByScenario,
  type RunPoint,
  runPoints,
} from "./eval_summary.ts";
import { groupBy, summarize } from "./stats.ts";
import { join } from "node:path";
import { readTable } from "../log/read.ts";
import { pathExists } from "../util/fs.ts";

/** Mean over runs with its 95% CI half-width and the number of runs. */
export interface Estimate {
  mean: number;
  ci95: number;
  n: number;
}

/** One scenario of the comparison. */
export interface ComparisonRow {
  scenario: string;
  /** Small policy before training (iteration 0), or null without trained runs. */
  untrained: Estimate | null;
  /** Small policy at each run's last evaluation. */
  trained: Estimate | null;
  /** The last iteration the trained estimate uses (the largest over runs). */
  trainedIteration: number | null;
  /** The large baseline. */
  baseline: Estimate | null;
  /** Mean optimal success (Frozen Lake, metric `success` only), else null. */
  optimum: number | null;
  /** trained − baseline. */
  difference: number | null;
  /** (trained − baseline) / |baseline|; null when either is missing or the baseline is 0. */
  relativeImprovement: number | null;
  /** trained / optimum, or null. */
  trainedOverOptimum: number | null;
  /** The second large baseline (pre-trained longer), when its rows were given. */
  baselineLong?: Estimate | null;
  /** trained − the second baseline. */
  differenceLong?: number | null;
  /** (trained − second baseline) / |second baseline|; null as for `relativeImprovement`. */
  relativeImprovementLong?: number | null;
}

function _estimate(points: readonly RunPoint[]): Estimate | null {
  if (points.length === 0) return null;
  const s = summarize(points.map((p) => p.value));
  return { mean: s.mean, ci95: s.ci95, n: s.n };
}

/**
 * Build the comparison table.
 *
 * @param trained eval rows of the training runs (the small policy; iteration 0 = untrained).
 * @param baseline eval rows of the baseline runs (any iteration; each run's last is used).
 * @param metric `success` (success rate) or `return` (mean return, the paper's "mean reward").
 * @param baselineLong eval rows of a second baseline (pre-trained longer); when given (even
 *   empty) every row gets its `baselineLong`, `differenceLong` and `relativeImprovementLong`.
 * @returns one row per scenario, in first-seen order (training runs first).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { comparisonTable } from "./compare.ts";
 * const row = (run: string, iteration: number, success: boolean) =>
 *   ({ run, scenario: "S", iteration, success, return: +success, optimal_success: 1 });
 * const t = comparisonTable(
 *   [row("a", 0, false), row("a", 10, true)],
 *   [row("big", 0, true), row("big", 0, false)],
 *   "success",
 * );
 * assert.deepEqual(t[0].relativeImprovement, 1);
 * const l = comparisonTable([row("a", 10, true)], [row("big", 0, true)], "success", [
 *   row("big/baseline_long", 0, true),
 *   row("big/baseline_long", 0, true),
 *   row("big/baseline_long", 0, false),
 *   row("big/baseline_long", 0, false),
 * ]);
 * assert.deepEqual([l[0].baselineLong?.mean, l[0].differenceLong, l[0].relativeImprovementLong], [0.5, 0.5, 1]);
 * ```
 */
export function comparisonTable(
  trained: readonly EvalLike[],
  baseline: readonly EvalLike[],
  metric: EvalMetric,
  baselineLong?: readonly EvalLike[],
): ComparisonRow[] {
  const tp = runPoints(trained, metric), bp = runPoints(baseline, metric);
  const lBy = groupBy(runPoints(baselineLong ?? [], metric), (p) => p.scenario);
  const optimum = metric === "success"
    ? optimumByScenario([...trained, ...baseline])
    : new Map<string, number>();
  const scenarios = [...new Set([...tp, ...bp].map((p) => p.scenario))];
  const tBy = groupBy(tp, (p) => p.scenario), bBy = groupBy(bp, (p) => p.scenario);
  return scenarios.map((scenario) => {
    const ts = tBy.get(scenario) ?? [];
    const finals = finalPoints(ts);
    const t = _estimate(finals.filter((p) => p.iteration > 0));
    const b = _estimate(finalPoints(bBy.get(scenario) ?? []));
    const opt = optimum.get(scenario) ?? null;
    const diff = t && b ? t.mean - b.mean : null;
    const l = _estimate(finalPoints(lBy.get(scenario) ?? []));
    const diffL = t && l ? t.mean - l.mean : null;
    const long = baselineLong === undefined ? {} : {
      baselineLong: l,
      differenceLong: diffL,
      relativeImprovementLong: diffL !== null && l!.mean !== 0 ? diffL / Math.abs(l!.mean) : null,
    };
    return {
      scenario,
      untrained: _estimate(ts.filter((p) => p.iteration === 0)),
      trained: t,
      trainedIteration: t ? Math.max(...finals.map((p) => p.iteration)) : null,
      baseline: b,
      optimum: opt,
      difference: diff,
      relativeImprovement: diff !== null && b!.mean !== 0 ? diff / Math.abs(b!.mean) : null,
      trainedOverOptimum: t && opt ? t.mean / opt : null,
      ...long,
    };
  });
}

/**
 * The table as flat records for display (`mean ± ci95 (n)` strings, improvement in percent). When
 * some row has a second baseline, its columns follow the first baseline's.
 * @param rows rows of {@link comparisonTable}.
 * @param digits decimals (default 3).
 * @returns one record per scenario.
 */
export function comparisonRecords(
  rows: readonly ComparisonRow[],
  digits = 3,
): Record<string, string>[] {
  const f = (x: number | null) => (x === null ? "—" : x.toFixed(digits));
  const e = (x: Estimate | null | undefined) =>
    !x ? "—" : `${x.mean.toFixed(digits)} ± ${x.ci95.toFixed(digits)} (n=${x.n})`;
  const pct = (x: number | null | undefined) =>
    x === null || x === undefined ? "—" : `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)}%`;
  const long = rows.some((r) => r.baselineLong);
  return rows.map((r) => ({
    scenario: r.scenario,
    "small, untrained": e(r.untrained),
    "small + MS-GRPO": e(r.trained),
    "large baseline": e(r.baseline),
    optimum: f(r.optimum),
    "trained − baseline": f(r.difference),
    "relative improvement": pct(r.relativeImprovement),
    "trained / optimum": f(r.trainedOverOptimum),
    ...(long
      ? {
        "large, pre-trained longer": e(r.baselineLong),
        "trained − longer": f(r.differenceLong ?? null),
        "relative improvement (longer)": pct(r.relativeImprovementLong),
      }
      : {}),
  }));
}

function _evalRows(dir: string, run: string): EvalLike[] {
  const file = join(dir, "eval.arrow");
  if (!pathExists(file) && !pathExists(join(dir, "eval.parts"))) return [];
  return (readTable(file).objects() as Omit<EvalLike, "run">[]).map((r) => ({ ...r, run }));
}

/**
 * The comparison of one run (trained small policy vs its baseline) as plain JSON records.
 * @param runDir the run directory (with `baseline/` when a baseline was evaluated).
 * @returns per scenario: untrained, trained, baseline, optimum, relative improvement (success
 *   rate and mean return).
 */
export function runComparison(runDir: string): Record<string, unknown>[] {
  const trained = _evalRows(runDir, "run"), base = _evalRows(join(runDir, "baseline"), "baseline");
  const long = pathExists(join(runDir, "baseline_long"))
    ? _evalRows(join(runDir, "baseline_long"), "baseline_long")
    : undefined;
  const bySuccess = comparisonTable(trained, base, "success", long);
  const byReturn = comparisonTable(trained, base, "return", long);
  const r3 = (
    x: number | null | undefined,
  ) => (x === null || x === undefined ? null : Math.round(x * 1000) / 1000);
  return bySuccess.map((s, i) => ({
    scenario: s.scenario,
    untrained_success: r3(s.untrained?.mean),
    trained_success: r3(s.trained?.mean),
    baseline_success: r3(s.baseline?.mean),
    optimal_success: r3(s.optimum),
    untrained_return: r3(byReturn[i].untrained?.mean),
    trained_return: r3(byReturn[i].trained?.mean),
    baseline_return: r3(byReturn[i].baseline?.mean),
    relative_improvement_return: r3(byReturn[i].relativeImprovement),
    ...(long
      ? {
        baseline_long_success: r3(s.baselineLong?.mean),
        baseline_long_return: r3(byReturn[i].baselineLong?.mean),
      }
      : {}),
  }));
}
