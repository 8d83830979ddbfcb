/**
 * The four run tables every training run writes — `steps`, `episodes`, `updates`, `eval` — as
 * typed column schemas shared by the trainer (which fills them) and the notebooks (which read
 * them). `docs/logs.md` is rendered from these definitions.
 *
 * Conventions: training iterations count from 1; `eval.iteration` is the number of iterations
 * completed before the evaluation (0 = the untrained policy). Group, episode and step indices
 * count from 0.
 *
 * @module
 */

import { col, defineTable, type RowOf } from "./columns.ts";

const _iteration = col.int32(
  "Training iteration that produced the row; iterations count from 1.",
  { unit: "iteration" },
);
const _group = col.int32(
  "Index of the group (one initial-state seed, G episodes) within the iteration, 0 … N−1.",
);
const _episode = col.int32("Index of the episode within its group, 0 … G−1.");
const _seed = col.uint32(
  "Initial-state seed of the episode's group (every episode of a group shares it).",
);
const _scenario = col.utf8(
  "Name of the scenario the episode ran in (mixed training: the scenario its group played).",
);
const _advantage = col.float64(
  "Group-relative advantage Â_e = (R_e − mean_g R) / (std_g R + 1e-6) of the episode (no std " +
    "division when that option is off); every step of an episode carries the same value.",
  { unit: "-" },
);
const _stepAdvantage = col.float64(
  "Advantage the step was trained with: the episode's group-relative Â_e = (R_e − mean_g R) / " +
    "(std_g R + 1e-6) (no std division when that option is off), the same on every step of an " +
    "episode; with `msgrpo.step_advantage` ω > 0, Â_e + ω · A^S, A^S the step's return-to-go " +
    "centred over the group's visits of the same state.",
  { unit: "-" },
);
const _timesDrawn = col.int32(
  "How many times the episode was drawn into this iteration's update batch (0 = not used; " +
    "with replacement an episode can be drawn several times, and its steps enter the batch " +
    "once per draw).",
  { unit: "draws" },
);

/** One row per environment step of every training episode. */
export const STEPS = defineTable("steps", "One row per environment step of a training episode.", {
  iteration: _iteration,
  group: _group,
  episode: _episode,
  t: col.int32("Step index within the episode, from 0.", { unit: "step" }),
  scenario: _scenario,
  seed: _seed,
  prompt_tokens: col.int32(
    "Tokens in the prompt the policy saw at this step (chat template included).",
    { unit: "tokens" },
  ),
  completion_tokens: col.int32(
    "Tokens the policy generated at this step (end-of-sequence token included if emitted).",
    { unit: "tokens" },
  ),
  completion: col.utf8("The generated text, decoded."),
  action: col.utf8(
    "Action the interpreter φ read from the completion; null when it named no legal action (⊥), " +
      "in which case the environment's default action was executed.",
    { nullable: true },
  ),
  valid: col.bool("Whether the completion named a legal action."),
  reward: col.float64("Reward of this step, format penalty included.", { unit: "reward" }),
  done: col.bool("Whether the episode ended at this step (terminated or truncated)."),
  advantage: _stepAdvantage,
  times_drawn: _timesDrawn,
  logprob_sum: col.float64(
    "Sum of the natural-log probabilities of the completion's tokens under the policy that " +
      "sampled them (the PPO ratio's old policy), at the sampling temperature.",
    { unit: "nats" },
  ),
});

/** One row per training episode. */
export const EPISODES = defineTable("episodes", "One row per training episode.", {
  iteration: _iteration,
  group: _group,
  episode: _episode,
  scenario: _scenario,
  seed: _seed,
  dynamics_seed: col.uint32(
    "Seed of the environment's dynamics in this episode (slips, opponents, apples): with the " +
      "scenario, `seed` and the `steps` texts it replays the episode.",
  ),
  return: col.float64(
    "Return R = Σ_t γ^t r_t of the episode's step rewards, format penalties included (the " +
      "undiscounted sum unless `msgrpo.gamma` < 1): the R its advantage was computed from.",
    { unit: "reward" },
  ),
  length: col.int32("Number of steps the episode took.", { unit: "steps" }),
  success: col.bool("Whether the episode reached the scenario's goal (e.g. the lake's gift)."),
  advantage: _advantage,
  times_drawn: _timesDrawn,
});

