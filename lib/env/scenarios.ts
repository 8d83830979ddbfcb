/**
 * The evaluation scenarios (the authors' later evaluation suite): named environment settings,
 * each with 50 fixed evaluation episodes, identical at every evaluation point and for every
 * policy compared. An episode's seed is both its initial-state seed (the map or board) and its
 * dynamics seed (slips, opponents, apple respawns).
 *
 * @module
 */

import { FrozenLakeEnv } from "./frozen_lake.ts";
import { generateRandomMap } from "./frozen_lake_maps.ts";
import { frozenLakeOptimum } from "./frozen_lake_optimum.ts";
import { SnakeEnv } from "./snake.ts";
import type { RenderStyle, TextEnv } from "./tsmg.ts";
import { evaluationStateSeed } from "../util/seeds.ts";

/** Number of evaluation episodes per scenario. */
export const EPISODES_PER_SCENARIO = 50;

/** Text options a caller may choose when making a scenario's environment. */
export interface ScenarioEnvOptions {
  /** Observation style (default `"verbose"`). */
  renderStyle?: RenderStyle;
  /** Default format penalty of `stepText` (default 0, the evaluation setting). */
  formatPenalty?: number;
}

/** A named evaluation scenario. */
export interface Scenario {
  /** The scenario's name, e.g. `FrozenLake-NoSlip`. */
  readonly name: string;
  /** Which game. */
  readonly kind: "frozen_lake" | "snake";
  /** A one-line description of the settings. */
  readonly description: string;
  /** A fresh environment with the scenario's settings. */
  makeEnv(opts?: ScenarioEnvOptions): TextEnv;
  /** The 50 fixed episode seeds (pass each to `reset(seed)`). */
  readonly episodeSeeds: readonly number[];
  /** Frozen Lake only: the mean exact optimal success over the 50 episodes' maps. */
  readonly optimalSuccess?: number;
}

interface _FlSpec {
  size: number;
  p: number;
  slippery: boolean;
  maxSteps: number;
}

/** The 50 seeds of scenario number `k` (1-based): `k * 1_000_000 + i`, i = 0..49. */
function _seeds(k: number): readonly number[] {
  return Object.freeze(
    Array.from({ length: EPISODES_PER_SCENARIO }, (_, i) => evaluationStateSeed(k, i)),
  );
}

function _frozenLake(name: string, k: number, spec: _FlSpec): Scenario {
  const seeds = _seeds(k);
  let optimum: number | undefined;
  return {
    name,
    kind: "frozen_lake",
    description: `random ${spec.size}x${spec.size} maps, p = ${spec.p}, ` +
      `${spec.slippery ? "slippery" : "not slippery"}, ${spec.maxSteps} steps`,
    makeEnv: (opts: ScenarioEnvOptions = {}) =>
      new FrozenLakeEnv({
        name,
        randomMap: { size: spec.size, p: spec.p },
        slippery: spec.slippery,
        maxSteps: spec.maxSteps,
        renderStyle: opts.renderStyle,
        formatPenalty: opts.formatPenalty,
      }),
    episodeSeeds: seeds,
    get optimalSuccess(): number {
      optimum ??= _mean(_flOptima(spec, seeds));
      return optimum;
    },
  };
}

function _snake(name: string, k: number, maxSteps: number): Scenario {
  return {
    name,
    kind: "snake",
    description: `10x10, 1 opponent, 5 apples, ${maxSteps} steps, death -1, step reward 0`,
    makeEnv: (opts: ScenarioEnvOptions = {}) =>
      new SnakeEnv({
        name,
        width: 10,
        height: 10,
        opponents: 1,
        apples: 5,
        maxSteps,
        deathReward: -1,
        stepReward: 0,
        renderStyle: opts.renderStyle,
        formatPenalty: opts.formatPenalty,
      }),
    episodeSeeds: _seeds(k),
  };
}

/** The registry of evaluation scenarios, by name. */
export const SCENARIOS: Readonly<Record<string, Scenario>> = Object.freeze({
  "FrozenLake-NoSlip": _frozenLake("FrozenLake-NoSlip", 1, {
    size: 4,
    p: 0.8,
    slippery: false,
    maxSteps: 8,
  }),
  "FrozenLake-Slippery": _frozenLake("FrozenLake-Slippery", 2, {
    size: 4,
    p: 0.9,
    slippery: true,
    maxSteps: 15,
  }),
  "Snake-8": _snake("Snake-8", 3, 8),
  "Snake-20": _snake("Snake-20", 4, 20),
  "FrozenLake-BigSlippery": _frozenLake("FrozenLake-BigSlippery", 5, {
    size: 8,
    p: 0.9,
    slippery: true,
    maxSteps: 20,
  }),
});

/**
 * Look up a scenario by name.
 * @param name e.g. `FrozenLake-NoSlip`.
 * @returns the scenario.
 * @example
 * ```ts
 * import { getScenario } from "./scenarios.ts";
 * const sc = getScenario("FrozenLake-NoSlip");
 * const env = sc.makeEnv({ renderStyle: "compact" });
 * env.reset(sc.episodeSeeds[0]);
 * ```
 */
export function getScenario(name: string): Scenario {
  const sc = Object.hasOwn(SCENARIOS, name) ? SCENARIOS[name] : undefined;
  if (sc === undefined) {
    throw new Error(
      `unknown scenario ${JSON.stringify(name)}; known: ${Object.keys(SCENARIOS).join(", ")}`,
    );
  }
  return sc;
}

/**
 * The exact optimal success probability of each of a Frozen Lake scenario's episodes (same order
 * as `episodeSeeds`).
 * @param scenario a Frozen Lake scenario (or its name).
 * @returns one probability per episode.
 */
export function scenarioOptima(scenario: Scenario | string): number[] {
  const sc = typeof scenario === "string" ? getScenario(scenario) : scenario;
  if (sc.kind !== "frozen_lake") {
    throw new Error(
      `scenarioOptima: ${sc.name} is a ${sc.kind} scenario; only Frozen Lake has one`,
    );
  }
  const env = sc.makeEnv() as FrozenLakeEnv;
  return sc.episodeSeeds.map((seed) => {
    env.reset(seed);
    return env.optimum().successProbability;
  });
}

function _flOptima(spec: _FlSpec, seeds: readonly number[]): number[] {
  return seeds.map((seed) =>
    frozenLakeOptimum(generateRandomMap(spec.size, spec.p, seed), {
      slippery: spec.slippery,
      maxSteps: spec.maxSteps,
    }).successProbability
  );
}

function _mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
