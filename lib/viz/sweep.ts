/**
 * Seed sweeps: what one run reached (final success, mean of its last three evaluations, best,
 * greedy final) and the summary over seeds (mean, 95% interval, worst seed) that judges a learning
 * change. "Holds" means the last evaluation *and* the mean of the last three reach the bar: a run
 * that peaks and falls back does not count.
 *
 * @module
 */
import { join } from "node:path";
import { readTable } from "../log/read.ts";
import { mean, summarize, type Summary } from "./stats.ts";

/** One evaluation point of a run: success rates over a scenario's episodes. */
export interface EvalPoint {
  /** Iterations completed before the evaluation. */
  iteration: number;
  /** Success rate at the protocol's temperature. */
  success: number;
  /** Success rate of greedy decoding (null when the run did not log it). */
  greedy: number | null;
}

/** What one seed's run reached. */
export interface SeedOutcome {
  seed: number;
  /** Success at the last evaluation. */
  final: number;
  /** Mean success of the last three evaluations (fewer when the run has fewer). */
  last3: number;
  /** Best success at any evaluation after iteration 0. */
  best: number;
  /** Success at iteration 0 (null when not evaluated). */
  base: number | null;
  /** Greedy success at the last evaluation (null when not logged). */
  greedyFinal: number | null;
  /** Wall seconds of the run (null when unknown). */
  seconds: number | null;
  /** Evaluations, in iteration order. */
  points: EvalPoint[];
}

/**
 * Evaluation points of one scenario from `eval` rows.
 *
 * @param rows eval rows (`iteration`, `scenario`, `success`, optional `greedy_success`).
 * @param scenario the scenario to keep.
 * @returns one point per iteration, sorted.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evalPoints } from "./sweep.ts";
 * const r = (iteration: number, success: boolean) => ({ iteration, scenario: "S", success });
 * assert.deepEqual(evalPoints([r(0, false), r(0, true), r(20, true)], "S"), [
 *   { iteration: 0, success: 0.5, greedy: null },
 *   { iteration: 20, success: 1, greedy: null },
 * ]);
 * ```
 */
export function evalPoints(
  rows: readonly {
    iteration: number;
    scenario: string;
    success: boolean;
    greedy_success?: boolean | null;
  }[],
  scenario: string,
): EvalPoint[] {
  const by = new Map<number, { s: number[]; g: number[] }>();
  for (const r of rows) {
    if (r.scenario !== scenario) continue;
    let e = by.get(r.iteration);
    if (!e) by.set(r.iteration, e = { s: [], g: [] });
    e.s.push(Number(r.success));
    if (r.greedy_success !== undefined && r.greedy_success !== null) {
      e.g.push(Number(r.greedy_success));
    }
  }
  return [...by.entries()].sort((a, b) => a[0] - b[0]).map(([iteration, e]) => ({
    iteration,
    success: mean(e.s),
    greedy: e.g.length === e.s.length ? mean(e.g) : null,
  }));
}

/**
 * Summarise one run's evaluation points.
 *
 * @param points the run's points (see {@link evalPoints}), at least one.
 * @param seed the run's seed.
 * @param seconds its wall time, when known.
 * @returns final, mean of the last three, best, base and greedy final.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { outcomeOf } from "./sweep.ts";
 * const p = (iteration: number, success: number) => ({ iteration, success, greedy: null });
 * const o = outcomeOf([p(0, 0.1), p(20, 0.9), p(40, 1), p(60, 0.8)], 1);
 * assert.deepEqual([o.final, o.last3.toFixed(2), o.best, o.base], [0.8, "0.90", 1, 0.1]);
 * ```
 */
export function outcomeOf(
  points: readonly EvalPoint[],
  seed: number,
  seconds: number | null = null,
): SeedOutcome {
  if (points.length === 0) throw new Error(`seed ${seed}: the run has no evaluation`);
  const last = points[points.length - 1];
  const trained = points.filter((p) => p.iteration > 0);
  return {
    seed,
    final: last.success,
    last3: mean(points.slice(-3).map((p) => p.success)),
    best: trained.length ? Math.max(...trained.map((p) => p.success)) : last.success,
    base: points[0].iteration === 0 ? points[0].success : null,
    greedyFinal: last.greedy,
    seconds,
    points: [...points],
  };
}

