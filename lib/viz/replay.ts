/**
 * Replay a logged episode in our own environments to recover the boards it was played on: the
 * `steps` table keeps the model's text per step, and an episode is fixed by its scenario, its
 * initial-state seed and its dynamics seed, so stepping a fresh environment with the same texts
 * gives the same boards. The replay checks itself against the logged rewards and done flags.
 *
 * The dynamics seed of a training episode derives from the run seed as in
 * `lib/rollout/groups.ts` ({@link trainingDynamicsSeed}; a test keeps the two in step). The
 * scenario of an episode of a mixed-scenario run comes from its seed ({@link pickScenario}).
 *
 * @module
 */
import { FrozenLakeEnv } from "../env/frozen_lake.ts";
import { getScenario } from "../env/scenarios.ts";
import { SnakeEnv } from "../env/snake.ts";
import type { TextEnv } from "../env/tsmg.ts";
import { pickScenario } from "../train/mixed_env.ts";
import { deriveSeed } from "../util/rng.ts";
import type { BoardFrame } from "./board.ts";
import { configValue, type RunInfo } from "./runs.ts";

/**
 * The dynamics seed the trainer gave a training episode.
 * @param runSeed the run's seed (`meta.json` / `config.yaml`).
 * @param iteration training iteration.
 * @param group group index.
 * @param episode episode index within the group.
 * @returns the seed.
 */
export function trainingDynamicsSeed(
  runSeed: number,
  iteration: number,
  group: number,
  episode: number,
): number {
  return deriveSeed(runSeed, iteration, group, episode, 0xd1);
}

/**
 * The scenario a training episode of `run` played: by seed for a mixed run (`train_scenarios` in
 * its config), else the config's `env.scenario`.
 * @param run the run.
 * @param initialStateSeed the episode's initial-state seed.
 * @returns the scenario name.
 */
export function trainingScenarioOf(run: RunInfo, initialStateSeed: number): string {
  const mix = configValue(run, "train_scenarios");
  if (Array.isArray(mix) && mix.length > 0) return pickScenario(initialStateSeed, mix as string[]);
  const sc = configValue(run, "env.scenario");
  if (typeof sc !== "string") throw new Error(`run ${run.name}: config has no env.scenario`);
  return sc;
}

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
