/**
 * The pre-registered statistics tables of the two experiments (`experiments/README.md`), built
 * from per-run evaluation points with `lib/stats`: one value per seed, seed-bootstrap 95%
 * intervals, two-sided permutation p-values (unpaired, the primary test; the paired sign-flip p
 * beside it when the arms hold the same seeds), Holm-adjusted p over the primary family, and the
 * relative improvement for the scale comparison.
 *
 * - Scale comparison ({@link scaleStatistics}): per scenario and large baseline (`baseline`,
 *   `baseline_long`), small + MS-GRPO at each run's last evaluation vs the baseline's last
 *   evaluation.
 * - Ablation ({@link ablationStatistics}): per arm and scenario, final success, area under the
 *   success curve and iterations to a level (censored, see `lib/stats/curve.ts`); per pair of arms
 *   the same three measures compared.
 * - The primary family (Holm) is final success on the `primary` scenarios (FrozenLake-NoSlip and
 *   FrozenLake-Slippery by default): every baseline for the scale comparison, the pairs with the
 *   first arm (`aaw`) for the ablation.
 *
 * @module
 */
import {
  areaUnderCurve,
  type ArmComparison,
  bootstrapMean,
  censoredIterations,
  compareArms,
  type CurvePoint,
  formatInterval,
  holm,
  type Interval,
  mean,
} from "../stats/mod.ts";
import type { RunPoint } from "./eval_summary.ts";

/** Scenarios of the primary metric by default. */
export const PRIMARY_SCENARIOS: readonly string[] = ["FrozenLake-NoSlip", "FrozenLake-Slippery"];

/** One run's evaluation curve of one scenario. */
export interface RunCurve {
  run: string;
  seed: number;
  scenario: string;
  /** Evaluations in iteration order. */
  points: CurvePoint[];
}

/**
 * Group per-run points into curves, each run's seed attached.
 * @param points per-run points (e.g. `runPoints(rows, "success")`).
 * @param seedOf a run's seed.
 * @returns one curve per (run, scenario), in first-seen order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCurves } from "./inference.ts";
 * const p = (iteration: number, value: number) =>
 *   ({ run: "seed2", scenario: "S", iteration, value, episodes: 50 });
 * const [c] = runCurves([p(20, 0.5), p(0, 0.1)], () => 2);
 * assert.deepEqual(c.points.map((x) => x.iteration), [0, 20]);
 * assert.equal(c.seed, 2);
 * ```
 */
export function runCurves(
  points: readonly RunPoint[],
  seedOf: (run: string) => number,
): RunCurve[] {
  const by = new Map<string, RunCurve>();
  for (const p of points) {
    const k = `${p.run}\u0000${p.scenario}`;
    let c = by.get(k);
    if (!c) by.set(k, c = { run: p.run, seed: seedOf(p.run), scenario: p.scenario, points: [] });
    c.points.push({ iteration: p.iteration, value: p.value });
  }
  for (const c of by.values()) c.points.sort((a, b) => a.iteration - b.iteration);
  return [...by.values()];
}

function _final(c: RunCurve): number {
  return c.points[c.points.length - 1].value;
}

function _bySeed(curves: readonly RunCurve[]): RunCurve[] {
  const seen = new Set<number>();
  for (const c of curves) {
    if (seen.has(c.seed)) throw new Error(`two runs of ${c.scenario} with seed ${c.seed}`);
    seen.add(c.seed);
  }
  return [...curves].sort((a, b) => a.seed - b.seed);
}

/** One row of the scale comparison's statistics. */
export interface ScaleStatRow {
  scenario: string;
  /** The large baseline's name (`baseline`, `baseline_long`). */
  baseline: string;
  /** Seeds of the trained runs and of the baseline runs. */
  seedsTrained: number[];
  seedsBaseline: number[];
  /** a = small + MS-GRPO (last evaluation), b = the baseline; with the relative improvement. */
  comparison: ArmComparison;
  /** Holm-adjusted unpaired p within the primary family, or null outside it. */
  pHolm: number | null;
}

/**
 * Statistics of the scale comparison.
 * @param trained per-run points of the trained small runs.
 * @param baselines per-run points of each large baseline, by name (e.g. `baseline`).
 * @param seedOf a run's seed.
 * @param primary scenarios of the primary family (default {@link PRIMARY_SCENARIOS}).
 * @returns one row per (scenario, baseline) with both arms present.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scaleStatistics } from "./inference.ts";
 * const p = (run: string, value: number) =>
 *   ({ run, scenario: "FrozenLake-NoSlip", iteration: 0, value, episodes: 50 });
 * const [row] = scaleStatistics(
 *   [p("s1", 0.4), p("s2", 0.5), p("s3", 0.6)],
 *   new Map([["baseline", [p("s1/baseline", 0.1), p("s2/baseline", 0.2), p("s3/baseline", 0.3)]]]),
 *   (run) => Number(run[1]),
 * );
 * assert.equal(row.comparison.permutation.p, 0.1); // 2 of the 20 relabellings
 * assert.equal(row.pHolm, 0.1); // a family of one
 * ```
 */
