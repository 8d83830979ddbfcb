/**
 * The Qwen2 model configuration: parsing Hugging Face `config.json` (both the classic
 * `rope_theta`/`torch_dtype` form and the newer `rope_parameters`/`dtype` form) into a typed
 * {@link Qwen2Config}, and writing it back in the form Qwen2.5 checkpoints ship.
 *
 * @module
 */

/** The architecture hyper-parameters of a Qwen2 / Qwen2.5 causal language model. */
export interface Qwen2Config {
  /** Rows of the embedding and LM-head matrices (may exceed the tokenizer's size). */
  vocabSize: number;
  /** Width of the residual stream. */
  hiddenSize: number;
  /** Number of decoder layers. */
  numLayers: number;
  /** Number of query heads. */
  numHeads: number;
  /** Number of key/value heads (grouped-query attention; divides `numHeads`). */
  numKvHeads: number;
  /** Width of one attention head (`hidden_size / num_attention_heads` unless given). */
  headDim: number;
  /** Width of the SwiGLU MLP. */
  intermediateSize: number;
  /** Epsilon of every RMSNorm. */
  rmsNormEps: number;
  /** RoPE base frequency. */
  ropeTheta: number;
  /** Whether the LM head reuses the embedding matrix. */
  tieWordEmbeddings: boolean;
  /** Longest context the model was configured for. */
  maxPositionEmbeddings: number;
  /** Storage dtype named by the checkpoint (e.g. "bfloat16", "float32"). */
  torchDtype: string;
  /** Beginning-of-sequence token id, when the config names one (Qwen never prepends it). */
  bosTokenId?: number;
  /** Token ids that end generation. */
  eosTokenIds: number[];
}

/** Which `config.json` dialect {@link toHfConfig} writes. */
export type ConfigForm = "classic" | "new";

function _isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function _where(file?: string): string {
  return file ? `${file}: ` : "config: ";
}

