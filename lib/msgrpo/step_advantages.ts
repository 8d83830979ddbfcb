/**
 * Step-level credit from the states a group's episodes share (a departure from the paper's
 * MS-GRPO; option `msgrpo.step_advantage` ω, 0 = the paper).
 *
 * MS-GRPO gives every step of an episode the episode's advantage Â_e. The episodes of a group start
 * from one initial state, so they pass through many of the same states; where they part, the
 * episode-level signal of the step that decided the outcome is mixed with the signal of every
 * step the winners and the losers shared. GiGPO (Feng et al. 2025, "Group-in-Group Policy
 * Optimization for LLM Agent Training") adds a second, step-level advantage computed inside the
 * group, over the visits of each repeated state:
 *
 * - **Anchor state**: the steps of one group (same iteration and group id) whose prompts are equal
 *   token for token form one anchor group. Under LAP the prompt is the current state only, so equal
 *   prompts are equal states as the policy sees them.
 * - **Return-to-go** of step t: G_t = Σ_{k≥t} γ^{k−t} r_k (γ = `msgrpo.gamma`).
 * - **Step advantage**: A^S = (G − mean) / (std + ε) over the anchor group (population std, ε
 *   1e-6; `normalize: "none"` centres only). An anchor group of one visit, or whose returns-to-go
 *   are all equal, gets exactly 0.
 * - **Training advantage** of step t of episode e: Â_e + ω · A^S_{e,t}.
 *
 * The draws are unchanged (P ∝ |Â_e| per episode, `sampling.ts`): an episode of a group whose
 * returns are all equal is never drawn under `aaw`, so with γ = 1 the step term only reorders the
 * credit inside mixed groups.
 *
 * @module
 */
import {
  type GroupAdvantageOptions,
  groupAdvantages,
  groupKeys,
  membersByKey,
} from "./advantages.ts";
import type { Episode } from "./types.ts";

/** Options of {@link anchorStateAdvantages}: γ, and the scaling of {@link groupAdvantages}. */
export interface AnchorStateOptions extends Pick<GroupAdvantageOptions, "normalize" | "eps"> {
  /** Discount γ of the return-to-go (default 1). */
  gamma?: number;
}

/**
 * Returns-to-go of one episode's rewards: G_t = r_t + γ · G_{t+1}.
 *
 * @param rewards r_0 … r_{T−1}.
 * @param gamma discount in [0, 1] (default 1).
 * @returns G_0 … G_{T−1}.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { returnsToGo } from "./step_advantages.ts";
 * assert.deepEqual(returnsToGo([0, -0.1, 1]), [0.9, 0.9, 1]);
 * assert.deepEqual(returnsToGo([0, 0, 1], 0.5), [0.25, 0.5, 1]);
 * ```
 */
export function returnsToGo(rewards: readonly number[], gamma = 1): number[] {
  if (!Number.isFinite(gamma) || gamma < 0 || gamma > 1) {
    throw new Error(`step_advantages.ts returnsToGo: gamma must be in [0, 1], got ${gamma}`);
  }
  const out = new Array<number>(rewards.length);
  let g = 0;
  for (let t = rewards.length - 1; t >= 0; t--) {
    if (!Number.isFinite(rewards[t])) {
      throw new Error(
        `step_advantages.ts returnsToGo: rewards[${t}] is not finite (${rewards[t]})`,
      );
    }
    g = rewards[t] + gamma * g;
    out[t] = g;
  }
  return out;
}

