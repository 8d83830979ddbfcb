/**
 * Turn an iteration's episodes and update outcome into rows of the run tables (`steps`,
 * `episodes`, `updates`); column definitions live in `lib/log/schemas.ts` and `docs/logs.md`.
 *
 * @module
 */
import type { EpisodeRow, StepRow, UpdateRow } from "../log/mod.ts";
import type { PreparedUpdate } from "../msgrpo/prepare.ts";
import type { Episode } from "../rollout/types.ts";
import type { UpdateOutcome } from "./update.ts";

/** The per-episode columns of a prepared update that the rows report (pool order). */
export type EpisodeColumns =
  & Pick<
    PreparedUpdate,
    "returns" | "advantages" | "timesDrawn"
  >
  & Partial<Pick<PreparedUpdate, "stepAdvantages">>;

/**
 * Step and episode rows of one iteration.
 *
 * @param episodes the iteration's pool.
 * @param prepared its update's returns, advantages and draws (pool order); a step row logs its
 *   own training advantage when `stepAdvantages` is given, else the episode's.
 * @param actionNames the environment's action names (to log actions by name).
 * @returns rows for the `steps` and `episodes` tables.
 */
export function episodeRows(
  episodes: readonly Episode[],
  prepared: EpisodeColumns,
  actionNames: readonly string[],
): { steps: StepRow[]; episodes: EpisodeRow[] } {
  const steps: StepRow[] = [];
  const eps: EpisodeRow[] = episodes.map((e, k) => {
    const advantage = prepared.advantages[k], times_drawn = prepared.timesDrawn[k];
    for (const [t, s] of e.steps.entries()) {
      steps.push({
        iteration: e.iteration,
        group: e.group,
        episode: e.index,
        t: s.t,
        scenario: e.scenario,
        seed: e.initialStateSeed,
        prompt_tokens: s.promptIds.length,
        completion_tokens: s.completionIds.length,
        completion: s.completionText,
        action: s.valid ? actionNames[s.action] ?? String(s.action) : null,
        valid: s.valid,
        reward: s.reward,
        done: s.done,
        advantage: prepared.stepAdvantages?.[k]?.[t] ?? advantage,
        times_drawn,
        logprob_sum: s.oldLogprobs.reduce((a, b) => a + b, 0),
      });
    }
    return {
      iteration: e.iteration,
      group: e.group,
      episode: e.index,
      scenario: e.scenario,
      seed: e.initialStateSeed,
      dynamics_seed: e.dynamicsSeed,
      return: prepared.returns[k],
      length: e.steps.length,
      success: e.success,
      advantage,
      times_drawn,
    };
  });
  return { steps, episodes: eps };
}

/**
 * The `updates` row of one iteration.
 *
 * @param iteration the iteration (from 1).
 * @param episodes the iteration's pool.
 * @param prepared its returns, advantages, group summaries and idle flag.
 * @param outcome the tensor step's statistics.
 * @param timing learning rate, generated tokens, policy seconds of the rollout, and the wall
 *   seconds of the rollout, the update, the evaluation and the whole iteration.
 * @returns one row.
 */
export function updateRow(
  iteration: number,
  episodes: readonly Episode[],
  prepared:
    & EpisodeColumns
    & Pick<PreparedUpdate, "meanGroupStd" | "zeroVarianceFraction" | "idle">,
  outcome: UpdateOutcome,
  timing: {
    lr: number;
    generatedTokens: number;
    rolloutSeconds: number;
    rolloutWallSeconds: number;
    updateSeconds: number;
    evalSeconds: number;
    wallSeconds: number;
  },
): UpdateRow {
  const returns = prepared.returns;
  const mean = returns.reduce((a, b) => a + b, 0) / Math.max(1, returns.length);
  const std = Math.sqrt(
    returns.reduce((a, r) => a + (r - mean) ** 2, 0) / Math.max(1, returns.length),
  );
  const allSteps = episodes.flatMap((e) => e.steps);
  return {
    iteration,
    loss: outcome.loss,
    clip_frac: outcome.clipFrac,
    approx_kl: outcome.approxKl,
    ref_kl: outcome.refKl,
    entropy: outcome.entropy,
    grad_norm: outcome.gradNorm,
    lr: timing.lr,
    reward_mean: mean,
    reward_std: std,
    group_reward_std_mean: prepared.meanGroupStd,
    zero_var_group_frac: prepared.zeroVarianceFraction,
    valid_rate: allSteps.filter((s) => s.valid).length / Math.max(1, allSteps.length),
    tokens_per_s: timing.generatedTokens / Math.max(1e-9, timing.rolloutSeconds),
    wall_s: timing.wallSeconds,
    rollout_s: timing.rolloutWallSeconds,
    update_s: timing.updateSeconds,
    eval_s: timing.evalSeconds,
    updated: outcome.updated,
    idle_update: prepared.idle,
    signal_episodes: prepared.advantages.filter((a) => a !== 0).length,
    entropy_coef: outcome.entropyCoef,
    kl_probe: outcome.probeKl,
    kl_rollback: outcome.rolledBack,
    kl_step_scale: outcome.stepScale,
  };
}
