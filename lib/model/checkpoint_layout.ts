/**
 * The tensor layout of a Hugging Face Qwen2 checkpoint folder: file names, the tensors a config
 * implies and their shapes.
 *
 * @module
 */
import type { Qwen2Config } from "./config.ts";
import type { TensorData } from "./safetensors.ts";

/** Model weights by HF tensor name: f32 data in HF `[out, in]` layout. */
export type Weights = Map<string, TensorData>;

/** File names of the single-file and sharded layouts. */
export const SINGLE_FILE = "model.safetensors";
/** Name of the shard index file. */
export const INDEX_FILE = "model.safetensors.index.json";
/** Tokenizer files copied along with a checkpoint when present. */
export const TOKENIZER_FILES = [
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "vocab.json",
  "merges.txt",
  "chat_template.jinja",
];

/**
 * The tensor names and shapes a Qwen2 checkpoint with this config must contain, in a canonical
 * order (embedding, layers, final norm, LM head when untied).
 *
 * @param c the configuration.
 * @returns name → shape (HF `[out, in]` for linear weights).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expectedTensorShapes } from "./checkpoint.ts";
 * import { parseConfig } from "./config.ts";
 * const c = parseConfig({
 *   model_type: "qwen2", vocab_size: 300, hidden_size: 64, num_hidden_layers: 1,
 *   num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 128,
 * });
 * assert.deepEqual(expectedTensorShapes(c).get("model.layers.0.self_attn.k_proj.weight"), [32, 64]);
 * ```
 */
export function expectedTensorShapes(c: Qwen2Config): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const H = c.hiddenSize, q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim;
  m.set("model.embed_tokens.weight", [c.vocabSize, H]);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    m.set(`${p}input_layernorm.weight`, [H]);
    m.set(`${p}self_attn.q_proj.weight`, [q, H]);
    m.set(`${p}self_attn.q_proj.bias`, [q]);
    m.set(`${p}self_attn.k_proj.weight`, [kv, H]);
    m.set(`${p}self_attn.k_proj.bias`, [kv]);
    m.set(`${p}self_attn.v_proj.weight`, [kv, H]);
    m.set(`${p}self_attn.v_proj.bias`, [kv]);
    m.set(`${p}self_attn.o_proj.weight`, [H, q]);
    m.set(`${p}post_attention_layernorm.weight`, [H]);
    m.set(`${p}mlp.gate_proj.weight`, [c.intermediateSize, H]);
    m.set(`${p}mlp.up_proj.weight`, [c.intermediateSize, H]);
    m.set(`${p}mlp.down_proj.weight`, [H, c.intermediateSize]);
  }
  m.set("model.norm.weight", [H]);
  if (!c.tieWordEmbeddings) m.set("lm_head.weight", [c.vocabSize, H]);
  return m;
}

/** Total parameter count implied by a config (tied LM head counted once). */
export function countParameters(c: Qwen2Config): number {
  let n = 0;
  for (const s of expectedTensorShapes(c).values()) n += s.reduce((a, d) => a * d, 1);
  return n;
}

/** Whether two shapes are equal. */
export function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Whether a path exists. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
