/**
 * Training: the MS-GRPO loop, its config schema, update step, checkpoints, and the small base
 * models for CPU experiments (transcripts, domain tokenizer, supervised pre-training).
 *
 * @module
 */
export { type TrainConfig, trainFields, trainSchema } from "./schema.ts";
export {
  type EvalOutcome,
  evalOutcomes,
  train,
  type TrainOptions,
  type TrainSummary,
} from "./trainer.ts";
export {
  behaviourKl,
  msgrpoUpdate,
  type UpdateContext,
  type UpdateOptions,
  type UpdateOutcome,
} from "./update.ts";
export { prepareOptions, updateOptions } from "./update_options.ts";
export { episodeRows, updateRow } from "./rows.ts";
export {
  CHECKPOINT_DIR,
  findTrainingCheckpoint,
  loadTrainingCheckpoint,
  saveTrainingCheckpoint,
  type TrainerState,
} from "./checkpoint.ts";
export { TRAINING_SEED_BASE, trainingStateSeed } from "../util/seeds.ts";
export {
  renderTranscripts,
  type TranscriptExample,
  type TranscriptOptions,
} from "./transcripts.ts";
export {
  pretrainOnTranscripts,
  type PretrainOptions,
  type TokenizedExample,
  tokenizeExamples,
} from "./pretrain.ts";
export { type BaseModelOptions, baseModelOptions, buildBaseModel } from "./base_model.ts";
export { type BaseModelConfig, baseModelSchema } from "./base_schema.ts";
export { type BaseInfo, type BaseRecipe, type BaseShape, ensureBaseModel } from "./base_cache.ts";
export {
  type BaseCompute,
  baseCompute,
  type ComputeStatement,
  computeStatement,
  type MsgrpoTokens,
  msgrpoTokens,
  runMsgrpoTokens,
} from "./flops.ts";
