/**
 * Write a Qwen2 checkpoint as a GGUF v3 file (architecture `qwen2`, F32 tensors) that llama.cpp
 * loads, so llama.cpp can serve as an independent numerical reference for the forward pass.
 *
 * Layout (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md): magic `GGUF`, version 3,
 * tensor count (u64), metadata count (u64), metadata key/values, tensor infos (name, dims with
 * the fastest-varying first, i.e. the reversed Hugging Face shape, type, offset), padding to the
 * alignment, then the tensor data, each tensor starting on an aligned offset. All little-endian.
 *
 * @module
 */

import type { Qwen2Config } from "./config.ts";
import { type GgufVocab, readGgufVocab } from "./gguf_vocab.ts";

export { GgufTokenType, type GgufVocab, readGgufVocab } from "./gguf_vocab.ts";

/** Alignment of the tensor data section and of every tensor in it (bytes). */
export const GGUF_ALIGNMENT = 32;

/** A typed GGUF metadata value. */
export type GgufValue =
  | { type: "u32"; value: number }
  | { type: "i32"; value: number }
  | { type: "u64"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: string[] }
  | { type: "i32[]"; value: number[] };

/** A tensor to store: GGUF name, GGUF dims (fastest-varying first) and F32 data. */
export interface GgufTensor {
  /** GGUF tensor name, e.g. `blk.0.attn_q.weight`. */
  name: string;
  /** GGUF dims: the reversed row-major shape (`[in, out]` for a Hugging Face `[out, in]`). */
  dims: number[];
  /** Row-major values; `data.length` must equal the product of `dims`. */
  data: Float32Array;
}

/** A weight as the checkpoint loader returns it: Hugging Face name, row-major shape. */
export interface HfWeight {
  /** Row-major shape, `[out, in]` for linear layers. */
  shape: number[];
  /** Values, `shape` product long. */
  data: Float32Array;
}

const _T = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10 } as const;
const _GGML_F32 = 0;
const _FILE_TYPE_ALL_F32 = 0;

/** Growable little-endian byte buffer for the GGUF header. */
class _Bytes {
  buf = new Uint8Array(1 << 16);
  view = new DataView(this.buf.buffer);
  len = 0;
  #enc = new TextEncoder();

  #room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u32(v: number): void {
    this.#room(4);
    this.view.setUint32(this.len, v, true);
    this.len += 4;
  }
  i32(v: number): void {
    this.#room(4);
    this.view.setInt32(this.len, v, true);
    this.len += 4;
  }
  u64(v: number): void {
    this.#room(8);
    this.view.setBigUint64(this.len, BigInt(v), true);
    this.len += 8;
  }
  f32(v: number): void {
    this.#room(4);
    this.view.setFloat32(this.len, v, true);
    this.len += 4;
  }
  u8(v: number): void {
    this.#room(1);
    this.buf[this.len++] = v;
  }
  str(s: string): void {
    const b = this.#enc.encode(s);
    this.u64(b.length);
    this.#room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

function _writeValue(out: _Bytes, key: string, v: GgufValue): void {
  out.str(key);
  switch (v.type) {
    case "u32":
    case "i32":
    case "u64":
    case "f32":
      if (!Number.isFinite(v.value)) throw new Error(`gguf: metadata ${key} is ${v.value}`);
      out.u32(_T[v.type]);
      out[v.type](v.value);
      return;
    case "bool":
      out.u32(_T.bool);
      out.u8(v.value ? 1 : 0);
      return;
    case "string":
      out.u32(_T.string);
      out.str(v.value);
      return;
    case "string[]":
      out.u32(_T.array);
      out.u32(_T.string);
      out.u64(v.value.length);
      for (const s of v.value) out.str(s);
      return;
    case "i32[]":
      out.u32(_T.array);
      out.u32(_T.i32);
      out.u64(v.value.length);
      for (const x of v.value) out.i32(x);
      return;
  }
}

function _pad(n: number): number {
  return (GGUF_ALIGNMENT - (n % GGUF_ALIGNMENT)) % GGUF_ALIGNMENT;
}

/**
 * Write a GGUF v3 file from metadata and F32 tensors, streaming the tensor data to disk.
 *
 * @param path output file (overwritten)
 * @param metadata ordered key/value pairs; `general.alignment` is added when missing
 * @param tensors tensors in the order they are stored
 * @returns the file size in bytes
 * @example
 * ```ts ignore
 * // not run as a test: it writes a file outside the test's folders
 * await writeGgufFile("/tmp/x.gguf", [["general.architecture", { type: "string", value: "qwen2" }]], []);
 * ```
 */
export async function writeGgufFile(
  path: string,
  metadata: [string, GgufValue][],
  tensors: GgufTensor[],
): Promise<number> {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error("gguf: only little-endian hosts are supported");
  }
  const kv = metadata.some(([k]) => k === "general.alignment")
    ? metadata
    : [...metadata, ["general.alignment", { type: "u32", value: GGUF_ALIGNMENT }] as [
      string,
      GgufValue,
    ]];
  const seen = new Set<string>();
  for (const [k] of kv) {
    if (seen.has(k)) throw new Error(`gguf: metadata key ${k} appears twice`);
    seen.add(k);
  }
  const h = new _Bytes();
  h.u32(0x46554747); // "GGUF"
  h.u32(3);
  h.u64(tensors.length);
  h.u64(kv.length);
  for (const [k, v] of kv) _writeValue(h, k, v);
  let offset = 0;
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name)) throw new Error(`gguf: tensor ${t.name} appears twice`);
    names.add(t.name);
    const n = t.dims.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) {
      throw new Error(
        `gguf: tensor ${t.name} has dims [${t.dims}] (${n} values) but ${t.data.length} values`,
      );
    }
    h.str(t.name);
    h.u32(t.dims.length);
    for (const d of t.dims) h.u64(d);
    h.u32(_GGML_F32);
    h.u64(offset);
    offset += t.data.byteLength + _pad(t.data.byteLength);
  }
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    const writeAll = async (b: Uint8Array) => {
      let done = 0;
      while (done < b.length) done += await file.write(b.subarray(done));
    };
    await writeAll(h.bytes());
    await writeAll(new Uint8Array(_pad(h.len)));
    for (const t of tensors) {
      await writeAll(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      await writeAll(new Uint8Array(_pad(t.data.byteLength)));
    }
  } finally {
    file.close();
  }
  return h.len + _pad(h.len) + offset;
}

