import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import { inPlaceKvWrites, writeKvRows } from "../../lib/engine/ops_kvcache.ts";
import { KVCache } from "../../lib/model/kv_cache.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import { ensureNative, skip } from "../engine/_helpers.ts";
import { randomWeights, tinyConfig } from "./qwen2_naive.ts";

const nativeMissing = await ensureNative();

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * Decode `ids` token by token after a prompt of `prompt` tokens, dropping row 1 halfway, and
 * compare every step's logits with the full forward of the same rows. Returns the key buffer
 * lengths seen after each step (layer 0).
 */
function decodeMatchesFull(model: Qwen2Model, ids: number[][], prompt: number): number[] {
  const v = model.config.vocabSize, total = ids[0].length;
  const fullLogits = model.forward(ids);
  const full = fullLogits.arraySync();
  fullLogits.dispose();
  const cache = new KVCache(model.config.numLayers);
  let rows = ids.map((_, r) => r);
  const bufferLengths: number[] = [];
  const first = model.forward(ids.map((r) => r.slice(0, prompt)), { cache });
  first.dispose();
  for (let pos = prompt; pos < total; pos++) {
    if (pos === prompt + Math.floor((total - prompt) / 2)) {
      cache.select([0, 2]);
      rows = [0, 2];
    }
    const step = model.forward(rows.map((r) => [ids[r][pos]]), { cache });
    const got = step.arraySync();
    rows.forEach((r, i) => {
      const d = maxDiff(got[i][0], full[r][pos]);
      assert.ok(d < 1e-4, `row ${r} position ${pos}: max |diff| ${d}`);
    });
    assert.equal(got[0][0].length, v);
    step.dispose();
    bufferLengths.push(cache.keys[0]!.shape[1]);
    assert.equal(cache.length, pos + 1);
  }
  cache.dispose();
  return bufferLengths;
}

const IDS = [0, 1, 2].map((r) => Array.from({ length: 150 }, (_, j) => (r * 11 + j * 7 + 3) % 37));

Deno.test("KVCache grows in place on the fast backend and decodes exactly like the full forward", async () => {
  if (nativeMissing !== null) return skip("in-place KV cache", nativeMissing);
  await initBackend("fast");
  assert.ok(inPlaceKvWrites());
  const cfg = tinyConfig({ numKvHeads: 2 });
  const model = Qwen2Model.fromWeights(cfg, randomWeights(cfg, 21));
  const before = tf.memory().numTensors;
  const lengths = decodeMatchesFull(model, IDS, 7);
  // Spare capacity from the start (7 + 64), doubled when it ran out, never one concat per step.
  assert.equal(lengths[0], 71);
  assert.ok(lengths.includes(142), `capacities seen: ${[...new Set(lengths)]}`);
  assert.ok(new Set(lengths).size <= 3, `capacities seen: ${[...new Set(lengths)]}`);
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

Deno.test("KVCache concatenates exactly on the stock wasm backend", async () => {
  await initBackend("wasm");
  assert.equal(inPlaceKvWrites(), false);
  const cfg = tinyConfig();
  const model = Qwen2Model.fromWeights(cfg, randomWeights(cfg, 21));
  const lengths = decodeMatchesFull(model, IDS.map((r) => r.slice(0, 40)), 5);
  assert.deepEqual(lengths, Array.from({ length: 35 }, (_, i) => 6 + i));
  model.dispose();
});

Deno.test("KVCache concatenates while a gradient is recorded, even on the fast backend", async () => {
  if (nativeMissing !== null) return skip("in-place KV cache", nativeMissing);
  await initBackend("fast");
  const cfg = tinyConfig();
  const model = Qwen2Model.fromWeights(cfg, randomWeights(cfg, 2));
  const cache = new KVCache(cfg.numLayers);
  model.forward([[1, 2, 3]], { cache }).dispose(); // in place: spare capacity
  assert.equal(cache.keys[0]!.shape[1], 3 + 64);
  const x = tf.scalar(1);
  const g = tf.grad((s: tf.Tensor) => {
    assert.equal(inPlaceKvWrites(), false);
    return tf.mul(tf.sum(model.forward([[4]], { cache })), s);
  })(x);
  assert.equal(cache.keys[0]!.shape[1], 4, "the recorded step concatenated the used positions");
  assert.ok(Number.isFinite(g.dataSync()[0]));
  tf.dispose([x, g]);
  cache.dispose();
  model.dispose();
});

Deno.test("writeKvRows() refuses out-of-range writes and shared buffers", async () => {
  await initBackend("wasm");
  const dst = tf.zeros([2, 4, 3]) as tf.Tensor3D, src = tf.ones([2, 2, 3]) as tf.Tensor3D;
  assert.throws(() => writeKvRows(dst, src, 3), /cannot write 2 positions of \[2,2,3\] at 3/);
  writeKvRows(dst, src, 1);
  assert.deepEqual(Array.from(dst.dataSync()), [
    ...[0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0],
    ...[0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0],
  ]);
  const alias = tf.reshape(dst, [8, 3]);
  assert.throws(() => writeKvRows(dst, src, 0), /shared/);
  tf.dispose([dst, src, alias]);
});
