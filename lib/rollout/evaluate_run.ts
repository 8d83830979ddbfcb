/**
 * Evaluation into a run directory: {@link evaluateScenarios} plays each scenario's fixed episodes
 * in turn and hands its rows to a sink (the trainer appends them to its `eval` table);
 * {@link evaluateToRunDir} appends them to `DIR/eval.arrow` and the policy's usage to
 * `DIR/eval_usage.arrow` as soon as a scenario is done (so an interrupted evaluation keeps the
 * scenarios it finished); {@link evaluateBaseline} evaluates a baseline policy into a training
 * run's `baseline/` directory, on the very episodes the trained policy is evaluated on.
 *
 * @module
 */
import { join } from "node:path";
import { getScenario, type Scenario } from "../env/scenarios.ts";
import type { RenderStyle } from "../env/tsmg.ts";
import { createRunDir, EVAL, EVAL_USAGE, TableWriter, writeJsonAtomic } from "../log/mod.ts";
import type { EvalRow } from "../log/schemas.ts";
import type { Policy } from "../policy/types.ts";
import { type EvaluateOptions, evaluateScenario } from "./evaluate.ts";
import type { PlayStats } from "./play.ts";
import { pathExists } from "../util/fs.ts";

/** What {@link evaluateScenarios} hands its sink after each scenario. */
export interface ScenarioResult {
  /** The scenario. */
  scenario: Scenario;
  /** One row per episode. */
  rows: EvalRow[];
  /** Rollout totals. */
  stats: PlayStats;
  /** Wall seconds of the scenario. */
  wallSeconds: number;
}

/**
 * Evaluate `policy` on each scenario in turn.
 *
 * @param policy the policy.
 * @param scenarios the scenarios, in order.
 * @param options iteration, sampling and rendering (as {@link evaluateScenario}).
 * @param sink called with each scenario's rows as soon as it is done.
 */
export async function evaluateScenarios(
  policy: Policy,
  scenarios: readonly Scenario[],
  options: EvaluateOptions,
  sink: (result: ScenarioResult) => void | Promise<void>,
): Promise<void> {
  for (const scenario of scenarios) {
    const t0 = performance.now();
    const { rows, stats } = await evaluateScenario(policy, scenario, options);
    await sink({ scenario, rows, stats, wallSeconds: (performance.now() - t0) / 1000 });
  }
}

/** Settings of {@link evaluateToRunDir}. */
export interface EvaluateRunOptions {
  /** Scenario names. */
  scenarios: string[];
  /** Sampling temperature. */
  temperature: number;
  /** Sampling seed. */
  seed: number;
  /** Iteration written to the rows. */
  iteration: number;
  /** Evaluate the first n episodes of each scenario only. */
  episodes?: number;
  /** Cap on generated tokens per decision. */
  maxNewTokens: number;
  /** Prompt rendering. */
  renderStyle?: RenderStyle;
  /** Progress lines (default stderr). */
  log?: (line: string) => void;
}

/** Totals of an evaluation. */
export interface EvaluateTotals {
  /** Episodes played. */
  episodes: number;
  /** Prompt tokens. */
  promptTokens: number;
  /** Completion tokens. */
  completionTokens: number;
  /** Seconds in the policy. */
  policySeconds: number;
}

/**
 * Evaluate `policy` on each scenario in turn, appending its rows to `DIR/eval.arrow` and its usage
 * to `DIR/eval_usage.arrow` as soon as the scenario is done.
 *
 * @param policy the policy.
 * @param dir the run directory.
 * @param opts scenarios and sampling.
 * @returns usage totals.
 */