const _LAYER_MAP: [string, string][] = [
  ["input_layernorm.weight", "attn_norm.weight"],
  ["self_attn.q_proj.weight", "attn_q.weight"],
  ["self_attn.q_proj.bias", "attn_q.bias"],
  ["self_attn.k_proj.weight", "attn_k.weight"],
  ["self_attn.k_proj.bias", "attn_k.bias"],
  ["self_attn.v_proj.weight", "attn_v.weight"],
  ["self_attn.v_proj.bias", "attn_v.bias"],
  ["self_attn.o_proj.weight", "attn_output.weight"],
  ["post_attention_layernorm.weight", "ffn_norm.weight"],
  ["mlp.gate_proj.weight", "ffn_gate.weight"],
  ["mlp.up_proj.weight", "ffn_up.weight"],
  ["mlp.down_proj.weight", "ffn_down.weight"],
];

/**
 * The GGUF (llama.cpp) name of a Hugging Face Qwen2 weight.
 *
 * @param hfName e.g. `model.layers.3.self_attn.q_proj.weight`
 * @returns e.g. `blk.3.attn_q.weight`, or `undefined` for names with no GGUF counterpart
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ggufTensorName } from "./gguf.ts";
 * assert.deepEqual(ggufTensorName("model.layers.3.mlp.up_proj.weight"), "blk.3.ffn_up.weight");
 * ```
 */
export function ggufTensorName(hfName: string): string | undefined {
  if (hfName === "model.embed_tokens.weight") return "token_embd.weight";
  if (hfName === "model.norm.weight") return "output_norm.weight";
  if (hfName === "lm_head.weight") return "output.weight";
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hfName);
  if (!m) return undefined;
  const hit = _LAYER_MAP.find(([hf]) => hf === m[2]);
  return hit ? `blk.${m[1]}.${hit[1]}` : undefined;
}

