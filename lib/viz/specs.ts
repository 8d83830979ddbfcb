/**
 * Vega-lite specifications of the analysis charts, built from plain rows (data inline, so a spec
 * is self-contained and renders anywhere): training progress per scenario (mean ± std over runs,
 * dashed best run, optimum line), ablation curves and final values per arm with 95% CIs, and run
 * health metrics over iterations.
 *
 * @module
 */
import {
  bestRunByScenario,
  type EvalMetric,
  finalPoints,
  progressPoints,
  type RunPoint,
} from "./eval_summary.ts";
import { groupBy, summarize } from "./stats.ts";

/** A vega-lite specification (top level). */
export type VlSpec = Record<string, unknown> & { $schema: string };

/** The vega-lite v5 schema URL (vega-lite 6 keeps the v5 spec format). */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

const _FONT = "DejaVu Sans";

function _top(spec: Record<string, unknown>, title?: string): VlSpec {
  return {
    $schema: VEGA_LITE_SCHEMA,
    ...(title ? { title } : {}),
    config: { font: _FONT, view: { stroke: "#ddd" } },
    ...spec,
  };
}

/** Scenarios in first-seen order (facet order). */
function _order(values: readonly Record<string, unknown>[]): string[] {
  return [...new Set(values.map((v) => String(v.scenario)))];
}

const _metricTitle = (m: EvalMetric) => (m === "success" ? "success rate" : "mean return");

/** Options of {@link progressSpec}. */
export interface ProgressSpecOptions {
  /** The averaged quantity (axis title; fixes the y domain to [0, 1] for success). */
  metric: EvalMetric;
  /** Chart title. */
  title?: string;
  /** Optimum per scenario (reference line), e.g. from `optimumByScenario`. */
  optimum?: Map<string, number>;
  /** Facet columns (default 2). */
  columns?: number;
}

/**
 * A band mean ± half; success rates are clamped to [0, 1] (a t-interval over a few seeds can
 * reach past them, and the chart's axis stops there).
 */
function _band(mean: number, half: number, metric: EvalMetric): { lo: number; hi: number } {
  const lo = mean - half, hi = mean + half;
  return metric === "success" ? { lo: Math.max(0, lo), hi: Math.min(1, hi) } : { lo, hi };
}

/**
 * The paper's training-progress figure: per scenario, the mean over runs with a ± std band, the
 * best run dashed, and the optimum as a horizontal rule where known.
 *
 * @param points per-run points of the training runs (`runPoints(eval, metric)`).
 * @param opts metric, title, optimum and layout.
 * @returns a faceted vega-lite spec.
 */
export function progressSpec(points: readonly RunPoint[], opts: ProgressSpecOptions): VlSpec {
  const best = bestRunByScenario(points);
  const values: Record<string, unknown>[] = [];
  for (const p of progressPoints(points)) {
    values.push({
      layer: "mean",
      scenario: p.scenario,
      iteration: p.iteration,
      value: p.mean,
      ..._band(p.mean, p.std, opts.metric),
      series: "mean ± std",
    });
  }
  for (const p of points) {
    if (best.get(p.scenario) !== p.run) continue;
    values.push({
      layer: "best",
      scenario: p.scenario,
      iteration: p.iteration,
      value: p.value,
      series: "best run",
      run: p.run,
    });
  }
  for (const [scenario, v] of opts.optimum ?? []) {
    values.push({ layer: "optimum", scenario, value: v, series: "optimum" });
  }
  const y = {
    field: "value",
    type: "quantitative",
    title: _metricTitle(opts.metric),
    ...(opts.metric === "success" ? { scale: { domain: [0, 1] } } : {}),
  };
  const x = { field: "iteration", type: "quantitative", title: "training iteration" };
  const color = {
    field: "series",
    type: "nominal",
    title: null,
    scale: {
      domain: ["mean ± std", "best run", "optimum"],
      range: ["#1f77b4", "#ff7f0e", "#2ca02c"],
    },
  };
  const only = (l: string) => [{ filter: `datum.layer === '${l}'` }];
  return _top({
    data: { values },
    facet: { field: "scenario", type: "nominal", title: null, sort: _order(values) },
    columns: opts.columns ?? 2,
    ...(opts.metric === "success" ? {} : { resolve: { scale: { y: "independent" } } }),
    spec: {
      width: 260,
      height: 170,
      layer: [
        {
          transform: only("mean"),
          mark: { type: "area", opacity: 0.25 },
          encoding: { x, y: { ...y, field: "lo" }, y2: { field: "hi" }, color },
        },
        { transform: only("mean"), mark: { type: "line", point: true }, encoding: { x, y, color } },
        {
          transform: only("best"),
          mark: { type: "line", strokeDash: [5, 3] },
          encoding: { x, y, color, detail: { field: "run" } },
        },
        {
          transform: only("optimum"),
          mark: { type: "rule", strokeDash: [2, 2] },
          encoding: { y, color },
        },
      ],
    },
  }, opts.title);
}

