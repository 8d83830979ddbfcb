/**
 * Synthetic Qwen2 checkpoints: a seeded random initialisation written in the exact Hugging Face
 * layout (config, generation config, safetensors, tokenizer files), so every loader, forward pass
 * and exporter can be tested without pretrained weights.
 *
 * @module
 */
import { deriveSeed, Rng } from "../util/rng.ts";
import type { Qwen2Config } from "./config.ts";
import { expectedTensorShapes, saveCheckpoint, type Weights } from "./checkpoint.ts";
import {
  byteTokenizerFiles,
  QWEN25_VOCAB_SIZE,
  qwenTokenizerFiles,
  type TokenizerFiles,
  writeTokenizerFiles,
} from "./byte_tokenizer.ts";

/** Options of {@link makeCheckpoint}. */
export interface MakeModelOptions {
  /** Embedding rows (default: 151936 for "qwen", 259 for "byte"; at least the tokenizer's size). */
  vocab?: number;
  /** Hidden size. */
  hidden: number;
  /** Number of decoder layers. */
  layers: number;
  /** Query heads. */
  heads: number;
  /** Key/value heads (divides `heads`). */
  kvHeads: number;
  /** MLP width. */
  intermediate: number;
  /** Tie the LM head to the embedding (default true, like Qwen2.5 0.5B–3B). */
  tie?: boolean;
  /** Seed of the initialisation. */
  seed: number;
  /** Tokenizer shipped with the checkpoint: a built-in one, or files such as a domain tokenizer's. */
  tokenizer: "qwen" | "byte" | TokenizerFiles;
  /** Storage dtype (default "F32"). */
  dtype?: "F32" | "BF16";
  /** `config.json` dialect (default "classic"). */
  configForm?: "classic" | "new";
  /** RoPE theta (default 1e6, as Qwen2.5). */
  ropeTheta?: number;
  /** Standard deviation of weights and biases (default 0.02). */
  initStd?: number;
  /** Standard deviation of norm weights around 1 (default 0: all ones). */
  normStd?: number;
  /** RMSNorm epsilon (default 1e-6). */
  rmsNormEps?: number;
  /** `max_position_embeddings` (default 32768). */
  maxPositions?: number;
  /** Write shards of about this many bytes with an index instead of one file. */
  shardBytes?: number;
}

/** What {@link makeCheckpoint} wrote. */
export interface MadeCheckpoint {
  /** The folder. */
  dir: string;
  /** The configuration written to `config.json`. */
  config: Qwen2Config;
  /** The weights, exactly as written when dtype is F32 (pre-rounding values for BF16). */
  weights: Weights;
}

/**
 * Seeded random weights for a config: linear weights, embeddings and q/k/v biases are
 * `normal * initStd`; norm weights are `1 + normal * normStd`. Each tensor draws from its own
 * stream `deriveSeed(seed, index)`, so the values do not depend on which other tensors exist.
 *
 * @param config the configuration.
 * @param opts seed and scales.
 * @returns weights by HF name.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomWeights } from "./make_model.ts";
 * import { parseConfig } from "./config.ts";
 * const c = parseConfig({
 *   model_type: "qwen2", vocab_size: 300, hidden_size: 8, num_hidden_layers: 1,
 *   num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 16,
 * });
 * assert.deepEqual(randomWeights(c, { seed: 0 }).get("model.norm.weight")?.data[0], 1);
 * ```
 */
export function randomWeights(
  config: Qwen2Config,
  opts: { seed: number; initStd?: number; normStd?: number },
): Weights {
  const std = opts.initStd ?? 0.02, nstd = opts.normStd ?? 0;
  const out: Weights = new Map();
  let idx = 0;
  for (const [name, shape] of expectedTensorShapes(config)) {
    const rng = new Rng(deriveSeed(opts.seed, idx++));
    const n = shape.reduce((a, d) => a * d, 1);
    const data = new Float32Array(n);
    if (name.endsWith("norm.weight")) {
      for (let i = 0; i < n; i++) data[i] = 1 + (nstd ? rng.normal() * nstd : 0);
    } else {
      for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
    }
    out.set(name, { shape, data });
  }
  return out;
}