const _updateStat = (doc: string, unit: string) =>
  col.float64(doc, { unit, nullable: true as const });

/** One row per training iteration. */
export const UPDATES = defineTable("updates", "One row per training iteration.", {
  iteration: _iteration,
  loss: _updateStat(
    "Loss minimised (clipped surrogate + β·KL to the reference − entropy bonus), averaged over " +
      "the iteration's optimiser steps; null when no update was made.",
    "-",
  ),
  clip_frac: _updateStat(
    "Fraction of batch tokens whose probability ratio was clipped (the clip was active); null " +
      "when no update was made.",
    "fraction",
  ),
  approx_kl: _updateStat(
    "Mean over batch tokens of the k3 estimate (ρ − 1) − log ρ of KL(π_old ‖ π_θ), ρ the " +
      "probability ratio; null when no update was made.",
    "nats",
  ),
  ref_kl: _updateStat(
    "Mean over batch tokens of the k3 estimate of KL(π_θ ‖ π_ref) to the frozen reference " +
      "policy; null when no reference is kept (β = 0) or no update was made.",
    "nats",
  ),
  entropy: _updateStat(
    "Mean over batch tokens of the entropy of the policy's next-token distribution; null when " +
      "no update was made.",
    "nats",
  ),
  grad_norm: _updateStat(
    "Global L2 norm of the gradient before clipping (last optimiser step of the iteration); " +
      "null when no update was made.",
    "-",
  ),
  lr: col.float64("Learning rate of the iteration's optimiser steps.", { unit: "-" }),
  reward_mean: col.float64("Mean episode return R over the iteration's episodes.", {
    unit: "reward",
  }),
  reward_std: col.float64(
    "Standard deviation (population) of episode returns over the iteration's episodes.",
    { unit: "reward" },
  ),
  group_reward_std_mean: col.float64(
    "Mean over groups of the in-group standard deviation (population) of episode returns.",
    { unit: "reward" },
  ),
  zero_var_group_frac: col.float64(
    "Fraction of groups whose episode returns are all equal (all their advantages are 0, so " +
      "they are never drawn).",
    { unit: "fraction" },
  ),
  valid_rate: col.float64("Fraction of the iteration's steps with a valid action.", {
    unit: "fraction",
  }),
  tokens_per_s: col.float64(
    "Generated (completion) tokens per second of rollout wall time.",
    { unit: "tokens/s" },
  ),
  wall_s: col.float64(
    "Wall-clock time of the whole iteration (rollout + update + evaluation, when one ran).",
    { unit: "s" },
  ),
  rollout_s: col.float64("Wall-clock time of the iteration's rollouts (all groups).", {
    unit: "s",
  }),
  update_s: col.float64("Wall-clock time of the iteration's MS-GRPO update.", { unit: "s" }),
  eval_s: col.float64(
    "Wall-clock time of the evaluation after this iteration (0 when none ran).",
    { unit: "s" },
  ),
  idle_update: col.bool(
    "Whether the update trained the entropy and KL terms alone: every advantage was 0 and " +
      "`msgrpo.idle_update` is `regularize`.",
  ),
  signal_episodes: col.int32(
    "Episodes of the pool with a non-zero advantage (the only ones |Â|-weighted sampling can " +
      "draw); 0 means the iteration carried no policy-gradient signal.",
    { unit: "episodes" },
  ),
  entropy_coef: col.float64(
    "Entropy bonus coefficient used by the update (adapts when `msgrpo.entropy_target` is set).",
    { unit: "-" },
  ),
  updated: col.bool(
    "Whether an optimiser step was taken (false when every advantage was 0 and " +
      "`msgrpo.idle_update` is `skip`).",
  ),
  kl_probe: _updateStat(
    "k3 estimate of KL(π_old ‖ π_θ) after the update, on the KL probe (a uniform sample of the " +
      "pool's steps); null without `msgrpo.kl_guard` or when no update was made.",
    "nats",
  ),
  kl_rollback: col.bool(
    "Whether `msgrpo.kl_guard` undid the update: `kl_probe` exceeded the guard, so parameters " +
      "and optimiser state are those from before it.",
  ),
  kl_step_scale: _updateStat(
    "Fraction of the update's parameter change kept by `msgrpo.kl_guard`: 1 (all), 0.5^k (shrunk " +
      "by `kl_guard_mode: shrink`), 0 (undone); null without the guard or when no update was made.",
    "-",
  ),
});

