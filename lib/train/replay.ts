/**
 * Replay of failed initial states: a curriculum over the maps the policy does not yet solve (a
 * departure from the paper's MS-GRPO, which draws every group's initial state afresh).
 *
 * Once the policy solves most maps, most groups are all-win: equal returns, Â = 0, no gradient.
 * The signal is on the maps it still fails, about a quarter of random 4x4 maps for the one-step
 * rule the policy first learns (`docs/algorithm.md`). So the trainer keeps a first-in-first-out
 * buffer of the initial-state seeds whose group did not win every episode, and plays
 * `replayGroups` of each iteration's N groups from it (drawn uniformly without replacement); the
 * others are fresh seeds. After an iteration each played seed whose group's success rate is below
 * `threshold` is (re-)appended; a seed whose group reached it leaves the buffer. With threshold 1
 * any lost episode keeps a map; a lower threshold keeps only the maps the policy mostly fails
 * (an exploring policy loses an episode now and then on every map, so threshold 1 replays almost
 * any map). The buffer holds at most `capacity` seeds (the oldest are dropped). With
 * `replayGroups` 0 the trainer is the paper's.
 *
 * The state is the buffer alone (saved in the training checkpoint) and every draw comes from an
 * explicit Rng, so a resumed run replays the same seeds.
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";

/** Options of {@link chooseInitialStates}. */
export interface ReplayChoice {
  /** Groups per iteration (N). */
  groups: number;
  /** How many of them may come from the buffer. */
  replayGroups: number;
  /** The fresh seed of group g (used for every group the buffer does not fill). */
  freshSeed: (group: number) => number;
  /** Source of the draws from the buffer. */
  rng: Rng;
}

/**
 * The iteration's initial-state seeds: up to `replayGroups` drawn from `buffer` (without
 * replacement, in draw order), then fresh ones.
 *
 * @param buffer seeds of initial states whose groups failed (oldest first).
 * @param choice group counts, fresh seeds and the Rng.
 * @returns one seed per group, and whether each came from the buffer.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chooseInitialStates } from "./replay.ts";
 * import { Rng } from "../util/rng.ts";
 * const c = chooseInitialStates([7], {
 *   groups: 3, replayGroups: 2, freshSeed: (g) => 100 + g, rng: new Rng(0),
 * });
 * assert.deepEqual(c.seeds, [7, 101, 102]);
 * assert.deepEqual(c.replayed, [true, false, false]);
 * ```
 */
export function chooseInitialStates(
  buffer: readonly number[],
  choice: ReplayChoice,
): { seeds: number[]; replayed: boolean[] } {
  const pool = [...buffer];
  const k = Math.min(choice.replayGroups, choice.groups, pool.length);
  const seeds: number[] = [];
  for (let i = 0; i < k; i++) seeds.push(pool.splice(choice.rng.int(pool.length), 1)[0]);
  const replayed = seeds.map(() => true);
  for (let g = k; g < choice.groups; g++) {
    seeds.push(choice.freshSeed(g));
    replayed.push(false);
  }
  return { seeds, replayed };
}

/**
 * The buffer after an iteration: played seeds leave it, those whose group's success rate is below
 * `threshold` are appended again (oldest dropped beyond `capacity`).
 *
 * @param buffer the buffer before the iteration.
 * @param played each group's initial-state seed and the fraction of its episodes that won.
 * @param capacity the most seeds kept.
 * @param threshold success rate a group must reach for its seed to leave (default 1).
 * @returns the new buffer.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { updateReplayBuffer } from "./replay.ts";
 * const played = [{ seed: 2, success: 1 }, { seed: 9, success: 0.75 }];
 * assert.deepEqual(updateReplayBuffer([1, 2, 3], played, 3), [1, 3, 9]);
 * assert.deepEqual(updateReplayBuffer([1, 2, 3], played, 2), [3, 9]);
 * assert.deepEqual(updateReplayBuffer([1, 2, 3], played, 3, 0.5), [1, 3]);
 * ```
 */
export function updateReplayBuffer(
  buffer: readonly number[],
  played: readonly { seed: number; success: number }[],
  capacity: number,
  threshold = 1,
): number[] {
  const seen = new Set(played.map((p) => p.seed));
  const next = buffer.filter((s) => !seen.has(s));
  for (const p of played) {
    if (p.success < threshold && !next.includes(p.seed)) next.push(p.seed);
  }
  return next.slice(Math.max(0, next.length - capacity));
}
