/**
 * The exact optimum of Frozen Lake: finite-horizon value iteration over the transition table,
 * giving the highest achievable probability of reaching G within T steps and an optimal action
 * for every (state, steps left).
 *
 * @module
 */

import { compileDynamics } from "./frozen_lake_dynamics.ts";

/** Options of {@link frozenLakeOptimum}. */
export interface FrozenLakeOptimumOptions {
  /** Whether moves may slip sideways. */
  slippery: boolean;
  /** The step cap T (an integer ≥ 0). */
  maxSteps: number;
  /** Probability of the intended move when slippery (default 1/3). */
  successRate?: number;
}

/** The optimal value function and policy of a Frozen Lake map under a step cap. */
export interface FrozenLakeOptimum {
  /**
   * The optimal probability of reaching G within `maxSteps` steps from the start (the mean over
   * start tiles when a map has several S).
   */
  successProbability: number;
  /**
   * An optimal action (lowest index among the optimal ones, ties within 1e-12).
   * @param state `row * ncol + col`.
   * @param stepsLeft steps remaining before the cap, 1..maxSteps (0 and absorbing states give 0).
   */
  action(state: number, stepsLeft: number): number;
  /**
   * The optimal probability of reaching G from `state` within `stepsLeft` steps (0 on G and H:
   * the reward for entering G is counted when entering).
   */
  value(state: number, stepsLeft: number): number;
}

/** Two action values closer than this count as tied (the lowest action index wins). */
export const OPTIMUM_TIE_TOLERANCE = 1e-12;

/**
 * Finite-horizon value iteration. `V_0 = 0`; for k = 1..T,
 * `V_k(s) = max_a Σ p · (1[s' = G] + (terminated ? 0 : V_{k−1}(s')))` over Gymnasium's transition
 * table (G and H absorbing with value 0). `successProbability = V_T(start)`.
 *
 * Figures (computed by this function, asserted in the tests): standard 4x4 slippery with T = 100
 * gives 0.744190 (Gymnasium's registry: "about 0.74"), 8x8 slippery with T = 200 gives 0.913220.
 *
 * @param desc the map's rows, top to bottom.
 * @param opts slipperiness, step cap and success rate.
 * @returns the optimum: success probability, action and value functions.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { frozenLakeOptimum } from "./frozen_lake_optimum.ts";
 * const opt = frozenLakeOptimum(["SFFF", "FHFH", "FFFH", "HFFG"], { slippery: true, maxSteps: 100 });
 * assert.deepEqual(opt.successProbability.toFixed(6), "0.744190");
 * ```
 */
export function frozenLakeOptimum(
  desc: string[],
  opts: FrozenLakeOptimumOptions,
): FrozenLakeOptimum {
  if (opts === null || typeof opts !== "object") {
    throw new Error(`frozenLakeOptimum: opts must be an object, got ${String(opts)}`);
  }
  const T = opts.maxSteps;
  if (!Number.isInteger(T) || T < 0) {
    throw new Error(`frozenLakeOptimum: maxSteps must be an integer >= 0, got ${T}`);
  }
  const dyn = compileDynamics(desc, { slippery: opts.slippery, successRate: opts.successRate });
  const { nS, count, prob, next, term, isGoal, absorbing } = dyn;
  const V = new Float64Array((T + 1) * nS);
  const A = new Uint8Array((T + 1) * nS);
  const Q = new Float64Array(4);
  for (let k = 1; k <= T; k++) {
    const prev = (k - 1) * nS, cur = k * nS;
    for (let s = 0; s < nS; s++) {
      if (absorbing[s]) continue;
      for (let a = 0; a < 4; a++) {
        const sa = s * 4 + a;
        let q = 0;
        for (let j = 0; j < count[sa]; j++) {
          const i = sa * 3 + j, s2 = next[i];
          q += prob[i] * (isGoal[s2] + (term[i] ? 0 : V[prev + s2]));
        }
        Q[a] = q;
      }
      const best = Math.max(Q[0], Q[1], Q[2], Q[3]);
      let bestA = 0;
      while (Q[bestA] < best - OPTIMUM_TIE_TOLERANCE) bestA++;
      V[cur + s] = best;
      A[cur + s] = bestA;
    }
  }
  let success = 0;
  for (const s of dyn.starts) success += V[T * nS + s];
  success /= dyn.starts.length;
  const check = (state: number, stepsLeft: number, fn: string) => {
    if (!Number.isInteger(state) || state < 0 || state >= nS) {
      throw new Error(`frozenLakeOptimum.${fn}: state ${state} out of range 0..${nS - 1}`);
    }
    if (!Number.isInteger(stepsLeft) || stepsLeft < 0 || stepsLeft > T) {
      throw new Error(`frozenLakeOptimum.${fn}: stepsLeft ${stepsLeft} out of range 0..${T}`);
    }
  };
  return {
    successProbability: success,
    action(state: number, stepsLeft: number): number {
      check(state, stepsLeft, "action");
      return A[stepsLeft * nS + state];
    },
    value(state: number, stepsLeft: number): number {
      check(state, stepsLeft, "value");
      return V[stepsLeft * nS + state];
    },
  };
}