/** The GGUF metadata for a Qwen2 config and vocabulary, in a stable order. */
export function qwen2GgufMetadata(
  config: Qwen2Config,
  vocab: GgufVocab,
  name = "msgrpo-qwen2",
): [string, GgufValue][] {
  const u32 = (value: number): GgufValue => ({ type: "u32", value });
  const md: [string, GgufValue][] = [
    ["general.architecture", { type: "string", value: "qwen2" }],
    ["general.type", { type: "string", value: "model" }],
    ["general.name", { type: "string", value: name }],
    ["general.file_type", u32(_FILE_TYPE_ALL_F32)],
    ["qwen2.context_length", u32(config.maxPositionEmbeddings)],
    ["qwen2.embedding_length", u32(config.hiddenSize)],
    ["qwen2.block_count", u32(config.numLayers)],
    ["qwen2.feed_forward_length", u32(config.intermediateSize)],
    ["qwen2.attention.head_count", u32(config.numHeads)],
    ["qwen2.attention.head_count_kv", u32(config.numKvHeads)],
    ["qwen2.rope.freq_base", { type: "f32", value: config.ropeTheta }],
    ["qwen2.attention.layer_norm_rms_epsilon", { type: "f32", value: config.rmsNormEps }],
  ];
  if (config.headDim * config.numHeads !== config.hiddenSize) {
    md.push(["qwen2.attention.key_length", u32(config.headDim)]);
    md.push(["qwen2.attention.value_length", u32(config.headDim)]);
  }
  md.push(
    ["tokenizer.ggml.model", { type: "string", value: "gpt2" }],
    ["tokenizer.ggml.pre", { type: "string", value: "qwen2" }],
    ["tokenizer.ggml.tokens", { type: "string[]", value: vocab.tokens }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: vocab.tokenTypes }],
    ["tokenizer.ggml.merges", { type: "string[]", value: vocab.merges }],
  );
  if (vocab.bosTokenId !== undefined) {
    md.push(["tokenizer.ggml.bos_token_id", u32(vocab.bosTokenId)]);
  }
  if (vocab.eosTokenId !== undefined) {
    md.push(["tokenizer.ggml.eos_token_id", u32(vocab.eosTokenId)]);
  }
  if (vocab.padTokenId !== undefined) {
    md.push(["tokenizer.ggml.padding_token_id", u32(vocab.padTokenId)]);
  }
  md.push(["tokenizer.ggml.add_bos_token", { type: "bool", value: vocab.addBosToken }]);
  if (vocab.chatTemplate !== undefined) {
    md.push(["tokenizer.chat_template", { type: "string", value: vocab.chatTemplate }]);
  }
  return md;
}

/** Options for {@link writeGguf}. */
export interface WriteGgufOptions {
  /** `general.name` (default `msgrpo-qwen2`). */
  name?: string;
}

/**
 * Export a Qwen2 checkpoint (Hugging Face names and shapes) as an F32 GGUF v3 file for
 * llama.cpp. `lm_head.weight` becomes `output.weight` only when the embeddings are untied.
 *
 * @param path output `.gguf` file
 * @param config the model config
 * @param weights Hugging Face weight names → row-major F32 tensors (`[out, in]`)
 * @param tokenizerDir folder with `tokenizer.json` / `tokenizer_config.json`
 * @param options e.g. `general.name`
 * @returns the number of tensors and bytes written
 * @example
 * ```ts ignore
 * // not run as a test: it needs a checkpoint folder on disk
 * const ckpt = await loadCheckpoint("runs/ckpt");
 * await writeGguf("model.gguf", ckpt.config, ckpt.weights, ckpt.dir);
 * ```
 */
export async function writeGguf(
  path: string,
  config: Qwen2Config,
  weights: Map<string, HfWeight>,
  tokenizerDir: string,
  options: WriteGgufOptions = {},
): Promise<{ tensors: number; bytes: number }> {
  const embed = weights.get("model.embed_tokens.weight");
  if (!embed) throw new Error("gguf: the weights have no model.embed_tokens.weight");
  const [vocabRows, hidden] = embed.shape;
  if (vocabRows !== config.vocabSize || hidden !== config.hiddenSize) {
    throw new Error(
      `gguf: model.embed_tokens.weight has shape [${embed.shape}] but the config says vocab_size ${config.vocabSize}, hidden_size ${config.hiddenSize}`,
    );
  }
  const untied = !config.tieWordEmbeddings;
  if (untied && !weights.has("lm_head.weight")) {
    throw new Error("gguf: tie_word_embeddings is false but lm_head.weight is missing");
  }
  const tensors: GgufTensor[] = [];
  const push = (hf: string) => {
    const w = weights.get(hf);
    if (!w) throw new Error(`gguf: the weights have no ${hf}`);
    tensors.push({ name: ggufTensorName(hf)!, dims: [...w.shape].reverse(), data: w.data });
  };
  push("model.embed_tokens.weight");
  for (let i = 0; i < config.numLayers; i++) {
    for (const [suffix] of _LAYER_MAP) push(`model.layers.${i}.${suffix}`);
  }
  push("model.norm.weight");
  if (untied) push("lm_head.weight");
  for (const name of weights.keys()) {
    if (ggufTensorName(name) === undefined) {
      throw new Error(`gguf: weight ${name} has no GGUF counterpart`);
    }
  }
  const vocab = await readGgufVocab(tokenizerDir, vocabRows, {
    bosTokenId: config.bosTokenId,
    eosTokenIds: config.eosTokenIds,
  });
  const bytes = await writeGgufFile(path, qwen2GgufMetadata(config, vocab, options.name), tensors);
  return { tensors: tensors.length, bytes };
}