export async function evaluateToRunDir(
  policy: Policy,
  dir: string,
  opts: EvaluateRunOptions,
): Promise<EvaluateTotals> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const scenarios: Scenario[] = opts.scenarios.map(getScenario);
  const evalW = TableWriter.open(dir, EVAL);
  const usageW = TableWriter.open(dir, EVAL_USAGE);
  const totals: EvaluateTotals = {
    episodes: 0,
    promptTokens: 0,
    completionTokens: 0,
    policySeconds: 0,
  };
  try {
    const options = {
      iteration: opts.iteration,
      temperature: opts.temperature,
      seed: opts.seed,
      maxNewTokens: opts.maxNewTokens,
      renderStyle: opts.renderStyle,
      limit: opts.episodes,
    };
    await evaluateScenarios(
      policy,
      scenarios,
      options,
      ({ scenario: sc, rows, stats, wallSeconds: wall }) => {
        evalW.append(rows);
        usageW.append([{
          iteration: opts.iteration,
          scenario: sc.name,
          policy: policy.name,
          episodes: rows.length,
          policy_calls: stats.policyCalls,
          prompt_tokens: stats.promptTokens,
          completion_tokens: stats.completionTokens,
          policy_s: stats.policySeconds,
          wall_s: wall,
        }]);
        totals.episodes += rows.length;
        totals.promptTokens += stats.promptTokens;
        totals.completionTokens += stats.completionTokens;
        totals.policySeconds += stats.policySeconds;
        const mean = (f: (r: EvalRow) => number) =>
          rows.reduce((s, r) => s + f(r), 0) / Math.max(1, rows.length);
        const opt = rows.every((r) => r.optimal_success !== null)
          ? ` (optimal ${mean((r) => r.optimal_success!).toFixed(2)})`
          : "";
        log(
          `${sc.name}: success ${mean((r) => Number(r.success)).toFixed(2)}${opt}, return ` +
            `${mean((r) => r.return).toFixed(3)}, valid ${mean((r) => r.valid_rate).toFixed(2)}, ` +
            `${rows.length} episodes, ${stats.promptTokens} prompt + ${stats.completionTokens} ` +
            `completion tokens, ${wall.toFixed(1)} s`,
        );
      },
    );
  } finally {
    evalW.close();
    usageW.close();
  }
  return totals;
}

/** Settings of {@link evaluateBaseline}. */
export interface BaselineEvalOptions {
  scenarios: string[];
  temperature: number;
  seed: number;
  episodes?: number;
  maxNewTokens: number;
  renderStyle: "compact" | "verbose";
  /** Experiment name and what identifies the policy, for `meta.json`. */
  experiment: string;
  ident: Record<string, unknown>;
  /** Sub-folder of the run to write (default `baseline`; e.g. `baseline_long` for a second one). */
  name?: string;
  /** More fields for the baseline's `meta.json` (e.g. its pre-training budget). */
  meta?: Record<string, unknown>;
}

/**
 * Evaluate a baseline policy on the very episodes the trained policy is evaluated on, into
 * `RUN/baseline/` (or `RUN/<opts.name>/`; its own `meta.json` with `role: "baseline"`, `eval.arrow`, `eval_usage.arrow`).
 * A finished baseline (`done.json`) is kept; an unfinished one is evaluated again from scratch.
 *
 * @param policy the baseline policy.
 * @param runDir the training run's directory.
 * @param opts scenarios, sampling and identity.
 * @returns the baseline directory.
 */
export async function evaluateBaseline(
  policy: Policy,
  runDir: string,
  opts: BaselineEvalOptions,
): Promise<string> {
  const dir = join(runDir, opts.name ?? "baseline");
  if (pathExists(join(dir, "done.json"))) return dir;
  if (pathExists(dir)) await Deno.remove(dir, { recursive: true });
  const evalOpts = {
    scenarios: opts.scenarios,
    temperature: opts.temperature,
    seed: opts.seed,
    iteration: 0,
    episodes: opts.episodes,
    maxNewTokens: opts.maxNewTokens,
    renderStyle: opts.renderStyle,
  };
  await createRunDir({
    root: runDir,
    experiment: opts.experiment,
    seed: opts.seed,
    runDir: dir,
    config: { ...evalOpts, policy: opts.ident },
    extra: { ...opts.meta, role: "baseline", policy: opts.ident, evaluation: evalOpts },
  });
  const t0 = performance.now();
  const totals = await evaluateToRunDir(policy, dir, evalOpts);
  await writeJsonAtomic(join(dir, "done.json"), {
    ...totals,
    seconds: (performance.now() - t0) / 1000,
  });
  return dir;
}
