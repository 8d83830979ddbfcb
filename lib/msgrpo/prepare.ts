/**
 * Everything of an MS-GRPO update that is not a tensor: from an iteration's episodes to the
 * padded micro-batches of each optimizer step, in one pure function ({@link prepareUpdate}).
 *
 * 1. Returns R_e = Σ_t γ^t r_t, computed once here (the logs report these R, so with γ < 1 the
 *    logged return is the one behind Â).
 * 2. Group-relative advantages Â_e ({@link assignAdvantages}); with `solvedAdvantage` λ > 0 the
 *    episodes of a group that all succeeded get λ instead of 0 ({@link solvedGroupAdvantages}).
 * 3. Draw counts ({@link drawEpisodes}) from the Rng of `drawSeed(seed, iteration)`.
 * 4. With `stepAdvantage` ω > 0, each step's advantage becomes Â_e + ω · A^S, A^S the step's
 *    return-to-go centred over the group's visits of the same state ({@link stepAdvantages}).
 * 5. Training rows ({@link buildBatch}). When every Â is 0 the update is skipped, unless
 *    `idleUpdate: "regularize"` and the loss has other terms (entropy bonus, reference KL): then
 *    every episode enters once with Â = 0 (`idle`).
 * 6. Optimizer steps: `epochs` passes over the rows (pass 0 in pool order, pass k > 0 shuffled by
 *    the Rng of `shuffleSeed(seed, iteration, k)`), each split into `minibatches` contiguous
 *    slices; a slice's loss normalizer is taken ({@link lossNormalizer}), its duplicate rows are
 *    merged ({@link mergeDuplicateRows}) and cut into padded micro-batches ({@link microBatches},
 *    {@link padRows}). With `zeroAdvantageRows: "skip"` the rows with Â = 0 leave each slice
 *    after its normalizer is taken: they cost no forward or backward pass and add no entropy or
 *    KL term, yet still dilute the step as they do under `"train"`, so the policy-gradient term is
 *    unchanged. A slice left without rows makes no optimizer step.
 *
 * @module
 */
import { Rng } from "../util/rng.ts";
import { drawSeed, shuffleSeed } from "../util/seeds.ts";
import {
  type AdvantageNormalize,
  type AdvantageScope,
  assignAdvantages,
  episodeReturn,
  type GroupSummary,
} from "./advantages.ts";
import {
  buildBatch,
  lossNormalizer,
  mergeDuplicateRows,
  microBatches,
  type PaddedRows,
  padRows,
  splitMinibatches,
  type TrainingRow,
} from "./batch.ts";
import { drawEpisodes, type SamplingMode } from "./sampling.ts";
import { klProbeRows } from "./kl_probe.ts";
import { solvedGroupAdvantages } from "./solved.ts";
import { stepAdvantages } from "./step_advantages.ts";
import type { Episode } from "./types.ts";

/** Options of {@link prepareUpdate} (the `msgrpo` section of a training config, typed). */
export interface PrepareOptions {
  /** Run seed (seeds the draws and the shuffles). */
  seed: number;
  /** Iteration of the episodes (seeds the draws and the shuffles). */
  iteration: number;
  /** Discount γ of the return (default 1). */
  gamma?: number;
  /** Advantage scaling (default `"std"`). */
  normalize?: AdvantageNormalize;
  /** Advantage std scope (default `"group"`). */
  scope?: AdvantageScope;
  /** Â of every episode of a group that all succeeded with equal returns (default 0, the paper). */
  solvedAdvantage?: number;
  /** Weight ω of the anchor-state step advantage (default 0, the paper: every step carries Â_e). */
  stepAdvantage?: number;
  /** Episode sampling arm (default `"aaw"`). */
  sampling?: SamplingMode;
  /** Number of draws M (default: pool size). */
  draws?: number;
  /** Draw with replacement (default true). */
  replacement?: boolean;
  /** Exponent k of P ∝ |Â|^k (default 1). */
  exponent?: number;
  /** Rows with Â = 0: `"train"` them (default, the paper) or `"skip"` them (normalizer kept). */
  zeroAdvantageRows?: "train" | "skip";
  /** When every Â is 0: `"skip"` the update (default) or `"regularize"`. */
  idleUpdate?: "skip" | "regularize";
  /** Whether the loss has terms besides the policy gradient (entropy bonus or reference KL). */
  regularized?: boolean;
  /** Passes over the rows (default 1). */
  epochs?: number;
  /** Optimizer steps per pass (default 1). */
  minibatches?: number;
  /** Padded-token budget of one micro-batch. */
  microBatchTokens: number;
  /** Steps of the pool in the KL probe (`kl_probe.ts`; default 0: no probe). */
  klProbeRows?: number;
}

/** One optimizer step: its padded micro-batches and the loss normalizer they share. */
export interface PreparedStep {
  /** Pass over the rows (0 …). */
  epoch: number;
  /** Σ weight · completion tokens of the step's (merged) rows. */
  normalizer: number;
  /** Micro-batches whose gradients the step accumulates. */
  micro: PaddedRows[];
}

