import assert from "node:assert/strict";
import { join } from "node:path";
import { parseConfig, type Qwen2Config, toHfConfig } from "../../lib/model/config.ts";
import {
  expectedTensorShapes,
  INDEX_FILE,
  inspectCheckpoint,
  loadCheckpoint,
} from "../../lib/model/checkpoint.ts";
import { makeCheckpoint } from "../../lib/model/make_model.ts";

const TMP = await Deno.makeTempDir({ prefix: "checkpoint_errors_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

const SMALL = { hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 48 } as const;

async function rejects(p: Promise<unknown>, ...parts: string[]) {
  await assert.rejects(p, (e: Error) => {
    for (const s of parts) assert.ok(e.message.includes(s), `"${e.message}" lacks "${s}"`);
    return true;
  });
}

/** A fresh small checkpoint to break. */
async function fresh(name: string, extra: { tie?: boolean; shardBytes?: number } = {}) {
  const dir = join(TMP, name);
  await makeCheckpoint(dir, { ...SMALL, seed: 1, tokenizer: "byte", ...extra });
  return dir;
}

async function editConfig(dir: string, edit: (c: Record<string, unknown>) => void) {
  const p = join(dir, "config.json");
  const c = JSON.parse(await Deno.readTextFile(p));
  edit(c);
  await Deno.writeTextFile(p, JSON.stringify(c));
}

Deno.test("parseConfig() names the file and field of each invalid value", () => {
  const base = toHfConfig(parseConfig({
    model_type: "qwen2",
    vocab_size: 300,
    hidden_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    intermediate_size: 128,
  }));
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ model_type: "llama" }, /cfg\.json: model_type is "llama", but only "qwen2"/],
    [{ model_type: undefined }, /model_type is undefined/],
    [{ hidden_size: undefined }, /cfg\.json: missing required field "hidden_size"/],
    [{ num_hidden_layers: 0 }, /field "num_hidden_layers" must be a positive integer, got 0/],
    [
      { intermediate_size: "128" },
      /field "intermediate_size" must be a positive integer, got "128"/,
    ],
    [
      { num_key_value_heads: 3 },
      /num_attention_heads \(4\) is not a multiple of num_key_value_heads \(3\)/,
    ],
    [{ hidden_size: 66 }, /hidden_size \(66\) is not a multiple of num_attention_heads \(4\)/],
    [{ rope_theta: -1 }, /field "rope_theta" must be a positive number/],
    [{ rope_scaling: { type: "yarn", factor: 4 } }, /rope_scaling .*yarn.* is not supported/],
    [{ use_sliding_window: true }, /sliding-window attention is not supported/],
    [{ hidden_act: "gelu" }, /hidden_act is "gelu"/],
    [{ tie_word_embeddings: "yes" }, /field "tie_word_embeddings" must be a boolean/],
    [{ eos_token_id: 300 }, /token id 300 is outside vocab_size 300/],
    [{ eos_token_id: [1, "x"] }, /field "eos_token_id" must be a token id or a list of ids/],
  ];
  for (const [patch, re] of cases) {
    assert.throws(() => parseConfig({ ...base, ...patch }, "cfg.json"), re, JSON.stringify(patch));
  }
  assert.throws(() => parseConfig([1], "cfg.json"), /cfg\.json: expected a JSON object/);
});

Deno.test("loadCheckpoint() reports a missing config.json or weights file with the path", async () => {
  const empty = join(TMP, "empty");
  await Deno.mkdir(empty);
  await rejects(loadCheckpoint(empty), join(empty, "config.json"), "not found");
  const dir = await fresh("noweights");
  await Deno.remove(join(dir, "model.safetensors"));
  await Deno.writeTextFile(join(dir, "pytorch_model.bin"), "");
  await rejects(loadCheckpoint(dir), dir, "no model.safetensors", ".bin weights are not supported");
});

Deno.test("loadCheckpoint() rejects an unsupported model_type naming config.json", async () => {
  const dir = await fresh("llama");
  await editConfig(dir, (c) => c.model_type = "llama");
  await rejects(loadCheckpoint(dir), join(dir, "config.json"), 'model_type is "llama"');
});

Deno.test("loadCheckpoint() names file and tensor when a shape disagrees with config.json", async () => {
  const dir = await fresh("shape");
  await editConfig(dir, (c) => c.intermediate_size = 40);
  await rejects(
    loadCheckpoint(dir),
    join(dir, "model.safetensors"),
    'tensor "model.layers.0.mlp.gate_proj.weight" has shape [48,32]',
    "implies [40,32]",
  );
});

