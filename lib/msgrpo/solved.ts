/**
 * Self-imitation of solved initial states (a departure from the paper's MS-GRPO; option
 * `msgrpo.solved_advantage`, 0 = the paper).
 *
 * A group whose episodes all succeed with equal returns has Â = 0 for every episode, so the maps a
 * policy already solves say nothing in the update. When most of the non-zero advantages come from
 * maps the policy mostly fails (the replay curriculum, `lib/train/replay.ts`), their losing
 * episodes push down moves that are right on the solved maps too, and nothing pushes back: the
 * policy can drift away from what it had learned (`docs/algorithm.md`, "drift collapse"). This
 * module gives every episode of such a solved group a small positive advantage λ, which imitates
 * the policy's own successes (self-imitation learning, Oh et al. 2018, in its simplest form).
 * Groups with any loss, and all-equal groups that did not all succeed, keep the advantages they
 * had. With |Â|-weighted sampling the solved episodes are drawn in proportion to λ.
 *
 * @module
 */
import { groupKeys, membersByKey } from "./advantages.ts";
import type { Episode } from "./types.ts";

/**
 * The advantages with every episode of a solved group set to `bonus`: a group (same iteration and
 * group id) is solved when every episode succeeded and all their returns are equal.
 *
 * @param episodes the iteration's pool.
 * @param advantages Â_e per episode, in pool order (not modified).
 * @param bonus λ ≥ 0, the advantage of a solved group's episodes (0 returns a copy).
 * @returns the new advantages, in pool order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { solvedGroupAdvantages } from "./solved.ts";
 * import type { Episode } from "./types.ts";
 * const ep = (group: number, ret: number): Episode => ({
 *   iteration: 1, group, index: 0, scenario: "S", initialStateSeed: group, dynamicsSeed: 0,
 *   return: ret, success: ret > 0, steps: [],
 * });
 * const pool = [ep(0, 1), ep(0, 1), ep(1, 1), ep(1, 0), ep(2, 0), ep(2, 0)];
 * const a = solvedGroupAdvantages(pool, [0, 0, 1, -1, 0, 0], 0.5);
 * assert.deepEqual(a, [0.5, 0.5, 1, -1, 0, 0]);
 * ```
 */
export function solvedGroupAdvantages(
  episodes: readonly Episode[],
  advantages: readonly number[],
  bonus: number,
): number[] {
  if (!Number.isFinite(bonus) || bonus < 0) {
    throw new Error(`solved.ts: the solved-group advantage must be a number >= 0, got ${bonus}`);
  }
  if (advantages.length !== episodes.length) {
    throw new Error(
      `solved.ts: ${advantages.length} advantages for ${episodes.length} episodes`,
    );
  }
  const out = [...advantages];
  if (bonus === 0) return out;
  for (const members of membersByKey(groupKeys(episodes)).values()) {
    const first = episodes[members[0]].return;
    const solved = members.every((i) => episodes[i].success && episodes[i].return === first);
    if (solved) { for (const i of members) out[i] = bonus; }
  }
  return out;
}
