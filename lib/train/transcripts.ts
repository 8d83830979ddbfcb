/**
 * Text transcripts of scripted play, rendered by our own environments: the pre-training corpus of
 * the small base models used on CPU (no pretrained weights exist here). Each decision becomes one
 * (instructions, state, answer) example in the exact prompt format the policy sees later.
 *
 * @module
 */
import { plannerAction, randomAction } from "../env/scripted.ts";
import type { TextEnv } from "../env/tsmg.ts";
import { Rng } from "../util/rng.ts";
import { MixedScenarioEnv } from "../env/mixed.ts";
import { trainingStateSeed, transcriptDynamicsSeed, transcriptSeed } from "../util/seeds.ts";

/**
 * The planner's move for `env`, looking through a {@link MixedScenarioEnv} to the current
 * scenario (and mapping the move back to the mixture's action indices); null without a planner.
 */
function hintOf(env: TextEnv): number | null {
  if (!(env instanceof MixedScenarioEnv)) return plannerAction(env);
  const sub = env.current, a = plannerAction(sub);
  return a === null ? null : env.actionNames.indexOf(sub.actionNames[a]);
}

/** One decision of a transcript. */
export interface TranscriptExample {
  /** Instructions (system turn). */
  system: string;
  /** Current state (user turn). */
  user: string;
  /** The answer text, in the environment's action format. */
  answer: string;
}

/** Options of {@link renderTranscripts}. */
export interface TranscriptOptions {
  /** Number of episodes to play. */
  episodes: number;
  /** Seed of maps, dynamics and the random moves. */
  seed: number;
  /**
   * Probability that a move comes from the environment's scripted planner (`plannerAction`: the
   * hurried Frozen Lake oracle, the greedy Snake move; through a {@link MixedScenarioEnv} the
   * current scenario's) instead of uniform random play (0 = pure random play). Environments
   * without a planner always play randomly.
   */
  oracleFraction?: number;
}

/**
 * Play scripted episodes and render every decision as text.
 *
 * @param makeEnv builds the environment (e.g. a scenario's `makeEnv`).
 * @param opts episode count, seed and the oracle/random mix.
 * @returns one example per decision, in play order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderTranscripts } from "./transcripts.ts";
 * import { FrozenLakeEnv } from "../env/frozen_lake.ts";
 * const ex = renderTranscripts(() => new FrozenLakeEnv({ renderStyle: "compact" }), { episodes: 2, seed: 0 });
 * assert.deepEqual(ex[0].answer.startsWith("<action>"), true);
 * ```
 */
export function renderTranscripts(
  makeEnv: () => TextEnv,
  opts: TranscriptOptions,
): TranscriptExample[] {
  const oracleFraction = opts.oracleFraction ?? 0;
  if (!(oracleFraction >= 0 && oracleFraction <= 1)) {
    throw new Error(`renderTranscripts: oracleFraction must be in [0, 1], got ${oracleFraction}`);
  }
  const env = makeEnv();
  const rng = new Rng(transcriptSeed(opts.seed));
  const out: TranscriptExample[] = [];
  for (let e = 0; e < opts.episodes; e++) {
    env.reset(trainingStateSeed(opts.seed, e), transcriptDynamicsSeed(opts.seed, e));
    while (!env.done) {
      const { system, user } = env.observe();
      const useOracle = oracleFraction > 0 && rng.float() < oracleFraction;
      const action = (useOracle ? hintOf(env) : null) ?? randomAction(env, rng);
      out.push({ system, user, answer: env.formatAction(action) });
      env.step([action]);
    }
  }
  return out;
}