export function scaleStatistics(
  trained: readonly RunPoint[],
  baselines: ReadonlyMap<string, readonly RunPoint[]>,
  seedOf: (run: string) => number,
  primary: readonly string[] = PRIMARY_SCENARIOS,
): ScaleStatRow[] {
  const t = runCurves(trained, seedOf);
  const rows: ScaleStatRow[] = [];
  for (const scenario of new Set(t.map((c) => c.scenario))) {
    const a = _bySeed(t.filter((c) => c.scenario === scenario));
    for (const [baseline, pts] of baselines) {
      const b = _bySeed(runCurves(pts, seedOf).filter((c) => c.scenario === scenario));
      if (a.length === 0 || b.length === 0) continue;
      const seedsTrained = a.map((c) => c.seed), seedsBaseline = b.map((c) => c.seed);
      rows.push({
        scenario,
        baseline,
        seedsTrained,
        seedsBaseline,
        comparison: compareArms(a.map(_final), b.map(_final), {
          relative: true,
          seedsA: seedsTrained,
          seedsB: seedsBaseline,
        }),
        pHolm: null,
      });
    }
  }
  _holm(rows, (r) => primary.includes(r.scenario), (r) => r.comparison.permutation.p);
  return rows;
}

function _holm<T extends { pHolm: number | null }>(
  rows: T[],
  inFamily: (r: T) => boolean,
  p: (r: T) => number,
): void {
  const fam = rows.filter(inFamily);
  holm(fam.map(p)).forEach((q, i) => fam[i].pHolm = q);
}

const _f = (x: number, d: number) => x.toFixed(d);
const _est = (m: number, iv: Interval | null, d: number) => `${_f(m, d)} ${formatInterval(iv, d)}`;
const _p = (x: number | null | undefined) => (x === null || x === undefined ? "—" : x.toFixed(3));

/**
 * The scale statistics as display records: means with `[95% interval]`, p-values to 3 decimals.
 * @param rows rows of {@link scaleStatistics}.
 * @param digits decimals of the estimates (default 3).
 * @returns one record per row.
 */
export function scaleStatisticsRecords(
  rows: readonly ScaleStatRow[],
  digits = 3,
): Record<string, string>[] {
  return rows.map((r) => {
    const c = r.comparison, rel = c.relative!;
    return {
      scenario: r.scenario,
      "large base": r.baseline,
      seeds: `${c.a.n} vs ${c.b.n}`,
      "small + MS-GRPO": _est(c.a.mean, c.a.interval, digits),
      "large base (final)": _est(c.b.mean, c.b.interval, digits),
      difference: _est(c.difference, c.differenceInterval, digits),
      "p (permutation)": _p(c.permutation.p),
      "p (Holm)": _p(r.pHolm),
      "p (sign-flip)": _p(c.signFlip?.p),
      "relative improvement": rel.estimate === null
        ? "— (base mean 0)"
        : `${_est(rel.estimate, rel.interval, digits)}${rel.note ? ` (${rel.note})` : ""}`,
    };
  });
}

/** The measures of one ablation run compared between arms. */
export type AblationMeasure = "final success" | "area under curve" | "iterations to level";

/** One arm of one scenario in the ablation. */
export interface AblationArm {
  arm: string;
  scenario: string;
  seeds: number[];
  /** Per seed: last evaluation, area under the curve, censored iterations to the level. */
  final: number[];
  auc: number[];
  iterations: number[];
  /** Seeds that never reached the level (their iterations are censored). */
  censored: number;
  /** The success level of "iterations to level" for this scenario. */
  level: number;
}

/** One comparison of two arms on one measure. */
export interface AblationPairRow {
  a: string;
  b: string;
  scenario: string;
  measure: AblationMeasure;
  comparison: ArmComparison;
  /** Holm-adjusted unpaired p within the primary family, or null outside it. */
  pHolm: number | null;
}

/** Options of {@link ablationStatistics}. */
export interface AblationOptions {
  /** The success level of "iterations to level", or one per scenario (default 0.8). */
  level?: number | ((scenario: string) => number);
  /** Arm pairs compared, first minus second (default: every pair in arm order). */
  pairs?: readonly (readonly [string, string])[];
  /** Scenarios of the primary family (default {@link PRIMARY_SCENARIOS}). */
  primary?: readonly string[];
}

