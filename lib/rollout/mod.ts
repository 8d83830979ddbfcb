/**
 * Rollouts: groups of episodes from shared initial states, batched play, scenario evaluation, and
 * evaluation into a run directory (a command-line evaluation, a baseline beside a training run).
 *
 * @module
 */
export type { Episode, StepRecord } from "./types.ts";
export {
  type EpisodeSpec,
  type PlayedEpisode,
  playEpisodes,
  type PlayOptions,
  type PlayStats,
} from "./play.ts";
export { collectGroups, type GroupRolloutOptions } from "./groups.ts";
export { type EvaluateOptions, evaluateScenario } from "./evaluate.ts";
export {
  type BaselineEvalOptions,
  evaluateBaseline,
  type EvaluateRunOptions,
  evaluateScenarios,
  evaluateToRunDir,
  type EvaluateTotals,
  type ScenarioResult,
} from "./evaluate_run.ts";
