import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import { KVCache } from "../../lib/model/kv_cache.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import { naiveForward, randomWeights, tinyConfig } from "./qwen2_naive.ts";

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const CASES = [
  { name: "GQA ratio 2, untied", over: { numHeads: 4, numKvHeads: 2, tieWordEmbeddings: false } },
  { name: "GQA ratio 1, tied", over: { numHeads: 4, numKvHeads: 4, tieWordEmbeddings: true } },
  { name: "GQA ratio 2, tied", over: { numHeads: 4, numKvHeads: 2, tieWordEmbeddings: true } },
  { name: "GQA ratio 4, untied, theta 1e6", over: { numHeads: 4, numKvHeads: 1, ropeTheta: 1e6 } },
];

for (const backend of ["wasm", "cpu", "fast"] as const) {
  for (const cs of CASES) {
    Deno.test(`Qwen2Model.forward() matches the naive reference (${cs.name}, ${backend})`, async () => {
      await initBackend(backend);
      const cfg = tinyConfig(cs.over);
      const w = randomWeights(cfg, 11);
      const model = Qwen2Model.fromWeights(cfg, w);
      const ids = [3, 17, 5, 0, 36, 12, 12, 9];
      const ref = naiveForward(cfg, w, ids);
      const logits = model.forward([ids]);
      assert.deepEqual(logits.shape, [1, ids.length, cfg.vocabSize]);
      const got = logits.dataSync();
      const d = maxDiff(got, ref.flatMap((r) => Array.from(r)));
      assert.ok(d < 1e-4, `max |diff| ${d}`);
      // The reference itself must be sensitive: logits vary across positions.
      assert.ok(maxDiff(ref[0], ref[1]) > 1e-2);
      logits.dispose();
      model.dispose();
    });
  }
}

for (const backend of ["wasm", "fast"] as const) {
  Deno.test(`Qwen2Model.forward() with a KV cache, token by token, equals the full forward (${backend})`, async () => {
    await initBackend(backend);
    const cfg = tinyConfig();
    const model = Qwen2Model.fromWeights(cfg, randomWeights(cfg, 5));
    const ids = [[4, 8, 15, 16, 23, 2], [1, 2, 3, 4, 5, 6]];
    const full = model.forward(ids);
    const fullData = full.dataSync();
    const cache = new KVCache(cfg.numLayers);
    const before = tf.memory().numTensors;
    // Prefill 3 tokens, then 1, then 2.
    const chunks = [[0, 3], [3, 4], [4, 6]];
    for (const [a, b] of chunks) {
      const part = model.forward(ids.map((r) => r.slice(a, b)), { cache });
      const want = tf.slice(full, [0, a, 0], [2, b - a, cfg.vocabSize]);
      assert.ok(maxDiff(part.dataSync(), want.dataSync()) < 1e-4);
      tf.dispose([part, want]);
    }
    assert.equal(cache.length, 6);
    assert.deepEqual(cache.nextPos, [6, 6]);
    assert.equal(tf.memory().numTensors - before, 2 * cfg.numLayers);
    cache.dispose();
    assert.equal(tf.memory().numTensors, before);
    full.dispose();
    model.dispose();
    void fullData;
  });
}

for (const backend of ["wasm", "fast"] as const) {
  Deno.test(`Qwen2Model.forward() on a left-padded batch equals unpadded single runs (${backend})`, async () => {
    await initBackend(backend);
    const cfg = tinyConfig({ tieWordEmbeddings: true });
    const model = Qwen2Model.fromWeights(cfg, randomWeights(cfg, 9));
    const rows = [[5, 6, 7, 8, 9], [10, 11], [30, 31, 32]];
    const T = 5;
    const ids = rows.map((r) => [...new Array(T - r.length).fill(0), ...r]);
    const mask = rows.map((r) => [...new Array(T - r.length).fill(0), ...r.map(() => 1)]);
    const cache = new KVCache(cfg.numLayers);
    const batch = model.forward(ids, { attentionMask: mask, cache });
    const bd = batch.arraySync();
    // Continue every row by one token through the cache.
    const next = [[3], [4], [5]];
    const step = model.forward(next, { cache });
    const sd = step.arraySync();
    for (let r = 0; r < rows.length; r++) {
      const single = model.forward([[...rows[r], next[r][0]]]);
      const s = single.arraySync()[0];
      for (let j = 0; j < rows[r].length; j++) {
        assert.ok(maxDiff(bd[r][T - rows[r].length + j], s[j]) < 1e-4, `row ${r} pos ${j}`);
      }
      assert.ok(maxDiff(sd[r][0], s[rows[r].length]) < 1e-4, `row ${r} continuation`);
      single.dispose();
    }
    assert.deepEqual(cache.nextPos, [6, 3, 4]);
    tf.dispose([batch, step]);
    cache.dispose();
    model.dispose();
  });
}

Deno.test("Qwen2Model.toWeights() round-trips fromWeights() exactly", async () => {
  await initBackend("wasm");
  for (const tie of [true, false]) {
    const cfg = tinyConfig({ tieWordEmbeddings: tie });
    const w = randomWeights(cfg, 3);
    const model = Qwen2Model.fromWeights(cfg, w);
    const back = await model.toWeights();
    assert.deepEqual([...back.keys()].sort(), [...w.keys()].sort());
    for (const [name, t] of w) {
      assert.deepEqual(back.get(name)!.shape, t.shape, name);
      assert.deepEqual(back.get(name)!.data, t.data, name);
    }
    model.dispose();
  }
});

Deno.test("Qwen2Model.fromWeights() names the tensor with a wrong shape", async () => {
  await initBackend("cpu");
  const cfg = tinyConfig();
  const w = randomWeights(cfg, 3);
  w.set("model.layers.1.mlp.up_proj.weight", { shape: [3, 3], data: new Float32Array(9) });
  const before = tf.memory().numTensors;
  assert.throws(() => Qwen2Model.fromWeights(cfg, w), /model\.layers\.1\.mlp\.up_proj\.weight/);
  assert.equal(tf.memory().numTensors, before);
  assert.throws(
    () => Qwen2Model.fromWeights(cfg, new Map()),
    /missing tensor "model\.embed_tokens\.weight"/,
  );
});