/** One row per evaluation episode. */
export const EVAL = defineTable("eval", "One row per evaluation episode.", {
  iteration: col.int32(
    "Training iterations completed before this evaluation (0 = the untrained policy).",
    { unit: "iteration" },
  ),
  scenario: col.utf8("Name of the evaluation scenario."),
  episode: col.int32(
    "Index of the evaluation episode within its scenario; the same index is the same initial " +
      "state at every evaluation.",
  ),
  seed: col.uint32("Initial-state seed of the episode."),
  return: col.float64("Undiscounted sum of the episode's step rewards.", { unit: "reward" }),
  success: col.bool("Whether the episode reached the scenario's goal."),
  length: col.int32("Number of steps the episode took.", { unit: "steps" }),
  valid_rate: col.float64("Fraction of the episode's steps with a valid action.", {
    unit: "fraction",
  }),
  optimal_success: col.float64(
    "Highest success probability any policy can reach from this initial state (exact for " +
      "Frozen Lake); null where unknown.",
    { unit: "probability", nullable: true },
  ),
  greedy_success: col.bool(
    "Whether the same episode, played again with greedy decoding (temperature 0), reached the " +
      "goal; null when the greedy pass was not run (`eval.greedy` false).",
    { nullable: true },
  ),
  greedy_return: col.float64(
    "Return of the greedy replay of the episode; null when it was not run.",
    { unit: "reward", nullable: true },
  ),
});

/** One row per scenario of a command-line evaluation (`tools/evaluate.ts`, baselines): what the
 * policy consumed. */
export const EVAL_USAGE = defineTable(
  "eval_usage",
  "One row per scenario of a command-line evaluation: the policy's token usage and time.",
  {
    iteration: col.int32("The `iteration` recorded in the scenario's eval rows.", {
      unit: "iteration",
    }),
    scenario: col.utf8("Name of the evaluation scenario."),
    policy: col.utf8("Name of the evaluated policy."),
    episodes: col.int32("Episodes played.", { unit: "episodes" }),
    policy_calls: col.int32("Batched policy calls (one per time step).", { unit: "calls" }),
    prompt_tokens: col.float64("Prompt tokens the policy reported (0 for scripted policies).", {
      unit: "tokens",
    }),
    completion_tokens: col.float64("Tokens the policy generated, as it reported them.", {
      unit: "tokens",
    }),
    policy_s: col.float64("Seconds spent waiting for the policy.", { unit: "s" }),
    wall_s: col.float64("Wall-clock seconds of the scenario.", { unit: "s" }),
  },
);

/** The four run tables, by name. */
export const RUN_TABLES = {
  steps: STEPS,
  episodes: EPISODES,
  updates: UPDATES,
  eval: EVAL,
} as const;

/** Row of the `steps` table. */
export type StepRow = RowOf<typeof STEPS>;
/** Row of the `episodes` table. */
export type EpisodeRow = RowOf<typeof EPISODES>;
/** Row of the `updates` table. */
export type UpdateRow = RowOf<typeof UPDATES>;
/** Row of the `eval` table. */
export type EvalRow = RowOf<typeof EVAL>;
/** Row of the `eval_usage` table. */
export type EvalUsageRow = RowOf<typeof EVAL_USAGE>;
