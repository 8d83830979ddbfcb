/**
 * Scripted policies behind the {@link Policy} interface: they read the environment handed with each
 * input (not the text) and answer in the environment's canonical action format, so they can stand
 * in for a language model in rollouts and evaluations.
 *
 * @module
 */
import { oracleAction, randomAction } from "../env/scripted.ts";
import type { TextEnv } from "../env/tsmg.ts";
import { deriveSeed, Rng } from "../util/rng.ts";
import type { ActOptions, Completion, Policy, PolicyInput } from "./types.ts";

function _envOf(input: PolicyInput, who: string): TextEnv {
  if (input.env === undefined) {
    throw new Error(`${who}: a scripted policy needs the environment with each input (input.env)`);
  }
  return input.env;
}

function _scripted(text: string): Completion {
  return { text, finishReason: "scripted", usage: { promptTokens: 0, completionTokens: 0 } };
}

/**
 * A policy that picks uniformly random legal actions; row i of a call draws from
 * `Rng(deriveSeed(seed, i))`, so the same seed gives the same answers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RandomPolicy } from "./scripted.ts";
 * import { FrozenLakeEnv } from "../env/frozen_lake.ts";
 * const env = new FrozenLakeEnv();
 * env.reset(0);
 * const [c] = await new RandomPolicy().act([{ ...env.observe(), env }], { temperature: 1, seed: 3 });
 * assert.deepEqual(env.parseAction(c.text) !== null, true);
 * ```
 */
export class RandomPolicy implements Policy {
  /** @inheritdoc */
  readonly name = "random";

  /** @inheritdoc */
  act(inputs: PolicyInput[], options: ActOptions): Promise<Completion[]> {
    return Promise.resolve(inputs.map((input, i) => {
      const env = _envOf(input, "RandomPolicy.act");
      return _scripted(env.formatAction(randomAction(env, new Rng(deriveSeed(options.seed, i)))));
    }));
  }
}

/**
 * The Frozen Lake oracle: the exact optimal action for the current map, state and steps left.
 * Temperature and seed are ignored (the oracle is deterministic).
 */
export class OraclePolicy implements Policy {
  /** @inheritdoc */
  readonly name = "oracle";

  /** @inheritdoc */
  act(inputs: PolicyInput[], _options: ActOptions): Promise<Completion[]> {
    return Promise.resolve(inputs.map((input) => {
      const env = _envOf(input, "OraclePolicy.act");
      return _scripted(env.formatAction(oracleAction(env)));
    }));
  }
}