/**
 * Statistics of the sampling ablation.
 * @param points per-run success points with their arm.
 * @param seedOf a run's seed.
 * @param opts level, pairs, primary scenarios.
 * @returns per-arm summaries and pairwise comparisons.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ablationStatistics } from "./inference.ts";
 * const curve = (arm: string, seed: number, values: number[]) =>
 *   values.map((value, i) =>
 *     ({ run: `${arm}-${seed}`, arm, scenario: "S", iteration: 10 * i, value, episodes: 50 })
 *   );
 * const { arms, pairs } = ablationStatistics(
 *   [...curve("aaw", 1, [0, 1]), ...curve("uniform", 1, [0, 0.5])],
 *   (run) => Number(run.split("-")[1]),
 * );
 * assert.deepEqual(arms.map((a) => a.auc[0]), [0.5, 0.25]);
 * assert.deepEqual(arms.map((a) => a.iterations[0]), [10, 20]); // uniform censored at 10 + 10
 * assert.equal(pairs[0].comparison.difference, 0.5);
 * ```
 */
export function ablationStatistics(
  points: readonly (RunPoint & { arm: string })[],
  seedOf: (run: string) => number,
  opts: AblationOptions = {},
): { arms: AblationArm[]; pairs: AblationPairRow[] } {
  const primary = opts.primary ?? PRIMARY_SCENARIOS;
  const levelOf = typeof opts.level === "function"
    ? opts.level
    : () => (opts.level ?? 0.8) as number;
  const armOf = new Map(points.map((p) => [p.run, p.arm]));
  const armNames = [...new Set(points.map((p) => p.arm))];
  const arms: AblationArm[] = [];
  const curves = runCurves(points, seedOf);
  for (const scenario of new Set(curves.map((c) => c.scenario))) {
    for (const arm of armNames) {
      const cs = _bySeed(curves.filter((c) => c.scenario === scenario && armOf.get(c.run) === arm));
      if (cs.length === 0) continue;
      const level = levelOf(scenario);
      const its = cs.map((c) => censoredIterations(c.points, level));
      arms.push({
        arm,
        scenario,
        seeds: cs.map((c) => c.seed),
        final: cs.map(_final),
        auc: cs.map((c) => areaUnderCurve(c.points)),
        iterations: its.map((x) => x.value),
        censored: its.filter((x) => x.censored).length,
        level,
      });
    }
  }
  const pairs: AblationPairRow[] = [];
  const wanted = opts.pairs ??
    armNames.flatMap((a, i) => armNames.slice(i + 1).map((b) => [a, b] as const));
  for (const scenario of new Set(arms.map((x) => x.scenario))) {
    for (const [a, b] of wanted) {
      const x = arms.find((r) => r.scenario === scenario && r.arm === a);
      const y = arms.find((r) => r.scenario === scenario && r.arm === b);
      if (!x || !y) continue;
      const seeds = { seedsA: x.seeds, seedsB: y.seeds };
      const measures: [AblationMeasure, number[], number[]][] = [
        ["final success", x.final, y.final],
        ["area under curve", x.auc, y.auc],
        ["iterations to level", x.iterations, y.iterations],
      ];
      for (const [measure, va, vb] of measures) {
        pairs.push({
          a,
          b,
          scenario,
          measure,
          comparison: compareArms(va, vb, seeds),
          pHolm: null,
        });
      }
    }
  }
  _holm(
    pairs,
    (r) => r.measure === "final success" && primary.includes(r.scenario) && r.a === armNames[0],
    (r) => r.comparison.permutation.p,
  );
  return { arms, pairs };
}

/**
 * The ablation's per-arm summaries as display records (mean [95% bootstrap interval]).
 * @param arms arms of {@link ablationStatistics}.
 * @param digits decimals (default 3).
 * @returns one record per arm and scenario.
 */
export function ablationArmRecords(
  arms: readonly AblationArm[],
  digits = 3,
): Record<string, string>[] {
  const e = (xs: readonly number[], d: number) => _est(mean(xs), bootstrapMean(xs), d);
  return arms.map((x) => ({
    arm: x.arm,
    scenario: x.scenario,
    seeds: String(x.seeds.length),
    "final success": e(x.final, digits),
    "area under curve": e(x.auc, digits),
    level: x.level.toFixed(digits),
    reached: `${x.seeds.length - x.censored}/${x.seeds.length}`,
    "iterations to level": `${x.censored > 0 ? "≥ " : ""}${e(x.iterations, 1)}`,
  }));
}

/**
 * The ablation's pairwise comparisons as display records.
 * @param pairs pairs of {@link ablationStatistics}.
 * @param digits decimals (default 3; iterations get 1).
 * @returns one record per (pair, scenario, measure).
 */
export function ablationPairRecords(
  pairs: readonly AblationPairRow[],
  digits = 3,
): Record<string, string>[] {
  return pairs.map((r) => {
    const c = r.comparison, d = r.measure === "iterations to level" ? 1 : digits;
    return {
      comparison: `${r.a} − ${r.b}`,
      scenario: r.scenario,
      measure: r.measure,
      difference: _est(c.difference, c.differenceInterval, d),
      "p (permutation)": _p(c.permutation.p),
      "p (Holm)": _p(r.pHolm),
      "p (sign-flip)": _p(c.signFlip?.p),
    };
  });
}
