/**
 * The GGUF writer: names, layout, metadata and vocabulary, read back with node-llama-cpp's pure
 * JavaScript GGUF parser (no native binary needed), and the export CLI.
 */
import assert from "node:assert/strict";
import { readGgufFileInfo } from "node-llama-cpp";
import {
  GGUF_ALIGNMENT,
  ggufTensorName,
  GgufTokenType,
  readGgufVocab,
  writeGguf,
} from "../../lib/model/gguf.ts";
import { qwenTokenizerFiles, writeTokenizerFiles } from "../../lib/model/byte_tokenizer.ts";
import { makeCheckpoint } from "../../lib/model/make_model.ts";

const TINY = {
  hidden: 16,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  intermediate: 24,
  tokenizer: "byte",
} as const;

async function _withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gguf_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("ggufTensorName() maps Hugging Face Qwen2 names to llama.cpp names", () => {
  const cases: [string, string | undefined][] = [
    ["model.embed_tokens.weight", "token_embd.weight"],
    ["model.layers.0.input_layernorm.weight", "blk.0.attn_norm.weight"],
    ["model.layers.11.self_attn.q_proj.bias", "blk.11.attn_q.bias"],
    ["model.layers.2.self_attn.k_proj.weight", "blk.2.attn_k.weight"],
    ["model.layers.2.self_attn.v_proj.bias", "blk.2.attn_v.bias"],
    ["model.layers.3.self_attn.o_proj.weight", "blk.3.attn_output.weight"],
    ["model.layers.4.post_attention_layernorm.weight", "blk.4.ffn_norm.weight"],
    ["model.layers.5.mlp.gate_proj.weight", "blk.5.ffn_gate.weight"],
    ["model.layers.5.mlp.up_proj.weight", "blk.5.ffn_up.weight"],
    ["model.layers.5.mlp.down_proj.weight", "blk.5.ffn_down.weight"],
    ["model.norm.weight", "output_norm.weight"],
    ["lm_head.weight", "output.weight"],
    ["model.layers.0.self_attn.rotary_emb.inv_freq", undefined],
  ];
  for (const [hf, gguf] of cases) assert.equal(ggufTensorName(hf), gguf, hf);
});

Deno.test("writeGguf() writes a GGUF v3 file that llama.cpp's parser reads back", async () => {
  await _withTempDir(async (dir) => {
    const made = await makeCheckpoint(dir, { ...TINY, seed: 3, tie: false });
    const path = `${dir}/m.gguf`;
    const { tensors, bytes } = await writeGguf(path, made.config, made.weights, dir);
    assert.equal(tensors, 1 + 2 * 12 + 2);
    const raw = await Deno.readFile(path);
    assert.equal(raw.length, bytes);
    assert.deepEqual([...raw.subarray(0, 8)], [0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0]);

    const info = await readGgufFileInfo(path, { logWarnings: false });
    assert.equal(info.version, 3);
    const md = info.metadata as unknown as Record<string, Record<string, unknown>>;
    assert.equal(md.general.architecture, "qwen2");
    assert.equal(md.general.alignment, GGUF_ALIGNMENT);
    const q = md.qwen2 as Record<string, unknown>;
    assert.equal(q.embedding_length, 16);
    assert.equal(q.block_count, 2);
    assert.equal(q.feed_forward_length, 24);
    assert.equal(q.context_length, 32768);
    assert.deepEqual(q.attention, {
      head_count: 4,
      head_count_kv: 2,
      layer_norm_rms_epsilon: Math.fround(1e-6),
    });
    assert.deepEqual(q.rope, { freq_base: 1e6 });
    const tk = (md.tokenizer as Record<string, Record<string, unknown>>).ggml;
    assert.equal(tk.model, "gpt2");
    assert.equal(tk.pre, "qwen2");
    assert.equal((tk.tokens as string[]).length, 259);
    assert.equal((tk.tokens as string[])[258], "<|im_end|>");
    assert.equal((tk.token_type as number[])[258], GgufTokenType.control);
    assert.equal((tk.token_type as number[])[65], GgufTokenType.normal);
    assert.equal(tk.eos_token_id, 258);
    assert.equal(tk.padding_token_id, 256);
    assert.equal(tk.add_bos_token, false);
    assert.match(String((md.tokenizer as Record<string, unknown>).chat_template), /<\|im_start\|>/);

    const byName = new Map(info.tensorInfo!.map((t) => [t.name, t]));
    assert.ok(byName.has("output.weight"), "untied model needs output.weight");
    assert.ok(byName.has("blk.1.attn_v.bias"));
    for (const [hf, w] of made.weights) {
      const t = byName.get(ggufTensorName(hf)!)!;
      assert.deepEqual(t.dimensions.map(Number), [...w.shape].reverse(), hf);
      assert.equal(t.ggmlType, 0, `${hf} is F32`);
      const off = Number(t.fileOffset);
      assert.equal(off % GGUF_ALIGNMENT, 0, `${hf} is aligned`);
      const stored = new Float32Array(raw.slice(off, off + w.data.byteLength).buffer);
      assert.deepEqual(stored, w.data, `${hf} data`);
    }
  });
});