/**
 * The step-level advantage A^S of every step of a pool: returns-to-go centred (and scaled) over
 * the visits of the same state within the same group.
 *
 * @param episodes the iteration's pool (all groups).
 * @param opts discount and normalisation.
 * @returns one array per episode, one A^S per step (pool order, time order).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { anchorStateAdvantages } from "./step_advantages.ts";
 * import type { Episode } from "./types.ts";
 * // Both episodes start in state [1]; one then reaches [2] and wins, the other falls in a hole.
 * const step = (prompt: number, reward: number) => ({ t: 0, promptIds: [prompt], completionIds: [9],
 *   completionText: "x", oldLogprobs: [-1], action: 0, valid: true, reward, done: false });
 * const ep = (index: number, steps: ReturnType<typeof step>[]): Episode => ({ iteration: 0,
 *   group: 0, index, scenario: "S", initialStateSeed: 1, dynamicsSeed: index, steps,
 *   return: 0, success: false });
 * const a = anchorStateAdvantages([ep(0, [step(1, 0), step(2, 1)]), ep(1, [step(1, 0)])], { eps: 0 });
 * assert.deepEqual(a, [[1, 0], [-1]]);
 * ```
 */
export function anchorStateAdvantages(
  episodes: readonly Episode[],
  opts: AnchorStateOptions = {},
): number[][] {
  const togo = episodes.map((e) => returnsToGo(e.steps.map((s) => s.reward), opts.gamma));
  const out = episodes.map((e) => new Array<number>(e.steps.length).fill(0));
  for (const members of membersByKey(groupKeys(episodes)).values()) {
    const visits = members.flatMap((e) => episodes[e].steps.map((_, t) => [e, t] as const));
    const states = visits.map(([e, t]) => episodes[e].steps[t].promptIds.join(","));
    for (const same of membersByKey(states).values()) {
      const adv = groupAdvantages(same.map((v) => togo[visits[v][0]][visits[v][1]]), {
        normalize: opts.normalize,
        eps: opts.eps,
      });
      same.forEach((v, j) => (out[visits[v][0]][visits[v][1]] = adv[j]));
    }
  }
  return out;
}

/**
 * The training advantage of every step: Â_e + ω · A^S_{e,t} (ω = 0: every step carries Â_e, the
 * paper's MS-GRPO).
 *
 * @param episodes the iteration's pool.
 * @param advantages Â_e per episode (pool order).
 * @param weight ω ≥ 0.
 * @param opts discount and normalisation of A^S.
 * @returns one array per episode, one advantage per step.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stepAdvantages } from "./step_advantages.ts";
 * import type { Episode } from "./types.ts";
 * const step = (prompt: number, reward: number) => ({ t: 0, promptIds: [prompt], completionIds: [9],
 *   completionText: "x", oldLogprobs: [-1], action: 0, valid: true, reward, done: false });
 * const ep = (index: number, steps: ReturnType<typeof step>[]): Episode => ({ iteration: 0,
 *   group: 0, index, scenario: "S", initialStateSeed: 1, dynamicsSeed: index, steps,
 *   return: 0, success: false });
 * const pool = [ep(0, [step(1, 0), step(2, 1)]), ep(1, [step(1, 0)])];
 * assert.deepEqual(stepAdvantages(pool, [1, -1], 0.5, { eps: 0 }), [[1.5, 1], [-1.5]]);
 * assert.deepEqual(stepAdvantages(pool, [1, -1], 0), [[1, 1], [-1]]);
 * ```
 */
export function stepAdvantages(
  episodes: readonly Episode[],
  advantages: readonly number[],
  weight: number,
  opts: AnchorStateOptions = {},
): number[][] {
  if (!Number.isFinite(weight) || weight < 0) {
    throw new Error(`step_advantages.ts: the step-advantage weight must be >= 0, got ${weight}`);
  }
  if (advantages.length !== episodes.length) {
    throw new Error(
      `step_advantages.ts: ${advantages.length} advantages for ${episodes.length} episodes`,
    );
  }
  if (weight === 0) return episodes.map((e, i) => e.steps.map(() => advantages[i]));
  const anchor = anchorStateAdvantages(episodes, opts);
  return episodes.map((e, i) => e.steps.map((_, t) => advantages[i] + weight * anchor[i][t]));
}