/** Result of {@link prepareUpdate}: per-episode columns (pool order) and the optimizer steps. */
export interface PreparedUpdate {
  /** R_e per episode. */
  returns: number[];
  /** Â_e per episode. */
  advantages: number[];
  /** The training advantage of each step of each episode (Â_e on every step when ω = 0). */
  stepAdvantages: number[][];
  /** Times each episode was drawn. */
  timesDrawn: number[];
  /** One summary per group. */
  groups: GroupSummary[];
  /** Fraction of groups whose returns are all equal. */
  zeroVarianceFraction: number;
  /** Mean over groups of the in-group return std. */
  meanGroupStd: number;
  /** Whether the update trains the entropy/KL terms alone (every Â was 0). */
  idle: boolean;
  /**
   * The drawn rows, pool then time order (empty when no update). Under `zeroAdvantageRows:
   * "skip"` the Â = 0 rows stay here but not in `steps`.
   */
  rows: TrainingRow[];
  /**
   * Optimizer steps in order: `epochs × minibatches` of them (fewer when `"skip"` empties a
   * slice), none when no update.
   */
  steps: PreparedStep[];
  /** Micro-batches of the KL probe (`kl_probe.ts`; empty without `klProbeRows` or update). */
  probe: PaddedRows[];
}

/**
 * Returns, advantages, draws, rows and padded optimizer steps of one update.
 *
 * @param episodes the iteration's pool (all groups).
 * @param opts the update's options.
 * @returns the per-episode table and the optimizer steps.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prepareUpdate } from "./prepare.ts";
 * import type { Episode } from "./types.ts";
 * const ep = (index: number, rewards: number[]): Episode => ({
 *   iteration: 1, group: 0, index, scenario: "S", initialStateSeed: 1, dynamicsSeed: index, return: 0,
 *   success: false, steps: rewards.map((reward, t) => ({ t, promptIds: [1], completionIds: [2],
 *     completionText: "up", oldLogprobs: [-1], action: 0, valid: true, reward, done: false })),
 * });
 * const p = prepareUpdate([ep(0, [0, 1]), ep(1, [0, 0])], {
 *   seed: 0, iteration: 1, gamma: 0.5, normalize: "none", sampling: "all", microBatchTokens: 64,
 * });
 * assert.deepEqual(p.returns, [0.5, 0]);
 * assert.deepEqual(p.advantages, [0.25, -0.25]);
 * assert.deepEqual(p.timesDrawn, [1, 1]);
 * assert.equal(p.steps.length, 1);
 * ```
 */
export function prepareUpdate(
  episodes: readonly Episode[],
  opts: PrepareOptions,
): PreparedUpdate {
  const returns = episodes.map((e) => episodeReturn(e.steps.map((s) => s.reward), opts.gamma));
  const pool = episodes.map((e, i) => ({ ...e, return: returns[i] }));
  const assignment = assignAdvantages(pool, { normalize: opts.normalize, scope: opts.scope });
  const advantages = solvedGroupAdvantages(pool, assignment.episode, opts.solvedAdvantage ?? 0);
  const drawn = drawEpisodes(advantages, {
    mode: opts.sampling,
    draws: opts.draws,
    replacement: opts.replacement,
    exponent: opts.exponent,
    rng: new Rng(drawSeed(opts.seed, opts.iteration)),
  });
  const idle = drawn.noUpdate && opts.idleUpdate === "regularize" && opts.regularized === true;
  const perStep = stepAdvantages(pool, advantages, idle ? 0 : opts.stepAdvantage ?? 0, {
    gamma: opts.gamma,
    normalize: opts.normalize,
  });
  const rows = drawn.noUpdate && !idle ? [] : buildBatch(
    episodes,
    advantages,
    idle ? episodes.map(() => 1) : drawn.timesDrawn,
    perStep,
  );
  const skipZero = opts.zeroAdvantageRows === "skip" && !idle;
  const steps: PreparedStep[] = [];
  const epochs = opts.epochs ?? 1;
  for (let epoch = 0; rows.length > 0 && epoch < epochs; epoch++) {
    const order = epoch === 0
      ? rows
      : new Rng(shuffleSeed(opts.seed, opts.iteration, epoch)).shuffle([...rows]);
    for (const slice of splitMinibatches(order, opts.minibatches ?? 1)) {
      const kept = skipZero ? slice.filter((r) => r.advantage !== 0) : slice;
      if (kept.length === 0) continue;
      steps.push({
        epoch,
        normalizer: lossNormalizer(slice),
        micro: microBatches(mergeDuplicateRows(kept), opts.microBatchTokens).map(padRows),
      });
    }
  }
  return {
    returns,
    advantages,
    stepAdvantages: perStep,
    timesDrawn: drawn.timesDrawn,
    groups: assignment.groups,
    zeroVarianceFraction: assignment.zeroVarianceFraction,
    meanGroupStd: assignment.meanGroupStd,
    idle: idle && rows.length > 0,
    rows,
    steps,
    probe: steps.length > 0 && (opts.klProbeRows ?? 0) > 0
      ? microBatches(
        klProbeRows(episodes, {
          rows: opts.klProbeRows!,
          seed: opts.seed,
          iteration: opts.iteration,
        }),
        opts.microBatchTokens,
      ).map(padRows)
      : [],
  };
}