Deno.test("loadCheckpoint() names a tensor the config needs but the files lack", async () => {
  const dir = await fresh("untie");
  await editConfig(dir, (c) => c.tie_word_embeddings = false);
  await rejects(
    loadCheckpoint(dir),
    dir,
    'tensor "lm_head.weight"',
    "is missing from model.safetensors",
  );
});

Deno.test("loadCheckpoint() names a stored tensor the config does not account for", async () => {
  const dir = await fresh("extra");
  await editConfig(dir, (c) => c.num_hidden_layers = 1);
  await rejects(
    loadCheckpoint(dir),
    join(dir, "model.safetensors"),
    'unexpected tensor "model.layers.1.',
    "1-layer",
  );
});

Deno.test("loadCheckpoint() reports broken shard indexes and truncated shards", async () => {
  const dir = await fresh("shards", { shardBytes: 12_000 });
  const idxPath = join(dir, INDEX_FILE);
  const idx = JSON.parse(await Deno.readTextFile(idxPath));
  const last = idx.weight_map["model.norm.weight"] as string;

  // A tensor listed under a shard that does not hold it.
  const first = idx.weight_map["model.embed_tokens.weight"] as string;
  await Deno.writeTextFile(
    idxPath,
    JSON.stringify({ ...idx, weight_map: { ...idx.weight_map, "model.norm.weight": first } }),
  );
  await rejects(loadCheckpoint(dir), join(dir, first), 'tensor "model.norm.weight" listed in');

  // A truncated shard.
  await Deno.writeTextFile(idxPath, JSON.stringify(idx));
  const shard = join(dir, last);
  const bytes = await Deno.readFile(shard);
  await Deno.writeFile(shard, bytes.subarray(0, bytes.length - 10));
  await rejects(loadCheckpoint(dir), shard, "model.norm.weight", "run past");

  // A missing shard.
  await Deno.remove(shard);
  await rejects(loadCheckpoint(dir), shard, "not found");

  // No weight_map at all.
  await Deno.writeTextFile(idxPath, JSON.stringify({ metadata: {} }));
  await rejects(loadCheckpoint(dir), idxPath, 'missing "weight_map"');
});

Deno.test("loadCheckpoint() enforces maxBytes from the headers before reading any data", async () => {
  // A sparse 12 GiB file whose header describes an untied Qwen2.5-7B-sized first layer: loading it
  // would take minutes and more memory than the test machine has, so a prompt error proves the
  // limit is checked before any tensor is read.
  const dir = join(TMP, "huge");
  await Deno.mkdir(dir);
  const cfg: Qwen2Config = {
    ...parseConfig({
      model_type: "qwen2",
      vocab_size: 152064,
      hidden_size: 3584,
      num_hidden_layers: 1,
      num_attention_heads: 28,
      num_key_value_heads: 4,
      intermediate_size: 18944,
      tie_word_embeddings: false,
      torch_dtype: "bfloat16",
    }),
  };
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(toHfConfig(cfg)));
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [name, shape] of expectedTensorShapes(cfg)) {
    const nb = shape.reduce((a, d) => a * d, 1) * 2;
    header[name] = { dtype: "BF16", shape, data_offsets: [off, off + nb] };
    off += nb;
  }
  const h = new TextEncoder().encode(JSON.stringify(header));
  const path = join(dir, "model.safetensors");
  const f = await Deno.open(path, { write: true, create: true });
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(h.length), true);
  await f.write(len);
  await f.write(h);
  f.close();
  await Deno.truncate(path, 8 + h.length + off); // sparse: no data blocks are written

  const info = await inspectCheckpoint(dir);
  const f32Bytes = off * 2;
  assert.ok(info.bytesNeeded >= f32Bytes, `${info.bytesNeeded} < ${f32Bytes}`);
  const need = (info.bytesNeeded / 2 ** 30).toPrecision(3);
  const t0 = performance.now();
  await rejects(
    loadCheckpoint(dir, { maxBytes: 2 ** 30 }),
    `model needs ${need} GiB`,
    "limit 1 GiB",
  );
  assert.ok(performance.now() - t0 < 5000, "the limit must be checked before reading data");
});
