/**
 * Evaluation tables reduced for plots and tables: one value per (run, scenario, iteration) — the
 * mean over the scenario's evaluation episodes — then across-seed summaries per scenario and
 * iteration, the best run, and the optimum where it is known.
 *
 * @module
 */
import { groupBy, mean, summarize } from "./stats.ts";

/** The columns of an `eval` row the analysis uses (plus the `run` column of merged tables). */
export interface EvalLike {
  run: string;
  scenario: string;
  iteration: number;
  success: boolean;
  return: number;
  optimal_success: number | null;
}

/** The per-episode quantity averaged: success rate, or mean return (the paper's "mean reward"). */
export type EvalMetric = "success" | "return";

/** One run's mean over a scenario's evaluation episodes at one iteration. */
export interface RunPoint {
  run: string;
  scenario: string;
  iteration: number;
  /** Mean of the metric over the episodes. */
  value: number;
  /** Episodes averaged. */
  episodes: number;
}

/**
 * Mean of `metric` over each (run, scenario, iteration)'s episodes.
 * @param rows eval rows.
 * @param metric `success` or `return`.
 * @returns one point per (run, scenario, iteration), in first-seen order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runPoints } from "./eval_summary.ts";
 * const r = (success: boolean) => ({ run: "a", scenario: "S", iteration: 0, success, return: +success, optimal_success: null });
 * assert.deepEqual(runPoints([r(true), r(false)], "success")[0].value, 0.5);
 * ```
 */
export function runPoints(rows: readonly EvalLike[], metric: EvalMetric): RunPoint[] {
  const g = groupBy(rows, (r) => `${r.run}\u0000${r.scenario}\u0000${r.iteration}`);
  return [...g.values()].map((rs) => ({
    run: rs[0].run,
    scenario: rs[0].scenario,
    iteration: rs[0].iteration,
    value: mean(rs.map((r) => metric === "success" ? Number(r.success) : r.return)),
    episodes: rs.length,
  }));
}

/**
 * Mean optimal success per scenario (over its episodes), for scenarios where it is known.
 * @param rows eval rows.
 * @returns scenario → optimum.
 */
export function optimumByScenario(rows: readonly EvalLike[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [sc, rs] of groupBy(rows, (r) => r.scenario)) {
    // every run and iteration evaluates the same episodes: average one evaluation's rows
    const one = groupBy(rs, (r) => `${r.run}\u0000${r.iteration}`).values().next().value ?? [];
    const opt = one.map((r) => r.optimal_success);
    if (opt.length > 0 && opt.every((x) => typeof x === "number")) {
      out.set(sc, mean(opt as number[]));
    }
  }
  return out;
}

/** Across-run summary of one scenario at one iteration. */
export interface ProgressPoint {
  scenario: string;
  iteration: number;
  /** Runs with an evaluation at this iteration. */
  n: number;
  mean: number;
  std: number;
  /** Half-width of the t-based 95% CI of the mean over runs. */
  ci95: number;
}

/**
 * Summarise run points per (scenario, iteration) across runs.
 * @param points per-run points (e.g. from {@link runPoints}).
 * @returns one summary per (scenario, iteration), sorted by scenario order then iteration.
 */
export function progressPoints(points: readonly RunPoint[]): ProgressPoint[] {
  const out: ProgressPoint[] = [];
  for (const [, ps] of groupBy(points, (p) => `${p.scenario}\u0000${p.iteration}`)) {
    const s = summarize(ps.map((p) => p.value));
    out.push({
      scenario: ps[0].scenario,
      iteration: ps[0].iteration,
      n: s.n,
      mean: s.mean,
      std: s.std,
      ci95: s.ci95,
    });
  }
  const order = [...new Set(points.map((p) => p.scenario))];
  return out.sort((a, b) =>
    order.indexOf(a.scenario) - order.indexOf(b.scenario) || a.iteration - b.iteration
  );
}

/**
 * The best run of each scenario: highest value at its last evaluation, ties broken by the mean
 * over all its evaluations, then by name.
 * @param points per-run points.
 * @returns scenario → run name.
 */
export function bestRunByScenario(points: readonly RunPoint[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [sc, ps] of groupBy(points, (p) => p.scenario)) {
    let best: { run: string; last: number; avg: number } | null = null;
    for (const [run, rs] of groupBy(ps, (p) => p.run)) {
      const sorted = [...rs].sort((a, b) => a.iteration - b.iteration);
      const cand = {
        run,
        last: sorted[sorted.length - 1].value,
        avg: mean(rs.map((r) => r.value)),
      };
      if (
        best === null || cand.last > best.last ||
        (cand.last === best.last &&
          (cand.avg > best.avg || (cand.avg === best.avg && run < best.run)))
      ) best = cand;
    }
    if (best) out.set(sc, best.run);
  }
  return out;
}

/**
 * The value of each run at its last evaluation, per scenario.
 * @param points per-run points.
 * @returns the last point of each (run, scenario).
 */
export function finalPoints(points: readonly RunPoint[]): RunPoint[] {
  const out: RunPoint[] = [];
  for (const [, ps] of groupBy(points, (p) => `${p.run}\u0000${p.scenario}`)) {
    out.push(ps.reduce((a, b) => (b.iteration > a.iteration ? b : a)));
  }
  return out;
}
