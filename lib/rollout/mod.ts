/**
 * Rollouts: groups of episodes from shared initial states, batched play, and scenario evaluation.
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
