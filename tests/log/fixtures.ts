/** Seeded synthetic rows for the log tests. */

import { Rng } from "../../lib/util/rng.ts";
import type { EpisodeRow, StepRow, UpdateRow } from "../../lib/log/mod.ts";

const ACTIONS = ["left", "down", "right", "up"];

/** Steps of one iteration: `groups` × `episodes` episodes of 1–4 steps each. */
export function stepRows(iteration: number, groups = 2, episodes = 3, seed = 1): StepRow[] {
  const rng = new Rng(seed * 1000 + iteration);
  const rows: StepRow[] = [];
  for (let g = 0; g < groups; g++) {
    const groupSeed = rng.nextU32(); // full 32-bit range, as deriveSeed gives
    for (let e = 0; e < episodes; e++) {
      const len = 1 + rng.int(4);
      const adv = rng.normal();
      for (let t = 0; t < len; t++) {
        const valid = rng.float() < 0.8;
        rows.push({
          iteration,
          group: g,
          episode: e,
          t,
          scenario: "4x4",
          seed: groupSeed,
          prompt_tokens: 30 + rng.int(5),
          completion_tokens: 1 + rng.int(9),
          completion: valid ? `I go ${ACTIONS[t % 4]} ✓` : "ünknown → ?",
          action: valid ? ACTIONS[t % 4] : null,
          valid,
          reward: valid ? (t === len - 1 ? 1 : 0) : -0.1,
          done: t === len - 1,
          advantage: adv,
          times_drawn: rng.int(3),
          logprob_sum: -rng.float() * 10,
        });
      }
    }
  }
  return rows;
}

/** Episodes of one iteration. */
export function episodeRows(iteration: number, n = 4): EpisodeRow[] {
  const rng = new Rng(7 + iteration);
  return Array.from({ length: n }, (_, e) => ({
    iteration,
    group: Math.floor(e / 2),
    episode: e % 2,
    scenario: "FrozenLake-NoSlip",
    seed: rng.nextU32(),
    dynamics_seed: rng.nextU32(),
    return: rng.float(),
    length: 1 + rng.int(8),
    success: rng.float() < 0.3,
    advantage: rng.normal(),
    times_drawn: rng.int(4),
  }));
}

/** One `updates` row; `updated: false` rows have null update statistics. */
export function updateRow(iteration: number, updated = true): UpdateRow {
  const s = updated ? iteration / 100 : null;
  return {
    iteration,
    loss: s,
    clip_frac: s,
    approx_kl: s,
    ref_kl: null,
    entropy: s,
    grad_norm: s,
    lr: 3e-4,
    reward_mean: 0.1 * iteration,
    reward_std: 0.2,
    group_reward_std_mean: 0.15,
    zero_var_group_frac: 0.5,
    valid_rate: 0.97,
    tokens_per_s: 123.5,
    wall_s: 4.25,
    rollout_s: 2.5,
    update_s: 1.5,
    eval_s: 0.25,
    updated,
    idle_update: false,
    signal_episodes: updated ? 8 : 0,
    entropy_coef: 0.01,
    kl_probe: null,
    kl_rollback: false,
    kl_step_scale: null,
  };
}