/** A run point tagged with the arm (or any group) it belongs to. */
export type ArmPoint = RunPoint & { arm: string };

/**
 * Ablation curves: per scenario and arm, the mean over seeds with a 95% CI band.
 * @param points per-run points with their arm.
 * @param opts metric and title.
 * @returns a faceted vega-lite spec.
 */
export function armCurvesSpec(
  points: readonly ArmPoint[],
  opts: { metric: EvalMetric; title?: string; columns?: number },
): VlSpec {
  const values: Record<string, unknown>[] = [];
  for (const [, ps] of groupBy(points, (p) => `${p.arm}\u0000${p.scenario}\u0000${p.iteration}`)) {
    const s = summarize(ps.map((p) => p.value));
    values.push({
      arm: ps[0].arm,
      scenario: ps[0].scenario,
      iteration: ps[0].iteration,
      mean: s.mean,
      ..._band(s.mean, s.ci95, opts.metric),
      n: s.n,
    });
  }
  const x = { field: "iteration", type: "quantitative", title: "training iteration" };
  const color = { field: "arm", type: "nominal", title: "sampling" };
  const yScale = opts.metric === "success" ? { scale: { domain: [0, 1] } } : {};
  return _top({
    data: { values },
    facet: { field: "scenario", type: "nominal", title: null, sort: _order(values) },
    columns: opts.columns ?? 2,
    spec: {
      width: 260,
      height: 170,
      layer: [
        {
          mark: { type: "area", opacity: 0.2 },
          encoding: {
            x,
            y: { field: "lo", type: "quantitative", title: _metricTitle(opts.metric), ...yScale },
            y2: { field: "hi" },
            color,
          },
        },
        {
          mark: { type: "line", point: true },
          encoding: { x, y: { field: "mean", type: "quantitative", ...yScale }, color },
        },
      ],
    },
  }, opts.title);
}

/**
 * Final values per arm: the mean over seeds of each run's last evaluation with its 95% CI as an
 * error bar, and every seed as a dot.
 * @param points per-run points with their arm (all iterations; the last of each run is used).
 * @param opts metric and title.
 * @returns a faceted vega-lite spec.
 */
export function armFinalSpec(
  points: readonly ArmPoint[],
  opts: { metric: EvalMetric; title?: string; columns?: number },
): VlSpec {
  const last = finalPoints(points) as ArmPoint[];
  const values: Record<string, unknown>[] = [];
  for (const [, ps] of groupBy(last, (p) => `${p.arm}\u0000${p.scenario}`)) {
    const s = summarize(ps.map((p) => p.value));
    values.push({
      layer: "summary",
      arm: ps[0].arm,
      scenario: ps[0].scenario,
      mean: s.mean,
      ..._band(s.mean, s.ci95, opts.metric),
      n: s.n,
    });
    for (const p of ps) {
      values.push({ layer: "seed", arm: p.arm, scenario: p.scenario, mean: p.value, run: p.run });
    }
  }
  const x = { field: "arm", type: "nominal", title: null };
  const y = {
    field: "mean",
    type: "quantitative",
    title: `final ${_metricTitle(opts.metric)}`,
    ...(opts.metric === "success" ? { scale: { domain: [0, 1] } } : {}),
  };
  const only = (l: string) => [{ filter: `datum.layer === '${l}'` }];
  return _top({
    data: { values },
    facet: { field: "scenario", type: "nominal", title: null, sort: _order(values) },
    columns: opts.columns ?? 4,
    spec: {
      width: 120,
      height: 170,
      layer: [
        {
          transform: only("summary"),
          mark: { type: "bar", opacity: 0.6 },
          encoding: { x, y, color: { field: "arm", type: "nominal", legend: null } },
        },
        {
          transform: only("summary"),
          mark: { type: "errorbar", ticks: true },
          encoding: {
            x,
            y: { field: "lo", type: "quantitative", title: _metricTitle(opts.metric) },
            y2: { field: "hi" },
          },
        },
        {
          transform: only("seed"),
          mark: { type: "point", filled: true, color: "black", size: 20 },
          encoding: { x, y },
        },
      ],
    },
  }, opts.title);
}