/**
 * Read a run directory's `eval.arrow` and summarise one scenario.
 *
 * @param runDir the run directory.
 * @param scenario the evaluation scenario.
 * @param info the run's seed and wall seconds.
 * @returns the run's outcome.
 */
export function seedOutcome(
  runDir: string,
  scenario: string,
  info: { seed: number; seconds?: number | null },
): SeedOutcome {
  const rows = readTable(join(runDir, "eval.arrow")).objects() as never[];
  const points = evalPoints(rows, scenario);
  if (points.length === 0) throw new Error(`${runDir}/eval.arrow: no evaluation of ${scenario}`);
  return outcomeOf(points, info.seed, info.seconds ?? null);
}

/** The summary of a sweep over seeds. */
export interface SweepSummary {
  /** Per measure: mean, spread, 95% interval (Student t), min. */
  final: Summary;
  last3: Summary;
  best: Summary;
  /** Seeds whose final and last-3 mean both reach `bar`. */
  held: number;
  /** The bar used for `held`. */
  bar: number;
  /** The seed with the lowest last-3 mean. */
  worstSeed: number;
}

/**
 * Summarise outcomes over seeds.
 *
 * @param outcomes one per seed (non-empty).
 * @param bar success both the final and the last-3 mean must reach for a seed to count as held.
 * @returns the summary.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { outcomeOf, summarizeSweep } from "./sweep.ts";
 * const run = (seed: number, xs: number[]) =>
 *   outcomeOf(xs.map((success, i) => ({ iteration: 20 * i, success, greedy: null })), seed);
 * const s = summarizeSweep([run(1, [0.1, 0.9, 0.9, 0.95]), run(2, [0.2, 0.8, 0.96, 0.9])], 0.9);
 * assert.deepEqual([s.held, s.worstSeed, s.final.mean.toFixed(3)], [1, 2, "0.925"]);
 * ```
 */
export function summarizeSweep(outcomes: readonly SeedOutcome[], bar = 0.9): SweepSummary {
  if (outcomes.length === 0) throw new Error("summarizeSweep: no outcomes");
  const worst = outcomes.reduce((w, o) => (o.last3 < w.last3 ? o : w));
  return {
    final: summarize(outcomes.map((o) => o.final)),
    last3: summarize(outcomes.map((o) => o.last3)),
    best: summarize(outcomes.map((o) => o.best)),
    held: outcomes.filter((o) => o.final >= bar - 1e-9 && o.last3 >= bar - 1e-9).length,
    bar,
    worstSeed: worst.seed,
  };
}

/**
 * A plain-text table of a sweep: one line per seed, then mean ± 95% interval and the worst seed.
 *
 * @param outcomes one per seed.
 * @param summary their {@link summarizeSweep}.
 * @returns the table.
 */
export function sweepTable(outcomes: readonly SeedOutcome[], summary: SweepSummary): string {
  const f = (x: number | null) => (x === null ? "  -  " : x.toFixed(2).padStart(5));
  const lines = [
    "seed   base  final  last3   best  greedy  wall s",
    ...outcomes.map((o) =>
      `${String(o.seed).padEnd(5)} ${f(o.base)}  ${f(o.final)}  ${f(o.last3)}  ${f(o.best)}  ${
        f(o.greedyFinal)
      }   ${o.seconds === null ? "-" : o.seconds.toFixed(0).padStart(5)}`
    ),
  ];
  const ci = (s: Summary) =>
    `${s.mean.toFixed(3)} ± ${s.ci95.toFixed(3)} (min ${s.min.toFixed(2)})`;
  lines.push(
    `final: ${ci(summary.final)}; last 3: ${ci(summary.last3)}; best: ${ci(summary.best)}`,
    `held ≥ ${summary.bar} (final and last 3): ${summary.held}/${outcomes.length} seeds; ` +
      `worst seed ${summary.worstSeed}`,
  );
  return lines.join("\n");
}
