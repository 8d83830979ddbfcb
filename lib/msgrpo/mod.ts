/**
 * The MS-GRPO core: returns and group-relative advantages, |Â|-weighted episode sampling,
 * training rows and micro-batches, the clipped per-token loss, and {@link prepareUpdate}, which
 * composes all but the loss into one pure function from episodes to padded optimizer steps (the
 * trainer hands those to the model).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assignAdvantages, buildBatch, drawEpisodes } from "./mod.ts";
 * import { Rng } from "../util/rng.ts";
 * const adv = assignAdvantages([]);
 * const draws = drawEpisodes(adv.episode, { rng: new Rng(0) });
 * assert.deepEqual([draws.noUpdate, buildBatch([], adv.episode, draws.timesDrawn).length], [true, 0]);
 * ```
 *
 * @module
 */
export type { Episode, LossAggregation, StepRecord } from "./types.ts";
export {
  type AdvantageAssignment,
  type AdvantageNormalize,
  type AdvantageOptions,
  type AdvantageScope,
  assignAdvantages,
  episodeReturn,
  type GroupAdvantageOptions,
  groupAdvantages,
  groupKeys,
  type GroupSummary,
  membersByKey,
  poolAdvantages,
} from "./advantages.ts";
export { solvedGroupAdvantages } from "./solved.ts";
export {
  DECISION_MASK_CACHE,
  decisionMasker,
  decisionTokenMask,
  type DecodeIds,
} from "./decision_tokens.ts";
export { type KlProbeOptions, klProbeRows } from "./kl_probe.ts";
export {
  drawEpisodes,
  type DrawOptions,
  type DrawResult,
  type SamplingMode,
  SumTree,
} from "./sampling.ts";
export {
  buildBatch,
  lossNormalizer,
  mergeDuplicateRows,
  microBatches,
  type PaddedRows,
  padRows,
  splitMinibatches,
  type TrainingRow,
} from "./batch.ts";
export {
  type PreparedStep,
  type PreparedUpdate,
  type PrepareOptions,
  prepareUpdate,
} from "./prepare.ts";
export {
  ppoClipLoss,
  type PpoClipLossInput,
  type PpoClipLossResult,
  type PpoClipStats,
} from "./loss.ts";
