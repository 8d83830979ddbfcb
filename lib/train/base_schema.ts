/**
 * Config schema of the small base model built for CPU experiments ({@link buildBaseModel}).
 *
 * @module
 */
import { c, type Infer } from "../config/mod.ts";

/** Schema of the `base` section of CPU experiment configs. */
export const baseModelSchema = c.object({
  path: c.string({ default: "", doc: "use this base checkpoint folder instead of building one" }),
  scenario: c.string({
    default: "FrozenLake-NoSlip",
    doc: "environment settings of the transcripts",
  }),
  episodes: c.int({ default: 2000, min: 1, doc: "transcript episodes of scripted play" }),
  oracle_fraction: c.float({
    default: 0,
    min: 0,
    max: 1,
    doc: "probability a transcript move is the scripted planner's (0 = uniformly random play)",
  }),
  hidden: c.int({ default: 128, min: 8, doc: "hidden size" }),
  layers: c.int({ default: 4, min: 1, doc: "decoder layers" }),
  heads: c.int({ default: 4, min: 1, doc: "query heads" }),
  kv_heads: c.int({ default: 2, min: 1, doc: "key/value heads" }),
  intermediate: c.int({ default: 384, min: 8, doc: "MLP width" }),
  merges: c.int({ default: 256, min: 0, doc: "BPE merges of the domain tokenizer" }),
  steps: c.int({ default: 200, min: 1, doc: "pre-training steps" }),
  batch_size: c.int({ default: 32, min: 1, doc: "examples per pre-training step" }),
  lr: c.float({ default: 1e-3, gt: 0, doc: "pre-training learning rate" }),
}, { doc: "base model built from scratch on transcripts" });

/** A resolved `base` section. */
export type BaseModelConfig = Infer<typeof baseModelSchema>;