/** Health metrics of the `updates` table, with their axis titles. */
export const HEALTH_METRICS: Readonly<Record<string, string>> = {
  valid_rate: "valid-action rate",
  group_reward_std_mean: "mean in-group reward std",
  zero_var_group_frac: "zero-variance groups (fraction)",
  approx_kl: "KL(π_old ‖ π_θ), k3",
  ref_kl: "KL(π_θ ‖ π_ref), k3",
  entropy: "token entropy (nats)",
  entropy_coef: "entropy coefficient",
  signal_episodes: "episodes with Â ≠ 0",
  clip_frac: "clipped-token fraction",
  grad_norm: "gradient norm",
  tokens_per_s: "generated tokens / s",
  reward_mean: "mean episode return",
};

/**
 * Run health: one small chart per metric of the `updates` table, a line per run.
 * @param rows `updates` rows with a `run` column.
 * @param opts metrics to show (default {@link HEALTH_METRICS}'s keys) and title.
 * @returns a faceted vega-lite spec (independent y scales).
 */
export function healthSpec(
  rows: readonly Record<string, unknown>[],
  opts: { metrics?: readonly string[]; title?: string; columns?: number } = {},
): VlSpec {
  const metrics = opts.metrics ?? Object.keys(HEALTH_METRICS);
  const values: Record<string, unknown>[] = [];
  for (const r of rows) {
    for (const m of metrics) {
      const v = r[m];
      if (typeof v !== "number" || !Number.isFinite(v)) continue;
      values.push({ run: r.run, iteration: r.iteration, metric: HEALTH_METRICS[m] ?? m, value: v });
    }
  }
  return _top({
    data: { values },
    facet: {
      field: "metric",
      type: "nominal",
      title: null,
      sort: metrics.map((m) => HEALTH_METRICS[m] ?? m),
    },
    columns: opts.columns ?? 3,
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 220,
      height: 130,
      mark: { type: "line", strokeWidth: 1.2 },
      encoding: {
        x: { field: "iteration", type: "quantitative", title: "iteration" },
        y: { field: "value", type: "quantitative", title: null },
        color: { field: "run", type: "nominal", legend: { orient: "bottom", columns: 2 } },
      },
    },
  }, opts.title);
}

/**
 * Bars with 95% CI error bars of several named series per scenario (e.g. untrained small, trained
 * small, large baseline), with the optimum as a tick where known.
 * @param rows one record per (scenario, series): mean, ci95.
 * @param opts metric and title.
 * @returns a grouped bar chart spec.
 */
export function groupedBarsSpec(
  rows: readonly { scenario: string; series: string; mean: number; ci95: number }[],
  opts: { metric: EvalMetric; title?: string; optimum?: Map<string, number> },
): VlSpec {
  const values = [
    ...rows.map((r) => ({ ...r, layer: "bar", ..._band(r.mean, r.ci95, opts.metric) })),
    ...[...(opts.optimum ?? [])].map(([scenario, v]) => ({
      layer: "optimum",
      scenario,
      series: "optimum",
      mean: v,
    })),
  ];
  const order = [...new Set(rows.map((r) => r.series))];
  const x = {
    field: "series",
    type: "nominal",
    title: null,
    sort: order,
    axis: { labelAngle: -30 },
  };
  const y = {
    field: "mean",
    type: "quantitative",
    title: _metricTitle(opts.metric),
    ...(opts.metric === "success" ? { scale: { domain: [0, 1] } } : {}),
  };
  const only = (l: string) => [{ filter: `datum.layer === '${l}'` }];
  return _top({
    data: { values },
    facet: { field: "scenario", type: "nominal", title: null, sort: _order(values) },
    columns: 4,
    spec: {
      width: 130,
      height: 170,
      layer: [
        {
          transform: only("bar"),
          mark: "bar",
          encoding: {
            x,
            y,
            color: { field: "series", type: "nominal", sort: order, legend: null },
          },
        },
        {
          transform: only("bar"),
          mark: { type: "errorbar", ticks: true },
          encoding: {
            x,
            y: { field: "lo", type: "quantitative", title: _metricTitle(opts.metric) },
            y2: { field: "hi" },
          },
        },
        {
          transform: only("optimum"),
          mark: { type: "rule", strokeDash: [4, 2], color: "#2ca02c" },
          encoding: { y },
        },
      ],
    },
  }, opts.title);
}
