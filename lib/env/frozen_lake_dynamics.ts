/**
 * Frozen Lake dynamics: the full transition table with the same content as Gymnasium
 * FrozenLake-v1's `env.P`, a merged view, and a compiled flat form used for fast stepping and
 * value iteration.
 *
 * @module
 */

import { validateDesc } from "./frozen_lake_maps.ts";

/** Action indices: 0 left, 1 down, 2 right, 3 up (Gymnasium's order). */
export const LEFT = 0, DOWN = 1, RIGHT = 2, UP = 3;

/** One outcome of a (state, action) pair: `[probability, nextState, reward, terminated]`. */
export type Transition = [prob: number, nextState: number, reward: number, terminated: boolean];

/** Options of the dynamics. */
export interface DynamicsOptions {
  /** Whether moves may slip sideways. */
  slippery: boolean;
  /** Probability of moving in the intended direction when slippery (default 1/3), in [0, 1]. */
  successRate?: number;
  /** Rewards for entering `[goal, hole, frozen-or-start]` (Gymnasium's reward_schedule, default [1, 0, 0]). */
  rewardSchedule?: readonly [number, number, number];
}

/**
 * The transition table `P[s][a]` = list of {@link Transition}, identical in content and order to
 * Gymnasium's `env.P`: G and H states are absorbing (`[1, s, 0, true]`); when slippery the three
 * candidate moves `[(a−1) mod 4, a, (a+1) mod 4]` are listed separately with probabilities
 * `[(1−s)/2, s, (1−s)/2]`, even when two of them land on the same state; a move off the grid stays
 * in place; entering G or H terminates.
 *
 * @param desc the map's rows.
 * @param opts slipperiness, success rate, reward schedule.
 * @returns `P[state][action]`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { transitionTable } from "./frozen_lake_dynamics.ts";
 * const P = transitionTable(["SFFF", "FHFH", "FFFH", "HFFG"], { slippery: true });
 * // left from the start: slips up (stays), left (stays) or down (state 4), a third each
 * assert.deepEqual(P[0][0].map(([p, s, r, done]) => [p.toFixed(3), s, r, done]), [
 *   ["0.333", 0, 0, false],
 *   ["0.333", 0, 0, false],
 *   ["0.333", 4, 0, false],
 * ]);
 * ```
 */
export function transitionTable(desc: readonly string[], opts: DynamicsOptions): Transition[][][] {
  const d = validateDesc(desc);
  const { slippery, successRate, rewardSchedule } = _checkOptions(opts);
  const nrow = d.length, ncol = d[0].length;
  const failRate = (1.0 - successRate) / 2.0;
  const P: Transition[][][] = [];
  for (let row = 0; row < nrow; row++) {
    for (let col = 0; col < ncol; col++) {
      const s = row * ncol + col;
      const perAction: Transition[][] = [];
      for (let a = 0; a < 4; a++) {
        const li: Transition[] = [];
        const letter = d[row][col];
        if (letter === "G" || letter === "H") {
          li.push([1.0, s, 0, true]);
        } else if (slippery) {
          for (const b of [(a + 3) % 4, a, (a + 1) % 4]) {
            li.push([b === a ? successRate : failRate, ..._move(d, row, col, b, rewardSchedule)]);
          }
        } else {
          li.push([1.0, ..._move(d, row, col, a, rewardSchedule)]);
        }
        perAction.push(li);
      }
      P[s] = perAction;
    }
  }
  return P;
}

/**
 * A merged view of {@link transitionTable}: outcomes that land on the same next state are summed,
 * listed in order of first appearance.
 * @param P a transition table.
 * @returns `P[s][a]` with one entry per distinct next state.
 */
export function mergeTransitions(P: Transition[][][]): Transition[][][] {
  return P.map((perAction) =>
    perAction.map((li) => {
      const out: Transition[] = [];
      for (const [p, s2, r, term] of li) {
        const prev = out.find((t) => t[1] === s2);
        if (prev) prev[0] += p;
        else out.push([p, s2, r, term]);
      }
      return out;
    })
  );
}

