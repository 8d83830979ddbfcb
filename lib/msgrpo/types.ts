/**
 * Plain, JSON-serialisable records that the rollout module produces and the MS-GRPO core
 * consumes: one {@link StepRecord} per decision, one {@link Episode} per played episode.
 *
 * @module
 */

export type { Episode, StepRecord } from "../rollout/types.ts";

/**
 * How the per-token loss is averaged: `"token-mean"` (Σ over every token of the batch divided by
 * the number of tokens, the default) or `"seq-mean-token-mean"` (mean over each sequence's tokens,
 * then mean over sequences).
 */
export type LossAggregation = "token-mean" | "seq-mean-token-mean";
