/**
 * Evaluation on a named scenario: its fixed episodes (the same seeds at every evaluation point and
 * for every policy compared), played in one batch, returned as rows of the `eval` table.
 *
 * @module
 */
import { type Scenario, scenarioOptima } from "../env/scenarios.ts";
import type { Policy } from "../policy/types.ts";
import { evaluationSamplingSeed } from "../util/seeds.ts";
import { playEpisodes, type PlayStats } from "./play.ts";
import type { RenderStyle } from "../env/tsmg.ts";
import type { EvalRow } from "../log/schemas.ts";

const _optimaCache = new WeakMap<Scenario, number[]>();

/** A scenario's per-episode optimum, computed once (every evaluation point asks again). */
function _optima(scenario: Scenario): number[] {
  let o = _optimaCache.get(scenario);
  if (o === undefined) _optimaCache.set(scenario, o = scenarioOptima(scenario));
  return o;
}

/** Options of {@link evaluateScenario}. */
export interface EvaluateOptions {
  /** Iteration recorded in the rows (−1 or 0 for a policy that is not trained). */
  iteration: number;
  /** Sampling temperature (0 = greedy). */
  temperature: number;
  /**
   * Also replay every episode with greedy decoding and record it in `greedy_success` and
   * `greedy_return` (default false: those columns are null).
   */
  greedy?: boolean;
  /** Sampling seed; the episodes themselves are fixed by the scenario. */
  seed: number;
  /** Format penalty (0 when evaluating, as in the spec). */
  formatPenalty?: number;
  /** Cap on generated tokens per decision. */
  maxNewTokens?: number;
  /** Rendering of the prompts. */
  renderStyle?: RenderStyle;
  /** Evaluate only the first n of the scenario's episodes (smoke tests). */
  limit?: number;
}

/**
 * Play a scenario's fixed evaluation episodes with `policy`.
 *
 * @param policy the policy to evaluate.
 * @param scenario a registered scenario (see `getScenario`).
 * @param options iteration, sampling and rendering.
 * @returns one {@link EvalRow} per episode and the rollout totals.
 */
export async function evaluateScenario(
  policy: Policy,
  scenario: Scenario,
  options: EvaluateOptions,
): Promise<{ rows: EvalRow[]; stats: PlayStats }> {
  const seeds = scenario.episodeSeeds.slice(0, options.limit ?? scenario.episodeSeeds.length);
  const play = (temperature: number) =>
    playEpisodes(
      seeds.map((s) => ({
        env: scenario.makeEnv({ renderStyle: options.renderStyle }),
        initialStateSeed: s,
        dynamicsSeed: s,
      })),
      policy,
      {
        temperature,
        maxNewTokens: options.maxNewTokens,
        formatPenalty: options.formatPenalty ?? 0,
        seed: evaluationSamplingSeed(options.seed, options.iteration),
      },
    );
  const { episodes, stats } = await play(options.temperature);
  const greedy = options.greedy ? (await play(0)).episodes : null;
  const optimal = scenario.kind === "frozen_lake" ? _optima(scenario) : null;
  const rows = episodes.map((e, k) => ({
    iteration: options.iteration,
    scenario: scenario.name,
    episode: k,
    seed: seeds[k],
    return: e.return,
    success: e.success,
    length: e.steps.length,
    valid_rate: e.steps.filter((s) => s.valid).length / Math.max(1, e.steps.length),
    optimal_success: optimal ? optimal[k] : null,
    greedy_success: greedy ? greedy[k].success : null,
    greedy_return: greedy ? greedy[k].return : null,
  }));
  return { rows, stats };
}
