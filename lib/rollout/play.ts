/**
 * Play many episodes at once: every live episode's prompt goes into one policy call per time step,
 * so a language model generates for the whole batch together (batched, KV-cached decoding).
 *
 * @module
 */
import { isCanonicalAnswer, type TextEnv } from "../env/tsmg.ts";
import type { ActOptions, Policy } from "../policy/types.ts";
import { decisionSeed } from "../util/seeds.ts";
import type { StepRecord } from "./types.ts";

/** One episode to play: a fresh environment and its two seeds. */
export interface EpisodeSpec {
  /** The environment to play in (reset by {@link playEpisodes}). */
  env: TextEnv;
  /** Fixes the initial state (map, board). */
  initialStateSeed: number;
  /** Seeds the dynamics (slips, opponents, respawns). */
  dynamicsSeed: number;
}

/** A finished episode as {@link playEpisodes} returns it. */
export interface PlayedEpisode {
  /** The decisions in time order. */
  steps: StepRecord[];
  /** Undiscounted sum of rewards. */
  return: number;
  /** The environment's success flag on the last step. */
  success: boolean;
}

/** Options of {@link playEpisodes}. */
export interface PlayOptions extends Omit<ActOptions, "seed"> {
  /** Base seed of the policy's sampling; each time step derives its own. */
  seed: number;
  /** Subtracted from a step's reward when the answer names no legal action. */
  formatPenalty: number;
  /**
   * Count an answer as invalid unless it is exactly the canonical answer of the action it names
   * ({@link isCanonicalAnswer}): the default action is played and the penalty paid (default false:
   * the environment's parser decides). The step still records the answer as written.
   */
  strictAnswers?: boolean;
}

/** Totals over one {@link playEpisodes} call. */
export interface PlayStats {
  /** Policy calls made (one per time step). */
  policyCalls: number;
  /** Prompt tokens processed. */
  promptTokens: number;
  /** Tokens generated. */
  completionTokens: number;
  /** Seconds spent inside the policy. */
  policySeconds: number;
}

/**
 * Play every episode in `specs` to its end with `policy`, batching all live episodes per step.
 *
 * @param specs the episodes (each env is reset with its seeds first).
 * @param policy any {@link Policy}.
 * @param options sampling settings, seed and format penalty.
 * @returns the played episodes (same order as `specs`) and totals.
 */
export async function playEpisodes(
  specs: readonly EpisodeSpec[],
  policy: Policy,
  options: PlayOptions,
): Promise<{ episodes: PlayedEpisode[]; stats: PlayStats }> {
  const episodes: PlayedEpisode[] = specs.map(() => ({ steps: [], return: 0, success: false }));
  for (const spec of specs) {
    if (spec.env.numAgents !== 1) {
      throw new Error(
        `playEpisodes: ${spec.env.name} has ${spec.env.numAgents} language agents; rollouts support 1`,
      );
    }
    spec.env.reset(spec.initialStateSeed, spec.dynamicsSeed);
  }
  const stats: PlayStats = {
    policyCalls: 0,
    promptTokens: 0,
    completionTokens: 0,
    policySeconds: 0,
  };
  let live = specs.map((_, i) => i);
  for (let t = 0; live.length > 0; t++) {
    const inputs = live.map((i) => ({ ...specs[i].env.observe(0), env: specs[i].env, agent: 0 }));
    const started = performance.now();
    const completions = await policy.act(inputs, {
      ...options,
      seed: decisionSeed(options.seed, t),
    });
    stats.policySeconds += (performance.now() - started) / 1000;
    stats.policyCalls++;
    if (completions.length !== live.length) {
      throw new Error(
        `playEpisodes: policy ${policy.name} returned ${completions.length} completions for ${live.length} prompts`,
      );
    }
    live.forEach((i, row) => {
      const c = completions[row];
      const env = specs[i].env;
      const strictInvalid = options.strictAnswers === true && !isCanonicalAnswer(env, c.text);
      // "" names no action: the environment plays its default action and subtracts the penalty
      const result = env.stepText([strictInvalid ? "" : c.text], options.formatPenalty);
      stats.promptTokens += c.usage.promptTokens;
      stats.completionTokens += c.usage.completionTokens;
      const reward = result.rewards[0];
      const done = result.terminated || result.truncated;
      episodes[i].steps.push({
        t,
        promptIds: c.promptIds ?? [],
        completionIds: c.completionIds ?? [],
        completionText: c.text,
        oldLogprobs: c.logprobs ?? [],
        action: result.info.actions[0],
        valid: result.info.valid[0],
        reward,
        done,
      });
      episodes[i].return += reward;
      if (done) episodes[i].success = result.info.success === true;
    });
    live = live.filter((i) => !specs[i].env.done);
  }
  return { episodes, stats };
}
