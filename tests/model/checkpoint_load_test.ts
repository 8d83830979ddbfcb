import assert from "node:assert/strict";
import { join } from "node:path";
import { parseConfig, toHfConfig } from "../../lib/model/config.ts";
import {
  countParameters,
  expectedTensorShapes,
  INDEX_FILE,
  loadCheckpoint,
  saveCheckpoint,
  type Weights,
} from "../../lib/model/checkpoint.ts";
import { makeCheckpoint, randomWeights } from "../../lib/model/make_model.ts";
import { bf16ToF32, f32ToBf16 } from "../../lib/model/dtype.ts";
import { readSafetensorsHeader } from "../../lib/model/safetensors.ts";
import { Tokenizer } from "../../lib/model/tokenizer.ts";

const TMP = await Deno.makeTempDir({ prefix: "checkpoint_load_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

/** Qwen2.5-0.5B-Instruct's published config.json. */
const QWEN25_05B = {
  architectures: ["Qwen2ForCausalLM"],
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151645,
  hidden_act: "silu",
  hidden_size: 896,
  initializer_range: 0.02,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  max_window_layers: 21,
  model_type: "qwen2",
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-06,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  transformers_version: "4.43.1",
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

const SMALL = { hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 48 } as const;

function assertSameWeights(a: Weights, b: Weights) {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [name, t] of a) {
    const u = b.get(name)!;
    assert.deepEqual(u.shape, t.shape, name);
    assert.deepEqual(u.data, t.data, name);
  }
}

Deno.test("parseConfig() reads Qwen2.5-0.5B-Instruct's config.json", () => {
  const c = parseConfig(QWEN25_05B, "config.json");
  assert.deepEqual(c, {
    vocabSize: 151936,
    hiddenSize: 896,
    numLayers: 24,
    numHeads: 14,
    numKvHeads: 2,
    headDim: 64,
    intermediateSize: 4864,
    rmsNormEps: 1e-6,
    ropeTheta: 1e6,
    tieWordEmbeddings: true,
    maxPositionEmbeddings: 32768,
    torchDtype: "bfloat16",
    bosTokenId: 151643,
    eosTokenIds: [151645],
  });
  // The model card's parameter count.
  assert.equal(countParameters(c), 494_032_768);
});

Deno.test("parseConfig() reads the new rope_parameters/dtype form like the classic one", () => {
  const classic = parseConfig(QWEN25_05B);
  const { rope_theta: _r, torch_dtype: _t, ...rest } = QWEN25_05B;
  const fresh = parseConfig({
    ...rest,
    dtype: "bfloat16",
    rope_parameters: { rope_theta: 1000000.0, rope_type: "default" },
  });
  assert.deepEqual(fresh, classic);
  const newForm = toHfConfig(classic, "new");
  assert.equal(newForm.rope_theta, undefined);
  assert.equal(newForm.torch_dtype, undefined);
  assert.deepEqual(newForm.rope_parameters, { rope_theta: 1e6, rope_type: "default" });
  assert.equal(newForm.dtype, "bfloat16");
  assert.deepEqual(parseConfig(newForm), classic);
  const classicForm = toHfConfig(classic);
  assert.equal(classicForm.rope_theta, 1e6);
  assert.deepEqual(parseConfig(classicForm), classic);
  for (const k of Object.keys(QWEN25_05B)) {
    if (k !== "transformers_version") assert.ok(k in classicForm, `toHfConfig() lacks ${k}`);
  }
});

Deno.test("expectedTensorShapes() lists q/k/v biases, no o_proj bias, lm_head only when untied", () => {
  const c = parseConfig(QWEN25_05B);
  const tied = expectedTensorShapes(c);
  assert.equal(tied.size, 1 + 12 * 24 + 1);
  assert.deepEqual(tied.get("model.embed_tokens.weight"), [151936, 896]);
  assert.deepEqual(tied.get("model.layers.23.self_attn.q_proj.bias"), [896]);
  assert.deepEqual(tied.get("model.layers.0.self_attn.k_proj.weight"), [128, 896]);
  assert.deepEqual(tied.get("model.layers.0.self_attn.v_proj.bias"), [128]);
  assert.deepEqual(tied.get("model.layers.0.mlp.down_proj.weight"), [896, 4864]);
  assert.equal(tied.has("model.layers.0.self_attn.o_proj.bias"), false);
  assert.equal(tied.has("lm_head.weight"), false);
  const untied = expectedTensorShapes({ ...c, tieWordEmbeddings: false });
  assert.deepEqual(untied.get("lm_head.weight"), [151936, 896]);
});

Deno.test("loadCheckpoint() returns exactly the F32 weights makeCheckpoint() wrote (tied)", async () => {
  const dir = join(TMP, "tied_f32");
  const made = await makeCheckpoint(dir, { ...SMALL, seed: 3, tokenizer: "byte" });
  const ck = await loadCheckpoint(dir);
  assert.equal(ck.dir, dir);
  assert.equal(ck.config.vocabSize, 259);
  assert.equal(ck.config.tieWordEmbeddings, true);
  assert.equal(ck.config.torchDtype, "float32");
  // eos ids of config.json merged with generation_config.json's
  assert.deepEqual(ck.config.eosTokenIds, [258, 256]);
  assert.deepEqual(ck.generationConfig.eos_token_id, [258, 256]);
  assert.equal(ck.weights.has("lm_head.weight"), false);
  assertSameWeights(ck.weights, made.weights);
  const tok = await Tokenizer.load(dir);
  assert.equal(tok.vocabSize, ck.config.vocabSize);
});

Deno.test("loadCheckpoint() returns BF16-rounded weights of an untied BF16 checkpoint", async () => {
  const dir = join(TMP, "untied_bf16");
  const made = await makeCheckpoint(dir, {
    ...SMALL,
    seed: 4,
    tokenizer: "byte",
    tie: false,
    dtype: "BF16",
  });
  const h = await readSafetensorsHeader(join(dir, "model.safetensors"));
  assert.equal(h.entries.get("lm_head.weight")!.dtype, "BF16");
  const ck = await loadCheckpoint(dir);
  assert.equal(ck.config.torchDtype, "bfloat16");
  assert.ok(ck.weights.has("lm_head.weight"));
  for (const [name, t] of made.weights) {
    assert.deepEqual(ck.weights.get(name)!.data, bf16ToF32(f32ToBf16(t.data)), name);
  }
});

Deno.test("loadCheckpoint() reads a sharded checkpoint like a single file", async () => {
  const one = join(TMP, "single"), many = join(TMP, "sharded");
  const opts = { ...SMALL, seed: 5, tokenizer: "byte" as const, tie: false };
  await makeCheckpoint(one, opts);
  await makeCheckpoint(many, { ...opts, shardBytes: 12_000 });
  const index = JSON.parse(await Deno.readTextFile(join(many, INDEX_FILE)));
  const shardFiles = new Set(Object.values(index.weight_map));
  assert.ok(shardFiles.size >= 3, `only ${shardFiles.size} shards`);
  for (const f of shardFiles) assert.match(f as string, /^model-\d{5}-of-\d{5}\.safetensors$/);
  assert.equal(
    index.metadata.total_size,
    countParameters(parseConfig(
      JSON.parse(await Deno.readTextFile(join(many, "config.json"))),
    )) * 4,
  );
  await assert.rejects(Deno.stat(join(many, "model.safetensors")));
  const a = await loadCheckpoint(one), b = await loadCheckpoint(many);
  assert.deepEqual(b.config, a.config);
  assertSameWeights(b.weights, a.weights);
});

Deno.test("makeCheckpoint() writes the new config form when asked, and it loads the same", async () => {
  const dir = join(TMP, "newform");
  await makeCheckpoint(dir, {
    ...SMALL,
    seed: 6,
    tokenizer: "byte",
    configForm: "new",
    ropeTheta: 5e5,
  });
  const raw = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  assert.deepEqual(raw.rope_parameters, { rope_theta: 5e5, rope_type: "default" });
  assert.equal(raw.dtype, "float32");
  assert.equal(raw.rope_theta, undefined);
  const ck = await loadCheckpoint(dir);
  assert.equal(ck.config.ropeTheta, 5e5);
});

Deno.test("makeCheckpoint() is deterministic in its seed and initialises as documented", async () => {
  const a = join(TMP, "det_a"), b = join(TMP, "det_b"), c = join(TMP, "det_c");
  const opts = { ...SMALL, tokenizer: "byte" as const };
  await makeCheckpoint(a, { ...opts, seed: 11 });
  await makeCheckpoint(b, { ...opts, seed: 11 });
  await makeCheckpoint(c, { ...opts, seed: 12 });
  const fa = await Deno.readFile(join(a, "model.safetensors"));
  assert.deepEqual(await Deno.readFile(join(b, "model.safetensors")), fa);
  assert.notDeepEqual(await Deno.readFile(join(c, "model.safetensors")), fa);
  const w = (await loadCheckpoint(a)).weights;
  assert.ok(w.get("model.norm.weight")!.data.every((x) => x === 1));
  assert.ok(w.get("model.layers.1.post_attention_layernorm.weight")!.data.every((x) => x === 1));
  for (const name of ["model.embed_tokens.weight", "model.layers.0.mlp.up_proj.weight"]) {
    const d = w.get(name)!.data;
    const mean = d.reduce((s, x) => s + x, 0) / d.length;
    const std = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / d.length);
    assert.ok(Math.abs(mean) < 0.002 && Math.abs(std - 0.02) < 0.002, `${name}: ${mean} ${std}`);
  }
  const bias = w.get("model.layers.0.self_attn.k_proj.bias")!.data;
  assert.ok(bias.some((x) => x !== 0), "biases must be non-zero so tests exercise them");
  // Each tensor has its own stream: the same tensor is equal in a 1-layer and a 2-layer model.
  const cfg = parseConfig(JSON.parse(await Deno.readTextFile(join(a, "config.json"))));
  const w1 = randomWeights({ ...cfg, numLayers: 1 }, { seed: 11 });
  assert.deepEqual(
    w1.get("model.layers.0.mlp.up_proj.weight")!.data,
    w.get("model.layers.0.mlp.up_proj.weight")!.data,
  );
  const noisy = randomWeights(cfg, { seed: 11, normStd: 0.1 }).get("model.norm.weight")!.data;
  assert.ok(noisy.some((x) => x !== 1));
});

Deno.test("makeCheckpoint() with the qwen tokenizer pads the vocabulary to 151936", async () => {
  const dir = join(TMP, "qwen_tok");
  const m = await makeCheckpoint(dir, {
    hidden: 8,
    layers: 1,
    heads: 2,
    kvHeads: 1,
    intermediate: 16,
    seed: 0,
    tokenizer: "qwen",
  });
  assert.equal(m.config.vocabSize, 151936);
  assert.equal(m.config.bosTokenId, 151643);
  assert.deepEqual(m.config.eosTokenIds, [151645]);
  const gen = JSON.parse(await Deno.readTextFile(join(dir, "generation_config.json")));
  assert.deepEqual(gen.eos_token_id, [151645, 151643]);
  assert.equal(gen.pad_token_id, 151643);
  const tc = JSON.parse(await Deno.readTextFile(join(dir, "tokenizer_config.json")));
  assert.equal(tc.eos_token, "<|im_end|>");
  assert.equal(tc.pad_token, "<|endoftext|>");
  assert.equal(Object.keys(tc.added_tokens_decoder).length, 22);
});

Deno.test("saveCheckpoint() copies tokenizer files and rejects weights that disagree with the config", async () => {
  const src = join(TMP, "save_src"), dst = join(TMP, "save_dst");
  const m = await makeCheckpoint(src, { ...SMALL, seed: 7, tokenizer: "byte" });
  await saveCheckpoint(dst, m.config, m.weights, { tokenizerFrom: src, dtype: "BF16" });
  assert.deepEqual(
    await Deno.readFile(join(dst, "tokenizer.json")),
    await Deno.readFile(join(src, "tokenizer.json")),
  );
  assert.equal((await loadCheckpoint(dst)).config.torchDtype, "bfloat16");
  const bad = new Map(m.weights);
  bad.set("model.norm.weight", { shape: [31], data: new Float32Array(31) });
  await assert.rejects(
    saveCheckpoint(join(TMP, "save_bad"), m.config, bad),
    /tensor "model\.norm\.weight" has shape \[31\].*implies \[32\]/,
  );
  const missing = new Map(m.weights);
  missing.delete("model.layers.1.mlp.gate_proj.weight");
  await assert.rejects(
    saveCheckpoint(join(TMP, "save_bad"), m.config, missing),
    /lack tensor "model\.layers\.1\.mlp\.gate_proj\.weight"/,
  );
});

Deno.test("tools/make_model.ts writes a loadable checkpoint and reports bad flags", async () => {
  const dir = join(TMP, "cli");
  const tool = new URL("../../tools/make_model.ts", import.meta.url).pathname;
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", tool, ...args],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
  const ok = await run([
    "--out",
    dir,
    "--hidden",
    "16",
    "--layers",
    "1",
    "--heads",
    "4",
    "--kv-heads",
    "2",
    "--intermediate",
    "24",
    "--tokenizer",
    "byte",
    "--seed",
    "1",
    "--untied",
  ]);
  assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
  assert.match(new TextDecoder().decode(ok.stdout), /wrote .* parameters/);
  const ck = await loadCheckpoint(dir);
  assert.equal(ck.config.numKvHeads, 2);
  assert.ok(ck.weights.has("lm_head.weight"));
  const bad = await run(["--out", join(TMP, "cli_bad"), "--hidden", "16", "--layers", "1"]);
  assert.equal(bad.code, 2, "a missing flag is a usage error");
  assert.match(new TextDecoder().decode(bad.stderr), /heads: required/);
});
