/**
 * Build a small base model for CPU experiments from nothing: render transcripts of scripted play
 * with our own environment, train a domain tokenizer on them, make a seeded Qwen2-architecture
 * checkpoint, pre-train it on the transcripts, and save it as a Hugging Face folder. Deterministic
 * for a given seed and backend.
 *
 * @module
 */
import { getScenario } from "../env/scenarios.ts";
import type { RenderStyle, TextEnv } from "../env/tsmg.ts";
import { saveCheckpoint } from "../model/checkpoint.ts";
import { domainTokenizerFiles } from "../model/domain_tokenizer.ts";
import { makeCheckpoint } from "../model/make_model.ts";
import { Qwen2Model } from "../model/qwen2.ts";
import { Tokenizer } from "../model/tokenizer.ts";
import { pretrainOnTranscripts, tokenizeExamples } from "./pretrain.ts";
import { renderTranscripts } from "./transcripts.ts";
import { MixedScenarioEnv } from "../env/mixed.ts";
import type { BaseModelConfig } from "./base_schema.ts";

/** Options of {@link buildBaseModel}. */
export interface BaseModelOptions {
  /** Scenario whose environment settings the transcripts use. */
  scenario: string;
  /** Environment factory overriding `scenario` (custom maps, tests). */
  makeEnv?: () => TextEnv;
  /** Prompt rendering. */
  renderStyle: RenderStyle;
  /** Transcript episodes. */
  episodes: number;
  /** Probability that a transcript move is the scripted planner's instead of a random one. */
  oracleFraction: number;
  /** Model shape. */
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  /** BPE merges of the domain tokenizer. */
  merges: number;
  /** Pre-training steps, batch size and learning rate. */
  steps: number;
  batchSize: number;
  lr: number;
  /** Seed of transcripts, initialisation and batches. */
  seed: number;
  /** Called after every pre-training step (step, loss, tokens of the step's batch). */
  onStep?: (step: number, loss: number, tokens: number) => void;
}

/**
 * The {@link buildBaseModel} options of a config's `base` section.
 *
 * @param base the resolved `base` section (its `path` is ignored; shape fields may be overridden
 *   by spreading another shape over it).
 * @param context rendering, seed, and the scenarios whose play makes the transcripts (default
 *   `base.scenario`; several mix into one corpus).
 * @returns the options.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfig } from "../config/mod.ts";
 * import { baseModelSchema } from "./base_schema.ts";
 * import { baseModelOptions } from "./base_model.ts";
 * const base = loadConfig(baseModelSchema, { overrides: ["steps=7", "kv_heads=1"] });
 * const o = baseModelOptions(base, { renderStyle: "compact", seed: 3 });
 * assert.deepEqual([o.scenario, o.steps, o.kvHeads, o.seed, o.makeEnv], ["FrozenLake-NoSlip", 7, 1, 3, undefined]);
 * ```
 */
export function baseModelOptions(
  base: BaseModelConfig,
  context: { renderStyle: RenderStyle; seed: number; scenarios?: readonly string[] },
): BaseModelOptions {
  const { renderStyle, scenarios } = context;
  return {
    scenario: scenarios?.[0] ?? base.scenario,
    makeEnv: scenarios ? () => new MixedScenarioEnv(scenarios, { renderStyle }) : undefined,
    renderStyle,
    episodes: base.episodes,
    oracleFraction: base.oracle_fraction,
    hidden: base.hidden,
    layers: base.layers,
    heads: base.heads,
    kvHeads: base.kv_heads,
    intermediate: base.intermediate,
    merges: base.merges,
    steps: base.steps,
    batchSize: base.batch_size,
    lr: base.lr,
    seed: context.seed,
  };
}

/**
 * Build and save a base model into `dir`.
 *
 * @param dir output folder (Hugging Face layout).
 * @param opts transcripts, shape and pre-training settings.
 * @returns parameter count, number of examples, the final loss, the vocabulary size and the
 *   tokens pre-training went through (every token of every batch: its compute is ≈ 6 ·
 *   parameters · tokens FLOPs, see `lib/train/flops.ts`).
 */
export async function buildBaseModel(
  dir: string,
  opts: BaseModelOptions,
): Promise<
  { parameters: number; examples: number; finalLoss: number; vocab: number; tokens: number }
> {
  const makeEnv = opts.makeEnv ??
    (() => getScenario(opts.scenario).makeEnv({ renderStyle: opts.renderStyle }));
  const examples = renderTranscripts(makeEnv, {
    episodes: opts.episodes,
    seed: opts.seed,
    oracleFraction: opts.oracleFraction,
  });
  const corpus = examples.flatMap((e) => [e.system, e.user, e.answer]);
  const env = makeEnv();
  for (let a = 0; a < env.actionNames.length; a++) corpus.push(env.formatAction(a));
  const tok = domainTokenizerFiles({ corpus, merges: opts.merges });
  await makeCheckpoint(dir, {
    hidden: opts.hidden,
    layers: opts.layers,
    heads: opts.heads,
    kvHeads: opts.kvHeads,
    intermediate: opts.intermediate,
    seed: opts.seed,
    tokenizer: tok,
  });
  const tokenizer = await Tokenizer.load(dir);
  const model = await Qwen2Model.load(dir);
  let tokens = 0;
  try {
    const finalLoss = await pretrainOnTranscripts(model, tokenizeExamples(tokenizer, examples), {
      steps: opts.steps,
      batchSize: opts.batchSize,
      lr: opts.lr,
      seed: opts.seed,
      onStep: (step, loss, n) => {
        tokens += n;
        opts.onStep?.(step, loss, n);
      },
    });
    await saveCheckpoint(dir, model.config, await model.toWeights(), { tokenizerFrom: dir });
    return {
      parameters: model.numParameters(),
      examples: examples.length,
      finalLoss,
      vocab: tok.size,
      tokens,
    };
  } finally {
    model.dispose();
  }
}
