/**
 * Replay a logged episode in our own environments to recover the boards it was played on: the
 * `steps` table keeps the model's text per step, and an episode is fixed by its scenario, its
 * initial-state seed and its dynamics seed, so stepping a fresh environment with the same texts
 * gives the same boards. The replay checks itself against the logged rewards and done flags.
 * A training episode's scenario, seed and dynamics seed are columns of the `episodes` table.
 *
 * @module
 */
import { FrozenLakeEnv } from "../env/frozen_lake.ts";
import { getScenario } from "../env/scenarios.ts";
import { SnakeEnv } from "../env/snake.ts";
import type { TextEnv } from "../env/tsmg.ts";
import type { BoardFrame } from "./board.ts";

/**
 * The board of an environment now.
 * @param env a Frozen Lake or Snake environment after `reset`.
 * @returns the board frame.
 */
export function boardOf(env: TextEnv): BoardFrame {
  if (env instanceof FrozenLakeEnv) {
    return { kind: "frozen_lake", desc: env.desc, state: env.state };
  }
  if (env instanceof SnakeEnv) {
    const s = env.getState();
    return { kind: "snake", width: s.width, height: s.height, snakes: s.snakes, apples: s.apples };
  }
  throw new Error(`boardOf: cannot draw ${env.name} (only Frozen Lake and Snake)`);
}

/** What to replay. */
export interface ReplayInput {
  /** Scenario name. */
  scenario: string;
  /** Initial-state seed. */
  initialStateSeed: number;
  /** Dynamics seed (default: the initial-state seed, as evaluation episodes use). */
  dynamicsSeed?: number;
  /** The model's text at each step, in order. */
  completions: readonly string[];
  /** Format penalty the logged rewards include (default 0). */
  formatPenalty?: number;
  /** Logged rewards, to check the replay against. */
  loggedRewards?: readonly number[];
}

/** A replayed episode. */
export interface ReplayResult {
  /** The board before each step, then the final board (`completions.length + 1` frames). */
  frames: BoardFrame[];
  /** Action executed at each step, by name (`null` = invalid answer, default action executed). */
  actions: (string | null)[];
  /** Reward of each step (format penalty included). */
  rewards: number[];
  /** Whether the episode reached its goal. */
  success: boolean;
  /** Whether rewards and the episode's end matched the log (null without logged rewards). */
  consistent: boolean | null;
}

/**
 * Replay an episode step by step.
 * @param input scenario, seeds, texts and the logged rewards.
 * @returns frames, actions, rewards and the consistency check.
 */
export function replayEpisode(input: ReplayInput): ReplayResult {
  const env = getScenario(input.scenario).makeEnv({ renderStyle: "compact" });
  env.reset(input.initialStateSeed, input.dynamicsSeed ?? input.initialStateSeed);
  const frames: BoardFrame[] = [boardOf(env)];
  const actions: (string | null)[] = [], rewards: number[] = [];
  let success = false, consistent: boolean | null = input.loggedRewards ? true : null;
  for (let t = 0; t < input.completions.length; t++) {
    if (env.done) {
      consistent = false;
      break;
    }
    const res = env.stepText([input.completions[t]], input.formatPenalty ?? 0);
    actions.push(res.info.valid[0] ? env.actionNames[res.info.actions[0]] : null);
    rewards.push(res.rewards[0]);
    success = res.info.success === true;
    frames.push(boardOf(env));
    const logged = input.loggedRewards?.[t];
    if (logged !== undefined && Math.abs(logged - res.rewards[0]) > 1e-9) consistent = false;
  }
  if (input.loggedRewards && !env.done) consistent = false;
  return { frames, actions, rewards, success, consistent };
}