Deno.test("writeGguf() stores no output.weight when the embeddings are tied", async () => {
  await _withTempDir(async (dir) => {
    const made = await makeCheckpoint(dir, { ...TINY, seed: 4, tie: true });
    await writeGguf(`${dir}/m.gguf`, made.config, made.weights, dir);
    const info = await readGgufFileInfo(`${dir}/m.gguf`, { logWarnings: false });
    const names = info.tensorInfo!.map((t) => t.name);
    assert.equal(names.length, 1 + 2 * 12 + 1);
    assert.ok(!names.includes("output.weight"));
  });
});

Deno.test("writeGguf() rejects weights that contradict the config", async () => {
  await _withTempDir(async (dir) => {
    const made = await makeCheckpoint(dir, { ...TINY, seed: 5, tie: true });
    const path = `${dir}/m.gguf`;
    await assert.rejects(
      writeGguf(path, { ...made.config, vocabSize: 300 }, made.weights, dir),
      /embed_tokens.weight has shape \[259,16\] but the config says vocab_size 300/,
    );
    await assert.rejects(
      writeGguf(path, { ...made.config, tieWordEmbeddings: false }, made.weights, dir),
      /lm_head.weight is missing/,
    );
    const extra = new Map(made.weights);
    extra.set("model.layers.0.mlp.extra.weight", { shape: [1], data: new Float32Array(1) });
    await assert.rejects(writeGguf(path, made.config, extra, dir), /extra.weight has no GGUF/);
    const small = new Map(made.weights);
    small.set("model.embed_tokens.weight", { shape: [200, 16], data: new Float32Array(3200) });
    await assert.rejects(
      writeGguf(path, { ...made.config, vocabSize: 200 }, small, dir),
      /outside the 200 embedding rows/,
    );
  });
});

Deno.test("readGgufVocab() pads and types the Qwen vocabulary like llama.cpp's converter", async () => {
  await _withTempDir(async (dir) => {
    await writeTokenizerFiles(dir, await qwenTokenizerFiles());
    const v = await readGgufVocab(dir, 151936, { bosTokenId: 151643 });
    assert.equal(v.tokens.length, 151936);
    assert.equal(v.tokenTypes.length, 151936);
    const expect: [number, string, number][] = [
      [0, "!", GgufTokenType.normal],
      [220, "Ġ", GgufTokenType.normal],
      [151643, "<|endoftext|>", GgufTokenType.control],
      [151645, "<|im_end|>", GgufTokenType.control],
      [151657, "<tool_call>", GgufTokenType.userDefined],
      [151660, "<|fim_middle|>", GgufTokenType.control],
      [151664, "<|file_sep|>", GgufTokenType.control],
      [151665, "[PAD151665]", GgufTokenType.unused],
      [151935, "[PAD151935]", GgufTokenType.unused],
    ];
    for (const [id, text, type] of expect) {
      assert.equal(v.tokens[id], text, `token ${id}`);
      assert.equal(v.tokenTypes[id], type, `type of ${id}`);
    }
    assert.equal(v.merges.length, 151387);
    assert.equal(v.merges[0], "Ġ Ġ");
    assert.equal(v.bosTokenId, 151643);
    assert.equal(v.eosTokenId, 151645);
    assert.equal(v.padTokenId, 151643);
    assert.equal(v.addBosToken, false);
    assert.match(v.chatTemplate!, /<\|im_start\|>assistant/);
  });
});

Deno.test("tools/export_gguf.ts exports a checkpoint folder", async () => {
  await _withTempDir(async (dir) => {
    const made = await makeCheckpoint(dir, { ...TINY, seed: 6 });
    const out = `${dir}/cli.gguf`;
    const tool = new URL("../../tools/export_gguf.ts", import.meta.url).pathname;
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", tool, "--model", dir, "--out", out],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 0, text);
    assert.match(text, /26 tensors/);
    const info = await readGgufFileInfo(out, { logWarnings: false });
    assert.equal(info.tensorInfo!.length, 26);
    assert.equal(made.config.tieWordEmbeddings, true);

    const bad = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", tool, "--model", `${dir}/missing`, "--out", out],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(bad.code, 1);
    assert.match(new TextDecoder().decode(bad.stderr), /export_gguf: .*missing/);
  });
});
