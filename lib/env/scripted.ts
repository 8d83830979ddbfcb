/**
 * Scripted baseline policies: uniformly random actions, and the Frozen Lake oracle (the exact
 * optimal policy for the env's current map and remaining steps), plain or hurried (shortest). They return domain actions; use
 * `env.formatAction(a)` to turn one into answer text.
 *
 * @module
 */

import type { Rng } from "../util/rng.ts";
import { FrozenLakeEnv } from "./frozen_lake.ts";
import { OPTIMUM_TIE_TOLERANCE } from "./frozen_lake_optimum.ts";
import { SnakeEnv } from "./snake.ts";
import type { TextEnv } from "./tsmg.ts";

/**
 * A uniformly random domain action.
 * @param env the environment (its action space is `env.actionNames`).
 * @param rng the caller's seeded generator.
 * @returns an action index in `0..env.actionNames.length − 1`.
 * @example
 * ```ts
 * import { randomAction } from "./scripted.ts";
 * import { FrozenLakeEnv } from "./frozen_lake.ts";
 * import { Rng } from "../util/rng.ts";
 * const env = new FrozenLakeEnv();
 * env.reset(0);
 * const text = env.formatAction(randomAction(env, new Rng(1)));
 * ```
 */
export function randomAction(env: TextEnv, rng: Rng): number {
  return rng.int(env.actionNames.length);
}

/**
 * The Frozen Lake oracle: an optimal action (finite-horizon value iteration, lowest action index
 * among ties) for the env's current state and steps left (`maxSteps − t`). On a finished episode
 * it returns 0.
 *
 * @param env a Frozen Lake environment after `reset`.
 * @returns the optimal action.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oracleAction } from "./scripted.ts";
 * import { FrozenLakeEnv } from "./frozen_lake.ts";
 * const env = new FrozenLakeEnv({ mapName: "4x4", slippery: false, maxSteps: 6 });
 * env.reset(0);
 * assert.equal(oracleAction(env), 1); // down
 * ```
 */
export function oracleAction(env: TextEnv): number {
  if (!(env instanceof FrozenLakeEnv)) {
    throw new Error(`oracleAction: needs a FrozenLakeEnv, got ${env?.name ?? String(env)}`);
  }
  if (env.done) return 0;
  return env.optimum().action(env.state, env.maxSteps - env.t);
}

/**
 * An optimal Frozen Lake action that wastes no step: the optimal action for the shortest horizon
 * k ≤ steps left whose optimal value already equals the value with all the steps left. Any
 * optimal action keeps the best success probability, but with spare steps the plain optimum
 * (lowest index among ties) dawdles — e.g. bumps left into the wall while it can afford to — so
 * its choice depends on the step count, which the compact prompt does not show. This one takes a
 * shortest path on non-slippery maps and stays optimal on slippery ones (V_k ≤ V_{k+1}, and
 * acting optimally for horizon k from a state where V_k = V_T keeps the value V_T).
 *
 * @param env a started Frozen Lake environment.
 * @returns the action index (0 when the episode is over).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hurriedOracleAction } from "./scripted.ts";
 * import { FrozenLakeEnv } from "./frozen_lake.ts";
 * const env = new FrozenLakeEnv({ desc: ["SF", "FG"], slippery: false, maxSteps: 8 });
 * env.reset(0);
 * assert.equal(hurriedOracleAction(env), 1); // down: a shortest path; the plain optimum says left
 * ```
 */
export function hurriedOracleAction(env: TextEnv): number {
  if (!(env instanceof FrozenLakeEnv)) {
    throw new Error(`hurriedOracleAction: needs a FrozenLakeEnv, got ${env?.name ?? String(env)}`);
  }
  if (env.done) return 0;
  const opt = env.optimum();
  const left = env.maxSteps - env.t;
  const best = opt.value(env.state, left);
  for (let k = 1; k < left; k++) {
    if (opt.value(env.state, k) >= best - OPTIMUM_TIE_TOLERANCE) return opt.action(env.state, k);
  }
  return opt.action(env.state, left);
}

/**
 * A greedy Snake move for agent 0: among the moves that do not hit a wall or a cell occupied now
 * (any snake's body, tails included — the game's own rule), the one that brings the head closest
 * (Manhattan distance) to the nearest apple; lowest action index among ties; the default action
 * when every move is deadly or the episode is over. A one-step look-ahead, not an optimum: it can
 * walk into dead ends or head-on collisions with the opponent.
 *
 * @param env a started Snake environment.
 * @returns the action index (0 up, 1 down, 2 left, 3 right).
 * @example
 * ```ts
 * import { greedySnakeAction } from "./scripted.ts";
 * import { SnakeEnv } from "./snake.ts";
 * const env = new SnakeEnv();
 * env.reset(0);
 * const a = greedySnakeAction(env); // a move that does not die at once
 * ```
 */
export function greedySnakeAction(env: TextEnv): number {
  if (!(env instanceof SnakeEnv)) {
    throw new Error(`greedySnakeAction: needs a SnakeEnv, got ${env?.name ?? String(env)}`);
  }
  if (env.done) return env.defaultAction;
  const state = env.getState();
  const me = state.snakes[0];
  if (!me.alive || me.cells.length === 0) return env.defaultAction;
  const occupied = new Set<number>();
  for (const s of state.snakes) for (const [x, y] of s.cells) occupied.add(y * state.width + x);
  const [hx, hy] = me.cells[0];
  let best = env.defaultAction, bestDistance = Infinity;
  for (let a = 0; a < SNAKE_MOVES.length; a++) {
    const x = hx + SNAKE_MOVES[a][0], y = hy + SNAKE_MOVES[a][1];
    if (x < 0 || y < 0 || x >= state.width || y >= state.height) continue;
    if (occupied.has(y * state.width + x)) continue;
    let d = state.apples.length === 0 ? 0 : Infinity;
    for (const [ax, ay] of state.apples) d = Math.min(d, Math.abs(ax - x) + Math.abs(ay - y));
    if (d < bestDistance) [best, bestDistance] = [a, d];
  }
  return best;
}

/** Head displacement (dx, dy) of each Snake action, in action order: up, down, left, right (y grows upwards). */
const SNAKE_MOVES: readonly (readonly [number, number])[] = [[0, 1], [0, -1], [-1, 0], [1, 0]];

/**
 * The scripted "planner" move of any supported environment, used to mix hints into pre-training
 * transcripts: {@link hurriedOracleAction} on Frozen Lake, {@link greedySnakeAction} on Snake.
 *
 * @param env a started environment.
 * @returns the action index, or null when no planner exists for this environment.
 */
export function plannerAction(env: TextEnv): number | null {
  if (env instanceof FrozenLakeEnv) return hurriedOracleAction(env);
  if (env instanceof SnakeEnv) return greedySnakeAction(env);
  return null;
}