/** The transition table flattened into typed arrays (3 candidate slots per state-action). */
export interface CompiledDynamics {
  /** Number of rows. */
  nrow: number;
  /** Number of columns. */
  ncol: number;
  /** Number of states (`nrow * ncol`). */
  nS: number;
  /** Start states (every S tile, row-major order; an episode starts on one drawn uniformly). */
  starts: Int32Array;
  /** Outcomes per (s, a): 1 or 3. Index `s * 4 + a`. */
  count: Uint8Array;
  /** Outcome probabilities, index `(s * 4 + a) * 3 + k`. */
  prob: Float64Array;
  /** Cumulative outcome probabilities (same index), for sampling. */
  cum: Float64Array;
  /** Next states (same index). */
  next: Int32Array;
  /** Rewards (same index). */
  reward: Float64Array;
  /** Terminated flags (same index). */
  term: Uint8Array;
  /** 1 where the tile is G. Index `s`. */
  isGoal: Uint8Array;
  /** 1 where the tile is G or H (absorbing). Index `s`. */
  absorbing: Uint8Array;
}

/**
 * Compile a map's transition table into flat typed arrays.
 * @param desc the map's rows.
 * @param opts slipperiness, success rate, reward schedule.
 * @returns the compiled dynamics.
 */
export function compileDynamics(desc: readonly string[], opts: DynamicsOptions): CompiledDynamics {
  const P = transitionTable(desc, opts);
  const nrow = desc.length, ncol = desc[0].length, nS = nrow * ncol;
  const c: CompiledDynamics = {
    nrow,
    ncol,
    nS,
    starts: Int32Array.from(
      [...desc.join("")].flatMap((ch, i) => (ch === "S" ? [i] : [])),
    ),
    count: new Uint8Array(nS * 4),
    prob: new Float64Array(nS * 12),
    cum: new Float64Array(nS * 12),
    next: new Int32Array(nS * 12),
    reward: new Float64Array(nS * 12),
    term: new Uint8Array(nS * 12),
    isGoal: new Uint8Array(nS),
    absorbing: new Uint8Array(nS),
  };
  for (let s = 0; s < nS; s++) {
    const ch = desc[Math.floor(s / ncol)][s % ncol];
    c.isGoal[s] = ch === "G" ? 1 : 0;
    c.absorbing[s] = ch === "G" || ch === "H" ? 1 : 0;
    for (let a = 0; a < 4; a++) {
      const li = P[s][a];
      const sa = s * 4 + a;
      c.count[sa] = li.length;
      let acc = 0;
      for (let k = 0; k < li.length; k++) {
        const [p, s2, r, t] = li[k];
        acc += p;
        c.prob[sa * 3 + k] = p;
        c.cum[sa * 3 + k] = acc;
        c.next[sa * 3 + k] = s2;
        c.reward[sa * 3 + k] = r;
        c.term[sa * 3 + k] = t ? 1 : 0;
      }
    }
  }
  return c;
}

function _checkOptions(opts: DynamicsOptions): Required<DynamicsOptions> {
  if (opts === null || typeof opts !== "object" || typeof opts.slippery !== "boolean") {
    throw new Error(
      `Frozen Lake: option slippery must be a boolean, got ${String(opts?.slippery)}`,
    );
  }
  const successRate = opts.successRate ?? 1.0 / 3.0;
  if (typeof successRate !== "number" || !(successRate >= 0 && successRate <= 1)) {
    throw new Error(`Frozen Lake: successRate must be in [0, 1], got ${successRate}`);
  }
  const rewardSchedule = opts.rewardSchedule ?? [1, 0, 0];
  if (
    !Array.isArray(rewardSchedule) || rewardSchedule.length !== 3 ||
    rewardSchedule.some((x) => !Number.isFinite(x))
  ) {
    throw new Error(
      `Frozen Lake: rewardSchedule must be 3 finite numbers [goal, hole, frozen], got ` +
        JSON.stringify(rewardSchedule),
    );
  }
  return { slippery: opts.slippery, successRate, rewardSchedule };
}

function _move(
  desc: readonly string[],
  row: number,
  col: number,
  a: number,
  schedule: readonly [number, number, number],
): [number, number, boolean] {
  const nrow = desc.length, ncol = desc[0].length;
  if (a === LEFT) col = Math.max(col - 1, 0);
  else if (a === DOWN) row = Math.min(row + 1, nrow - 1);
  else if (a === RIGHT) col = Math.min(col + 1, ncol - 1);
  else if (a === UP) row = Math.max(row - 1, 0);
  const letter = desc[row][col];
  const reward = letter === "G" ? schedule[0] : letter === "H" ? schedule[1] : schedule[2];
  return [row * ncol + col, reward, letter === "G" || letter === "H"];
}