function _checkInt(name: string, v: unknown, min = 1): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new Error(
      `makeCheckpoint: ${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/**
 * Write a seeded random Qwen2 checkpoint folder with tokenizer files.
 *
 * @param dir destination folder (created; existing model files are replaced).
 * @param opts architecture, seed, tokenizer and storage options.
 * @returns the config and weights written.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeCheckpoint } from "./make_model.ts";
 * const dir = await Deno.makeTempDir();
 * const m = await makeCheckpoint(dir, {
 *   hidden: 16, layers: 1, heads: 2, kvHeads: 1, intermediate: 32, seed: 0, tokenizer: "byte",
 * });
 * assert.deepEqual(m.config.vocabSize, 259);
 * ```
 */
export async function makeCheckpoint(dir: string, opts: MakeModelOptions): Promise<MadeCheckpoint> {
  const hidden = _checkInt("hidden", opts.hidden);
  const heads = _checkInt("heads", opts.heads);
  const kvHeads = _checkInt("kvHeads", opts.kvHeads);
  if (hidden % heads !== 0) {
    throw new Error(`makeCheckpoint: hidden ${hidden} is not a multiple of heads ${heads}`);
  }
  if (heads % kvHeads !== 0) {
    throw new Error(`makeCheckpoint: heads ${heads} is not a multiple of kvHeads ${kvHeads}`);
  }
  if ((hidden / heads) % 2 !== 0) {
    throw new Error(`makeCheckpoint: head dim ${hidden / heads} must be even`);
  }
  const custom = typeof opts.tokenizer === "object" && opts.tokenizer !== null;
  if (!custom && opts.tokenizer !== "qwen" && opts.tokenizer !== "byte") {
    throw new Error(
      `makeCheckpoint: tokenizer must be "qwen" or "byte", got ${JSON.stringify(opts.tokenizer)}`,
    );
  }
  const tok: TokenizerFiles = custom
    ? opts.tokenizer as TokenizerFiles
    : opts.tokenizer === "qwen"
    ? await qwenTokenizerFiles()
    : byteTokenizerFiles();
  const vocab = opts.vocab ?? (opts.tokenizer === "qwen" ? QWEN25_VOCAB_SIZE : tok.size);
  _checkInt("vocab", vocab, tok.size);
  const special = (s: string) => {
    const t = (tok.tokenizerJson.added_tokens as { id: number; content: string }[]).find((a) =>
      a.content === s
    );
    if (!t) throw new Error(`makeCheckpoint: tokenizer lacks ${s}`);
    return t.id;
  };
  const endOfText = special("<|endoftext|>"), imEnd = special("<|im_end|>");
  const config: Qwen2Config = {
    vocabSize: vocab,
    hiddenSize: hidden,
    numLayers: _checkInt("layers", opts.layers),
    numHeads: heads,
    numKvHeads: kvHeads,
    headDim: hidden / heads,
    intermediateSize: _checkInt("intermediate", opts.intermediate),
    rmsNormEps: opts.rmsNormEps ?? 1e-6,
    ropeTheta: opts.ropeTheta ?? 1e6,
    tieWordEmbeddings: opts.tie ?? true,
    maxPositionEmbeddings: opts.maxPositions ?? 32768,
    torchDtype: opts.dtype === "BF16" ? "bfloat16" : "float32",
    bosTokenId: endOfText,
    eosTokenIds: [imEnd],
  };
  const weights = randomWeights(config, {
    seed: opts.seed,
    initStd: opts.initStd,
    normStd: opts.normStd,
  });
  await writeTokenizerFiles(dir, tok);
  await saveCheckpoint(dir, config, weights, {
    dtype: opts.dtype ?? "F32",
    configForm: opts.configForm ?? "classic",
    shardBytes: opts.shardBytes,
    generationConfig: {
      bos_token_id: endOfText,
      pad_token_id: endOfText,
      do_sample: true,
      eos_token_id: [imEnd, endOfText],
      repetition_penalty: 1.0,
      temperature: 0.7,
      top_p: 0.8,
      top_k: 20,
    },
  });
  return { dir, config, weights };
}
