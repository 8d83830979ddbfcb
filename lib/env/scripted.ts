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
import { OPTIMUM_TIE_TOLERANCE } from "./frozen_lake_optimum.ts";
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
 * import { oracleAction } from "./scripted.ts";
 * import { FrozenLakeEnv } from "./frozen_lake.ts";
import { OPTIMUM_TIE_TOLERANCE } from "./frozen_lake_optimum.ts";
 * const env = new FrozenLakeEnv({ mapName: "4x4", slippery: false, maxSteps: 6 });
 * env.reset(0);
 * console.log(oracleAction(env)); // 1 (down)
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
 * import { hurriedOracleAction } from "./scripted.ts";
 * import { FrozenLakeEnv } from "./frozen_lake.ts";
import { OPTIMUM_TIE_TOLERANCE } from "./frozen_lake_optimum.ts";
 * const env = new FrozenLakeEnv({ desc: ["SF", "FG"], slippery: false, maxSteps: 8 });
 * env.reset(0);
 * console.log(hurriedOracleAction(env)); // 1 (down: a shortest path; the plain optimum says left)
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
