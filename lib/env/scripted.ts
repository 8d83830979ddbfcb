/**
 * Scripted baseline policies: uniformly random actions, and the Frozen Lake oracle (the exact
 * optimal policy for the env's current map and remaining steps). They return domain actions; use
 * `env.formatAction(a)` to turn one into answer text.
 *
 * @module
 */

import type { Rng } from "../util/rng.ts";
import { FrozenLakeEnv } from "./frozen_lake.ts";
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
 * import { oracleAction } from "./scripted.ts";
 * import { FrozenLakeEnv } from "./frozen_lake.ts";
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
