/**
 * MS-GRPO's data collection: N groups of G episodes, every episode of a group starting from the
 * same initial state, played together so generation is batched across all of them.
 *
 * @module
 */
import type { TextEnv } from "../env/tsmg.ts";
import type { Policy } from "../policy/types.ts";
import { trainingDynamicsSeed, trainingSamplingSeed } from "../util/seeds.ts";
import { playEpisodes, type PlayStats } from "./play.ts";
import type { Episode } from "./types.ts";

/** Options of {@link collectGroups}. */
export interface GroupRolloutOptions {
  /** Training iteration (recorded in each episode and mixed into the seeds). */
  iteration: number;
  /** One initial-state seed per group. */
  initialStateSeeds: readonly number[];
  /** Episodes per group (G ≥ 1; MS-GRPO needs ≥ 2 for a non-zero advantage). */
  groupSize: number;
  /** Sampling temperature. */
  temperature: number;
  /** Run seed: dynamics and sampling seeds derive from (seed, iteration, …). */
  seed: number;
  /** Subtracted from a step's reward when the answer is invalid. */
  formatPenalty: number;
  /** Only exact canonical answers are valid (`PlayOptions.strictAnswers` of {@link playEpisodes}). */
  strictAnswers?: boolean;
  /** Cap on generated tokens per decision. */
  maxNewTokens?: number;
  /** Nucleus sampling mass. */
  topP?: number;
  /** Top-k sampling. */
  topK?: number;
}

/**
 * Play `initialStateSeeds.length` groups of `groupSize` episodes with `policy`.
 *
 * @param makeEnv builds one fresh environment (called once per episode).
 * @param policy the acting policy.
 * @param options groups, sizes, sampling and seeds.
 * @returns the episodes, group-major (group 0's episodes first), and rollout totals.
 */
export async function collectGroups(
  makeEnv: () => TextEnv,
  policy: Policy,
  options: GroupRolloutOptions,
): Promise<{ episodes: Episode[]; stats: PlayStats }> {
  const { iteration, groupSize, seed } = options;
  if (!Number.isInteger(groupSize) || groupSize < 1) {
    throw new Error(`collectGroups: groupSize must be a positive integer, got ${groupSize}`);
  }
  const specs = options.initialStateSeeds.flatMap((initialStateSeed, group) =>
    Array.from({ length: groupSize }, (_, index) => ({
      env: makeEnv(),
      initialStateSeed,
      dynamicsSeed: trainingDynamicsSeed(seed, iteration, group, index),
    }))
  );
  const { episodes, stats } = await playEpisodes(specs, policy, {
    temperature: options.temperature,
    maxNewTokens: options.maxNewTokens,
    topP: options.topP,
    topK: options.topK,
    formatPenalty: options.formatPenalty,
    strictAnswers: options.strictAnswers,
    seed: trainingSamplingSeed(seed, iteration),
  });
  return {
    episodes: episodes.map((e, k) => ({
      iteration,
      group: Math.floor(k / groupSize),
      index: k % groupSize,
      scenario: specs[k].env.scenario ?? specs[k].env.name,
      initialStateSeed: specs[k].initialStateSeed,
      dynamicsSeed: specs[k].dynamicsSeed,
      ...e,
    })),
    stats,
  };
}