function _posInt(obj: Record<string, unknown>, key: string, file?: string): number {
  const v = obj[key];
  if (v === undefined) throw new Error(`${_where(file)}missing required field "${key}"`);
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    throw new Error(
      `${_where(file)}field "${key}" must be a positive integer, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function _posNum(
  obj: Record<string, unknown>,
  key: string,
  dflt: number | undefined,
  file?: string,
): number {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (dflt === undefined) throw new Error(`${_where(file)}missing required field "${key}"`);
    return dflt;
  }
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new Error(
      `${_where(file)}field "${key}" must be a positive number, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function _tokenIds(v: unknown, key: string, file?: string): number[] {
  if (v === undefined || v === null) return [];
  const arr = Array.isArray(v) ? v : [v];
  for (const x of arr) {
    if (typeof x !== "number" || !Number.isInteger(x) || x < 0) {
      throw new Error(
        `${_where(file)}field "${key}" must be a token id or a list of ids, got ${
          JSON.stringify(v)
        }`,
      );
    }
  }
  return arr as number[];
}

/**
 * Parse and validate a Hugging Face Qwen2 `config.json` object.
 *
 * Accepts both `rope_theta` + `torch_dtype` (classic) and `rope_parameters.rope_theta` + `dtype`
 * (newer transformers). Rejects other architectures, sliding-window attention and RoPE scaling,
 * which the forward pass does not implement.
 *
 * @param json the parsed JSON object.
 * @param file path used in error messages.
 * @returns the typed configuration.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./config.ts";
 * const c = parseConfig({
 *   model_type: "qwen2", vocab_size: 300, hidden_size: 64, num_hidden_layers: 2,
 *   num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 128,
 * });
 * assert.deepEqual(c.headDim, 16);
 * ```
 */
export function parseConfig(json: unknown, file?: string): Qwen2Config {
  if (!_isObj(json)) throw new Error(`${_where(file)}expected a JSON object`);
  const mt = json.model_type;
  if (mt !== "qwen2") {
    throw new Error(
      `${_where(file)}model_type is ${
        JSON.stringify(mt)
      }, but only "qwen2" (Qwen2 / Qwen2.5) is supported`,
    );
  }
  const act = json.hidden_act;
  if (act !== undefined && act !== "silu") {
    throw new Error(
      `${_where(file)}hidden_act is ${JSON.stringify(act)}; only "silu" is supported`,
    );
  }
  if (json.use_sliding_window === true) {
    throw new Error(
      `${_where(file)}use_sliding_window is true; sliding-window attention is not supported`,
    );
  }
  const vocabSize = _posInt(json, "vocab_size", file);
  const hiddenSize = _posInt(json, "hidden_size", file);
  const numLayers = _posInt(json, "num_hidden_layers", file);
  const numHeads = _posInt(json, "num_attention_heads", file);
  const numKvHeads = json.num_key_value_heads === undefined || json.num_key_value_heads === null
    ? numHeads
    : _posInt(json, "num_key_value_heads", file);
  const intermediateSize = _posInt(json, "intermediate_size", file);
  if (numHeads % numKvHeads !== 0) {
    throw new Error(
      `${
        _where(file)
      }num_attention_heads (${numHeads}) is not a multiple of num_key_value_heads (${numKvHeads})`,
    );
  }
  let headDim: number;
  if (json.head_dim !== undefined && json.head_dim !== null) {
    headDim = _posInt(json, "head_dim", file);
  } else {
    if (hiddenSize % numHeads !== 0) {
      throw new Error(
        `${
          _where(file)
        }hidden_size (${hiddenSize}) is not a multiple of num_attention_heads (${numHeads})`,
      );
    }
    headDim = hiddenSize / numHeads;
  }
  if (headDim % 2 !== 0) {
    throw new Error(`${_where(file)}head dimension ${headDim} must be even for RoPE`);
  }

  // RoPE: classic `rope_theta`, or newer `rope_parameters: {rope_theta, rope_type}`.
  let ropeTheta: number;
  const rp = json.rope_parameters;
  if (_isObj(rp)) {
    const rt = rp.rope_type ?? rp.type ?? "default";
    if (rt !== "default") {
      throw new Error(
        `${_where(file)}rope_parameters.rope_type ${JSON.stringify(rt)} is not supported`,
      );
    }
    if (rp.rope_theta === undefined && json.rope_theta !== undefined) {
      ropeTheta = _posNum(json, "rope_theta", undefined, file);
    } else {
      ropeTheta = _posNum(
        rp,
        "rope_theta",
        10000,
        file ? `${file} rope_parameters` : "rope_parameters",
      );
    }
  } else if (rp !== undefined && rp !== null) {
    throw new Error(
      `${_where(file)}field "rope_parameters" must be an object, got ${JSON.stringify(rp)}`,
    );
  } else {
    ropeTheta = _posNum(json, "rope_theta", 10000, file);
  }
  const rs = json.rope_scaling;
  if (rs !== undefined && rs !== null) {
    const rt = _isObj(rs) ? (rs.rope_type ?? rs.type) : rs;
    if (rt !== "default") {
      throw new Error(`${_where(file)}rope_scaling ${JSON.stringify(rs)} is not supported`);
    }
  }

  const dt = json.dtype ?? json.torch_dtype ?? "float32";
  if (typeof dt !== "string") {
    throw new Error(
      `${_where(file)}field "torch_dtype"/"dtype" must be a string, got ${JSON.stringify(dt)}`,
    );
  }
  const tie = json.tie_word_embeddings ?? false;
  if (typeof tie !== "boolean") {
    throw new Error(
      `${_where(file)}field "tie_word_embeddings" must be a boolean, got ${JSON.stringify(tie)}`,
    );
  }
  const bos = _tokenIds(json.bos_token_id, "bos_token_id", file);
  const cfg: Qwen2Config = {
    vocabSize,
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize,
    rmsNormEps: _posNum(json, "rms_norm_eps", 1e-6, file),
    ropeTheta,
    tieWordEmbeddings: tie,
    maxPositionEmbeddings: json.max_position_embeddings === undefined
      ? 32768
      : _posInt(json, "max_position_embeddings", file),
    torchDtype: dt,
    eosTokenIds: _tokenIds(json.eos_token_id, "eos_token_id", file),
  };
  if (bos.length > 1) throw new Error(`${_where(file)}field "bos_token_id" must be a single id`);
  if (bos.length === 1) cfg.bosTokenId = bos[0];
  for (const id of [...cfg.eosTokenIds, ...bos]) {
    if (id >= vocabSize) {
      throw new Error(`${_where(file)}token id ${id} is outside vocab_size ${vocabSize}`);
    }
  }
  return cfg;
}

/**
 * Write a {@link Qwen2Config} as the `config.json` object a Qwen2.5 checkpoint carries.
 *
 * @param c the configuration.
 * @param form "classic" (`rope_theta`, `torch_dtype`; default) or "new" (`rope_parameters`, `dtype`).
 * @returns a JSON-serialisable object that {@link parseConfig} reads back to `c`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig, toHfConfig } from "./config.ts";
 * const c = parseConfig({
 *   model_type: "qwen2", vocab_size: 300, hidden_size: 64, num_hidden_layers: 2,
 *   num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 128,
 * });
 * assert.deepEqual(toHfConfig(c).architectures, ["Qwen2ForCausalLM"]);
 * ```
 */
export function toHfConfig(c: Qwen2Config, form: ConfigForm = "classic"): Record<string, unknown> {
  const out: Record<string, unknown> = {
    architectures: ["Qwen2ForCausalLM"],
    attention_dropout: 0.0,
  };
  if (c.bosTokenId !== undefined) out.bos_token_id = c.bosTokenId;
  if (c.eosTokenIds.length > 0) {
    out.eos_token_id = c.eosTokenIds.length === 1 ? c.eosTokenIds[0] : [...c.eosTokenIds];
  }
  Object.assign(out, {
    hidden_act: "silu",
    hidden_size: c.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: c.intermediateSize,
    max_position_embeddings: c.maxPositionEmbeddings,
    max_window_layers: c.numLayers,
    model_type: "qwen2",
    num_attention_heads: c.numHeads,
    num_hidden_layers: c.numLayers,
    num_key_value_heads: c.numKvHeads,
    rms_norm_eps: c.rmsNormEps,
  });
  if (c.headDim * c.numHeads !== c.hiddenSize) out.head_dim = c.headDim;
  if (form === "new") {
    out.rope_parameters = { rope_theta: c.ropeTheta, rope_type: "default" };
    out.dtype = c.torchDtype;
  } else {
    out.rope_scaling = null;
    out.rope_theta = c.ropeTheta;
  }
  out.sliding_window = c.maxPositionEmbeddings;
  out.tie_word_embeddings = c.tieWordEmbeddings;
  if (form !== "new") out.torch_dtype = c.torchDtype;
  out.use_cache = true;
  out.use_sliding_window = false;
  out.vocab_size = c.vocabSize;
  return out;
}
