import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import { generate } from "../../lib/model/generate.ts";
import { sequenceLogprobs } from "../../lib/model/logprob.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import { sampleToken, topLogprobs } from "../../lib/model/sampling.ts";
import { Rng } from "../../lib/util/rng.ts";
import { randomWeights, tinyConfig } from "./qwen2_naive.ts";

async function tiny(seed = 2, backend: "wasm" | "fast" = "wasm"): Promise<Qwen2Model> {
  await initBackend(backend);
  const cfg = tinyConfig({ tieWordEmbeddings: true, eosTokenIds: [1] });
  return Qwen2Model.fromWeights(cfg, randomWeights(cfg, seed, 0.5));
}

const PROMPTS = [[3, 4, 5, 6], [7], [9, 10, 11]];

Deno.test("generate() on the fast backend samples what the stock wasm backend samples", async () => {
  const opts = { maxNewTokens: 5, temperature: 1, seed: 7, stopTokenIds: [] };
  const runs = [];
  for (const backend of ["wasm", "fast"] as const) {
    const model = await tiny(3, backend);
    runs.push(await generate(model, PROMPTS, opts));
    model.dispose();
  }
  const [stock, fast] = runs;
  assert.deepEqual(fast.tokens, stock.tokens);
  for (let r = 0; r < PROMPTS.length; r++) {
    assert.equal(fast.tokens[r].length, 5);
    fast.logprobs[r].forEach((lp, j) =>
      assert.ok(Math.abs(lp - stock.logprobs[r][j]) < 1e-4, `row ${r} step ${j}`)
    );
  }
});

Deno.test("generate() greedy picks the argmax of the full forward at every step", async () => {
  const model = await tiny();
  const out = await generate(model, PROMPTS, {
    maxNewTokens: 6,
    temperature: 0,
    seed: 0,
    stopTokenIds: [],
  });
  for (let r = 0; r < PROMPTS.length; r++) {
    assert.equal(out.tokens[r].length, 6);
    assert.equal(out.finishReason[r], "length");
    const seq = [...PROMPTS[r], ...out.tokens[r]];
    const logits = model.forward([seq]);
    const rows = logits.arraySync()[0];
    for (let j = 0; j < 6; j++) {
      const row = rows[PROMPTS[r].length - 1 + j];
      assert.equal(out.tokens[r][j], row.indexOf(Math.max(...row)), `row ${r} step ${j}`);
      assert.equal(out.samplingLogprobs[r][j], 0);
    }
    logits.dispose();
  }
  model.dispose();
});

Deno.test("generate() logprobs equal teacher-forced sequenceLogprobs at temperature 1", async () => {
  const model = await tiny();
  // Rows stop at different steps, so finished rows are dropped from the cache mid-way.
  const out = await generate(model, PROMPTS, {
    maxNewTokens: 8,
    temperature: 1.3,
    topK: 20,
    seed: 5,
    stopTokenIds: [0, 7, 14, 21, 28, 35],
  });
  assert.ok(
    new Set(out.tokens.map((t) => t.length)).size >= 2,
    "rows should end at different steps",
  );
  const s = sequenceLogprobs(model, PROMPTS, out.tokens);
  const lp = s.logprobs.arraySync();
  for (let r = 0; r < PROMPTS.length; r++) {
    out.logprobs[r].forEach((x, j) =>
      assert.ok(Math.abs(x - lp[r][j]) < 1e-4, `row ${r} tok ${j}: ${x} vs ${lp[r][j]}`)
    );
    // With T ≠ 1 and top-k, the sampling log-prob differs from the model's.
    assert.ok(out.samplingLogprobs[r].some((x, j) => Math.abs(x - out.logprobs[r][j]) > 1e-3));
  }
  tf.dispose([s.logprobs, s.mask]);
  model.dispose();
});

Deno.test("generate() is deterministic by seed and independent of batch composition", async () => {
  const model = await tiny();
  const opts = { maxNewTokens: 10, temperature: 1, seed: 42, stopTokenIds: [] };
  const a = await generate(model, PROMPTS, opts);
  const b = await generate(model, PROMPTS, opts);
  const c = await generate(model, PROMPTS, { ...opts, seed: 43 });
  assert.deepEqual(a.tokens, b.tokens);
  assert.deepEqual(a.logprobs, b.logprobs);
  assert.notDeepEqual(a.tokens, c.tokens);
  // Row 2 alone with the seed it had in the batch gives the same tokens.
  const alone = await generate(model, [PROMPTS[2]], { ...opts, rowSeeds: [42 + 1000] });
  const inBatch = await generate(model, [PROMPTS[0], PROMPTS[2]], {
    ...opts,
    rowSeeds: [7, 42 + 1000],
  });
  assert.deepEqual(alone.tokens[0], inBatch.tokens[1]);
  alone.logprobs[0].forEach((x, j) => assert.ok(Math.abs(x - inBatch.logprobs[1][j]) < 1e-4));
  model.dispose();
});

Deno.test("generate() shares repeated prompts and prefixes yet samples every row from its own stream", async () => {
  const model = await tiny();
  // a small vocabulary at temperature 2: rows with one prompt agree on some tokens, then split
  const opts = { maxNewTokens: 6, temperature: 2, seed: 5, stopTokenIds: [1] };
  const prompts = [PROMPTS[0], PROMPTS[1], PROMPTS[0], PROMPTS[0], PROMPTS[1], PROMPTS[0]];
  const seeds = [11, 12, 13, 14, 15, 11];
  const shared = await generate(model, prompts, { ...opts, rowSeeds: seeds });
  for (let r = 0; r < prompts.length; r++) {
    const alone = await generate(model, [prompts[r]], { ...opts, rowSeeds: [seeds[r]] });
    assert.deepEqual(shared.tokens[r], alone.tokens[0], `row ${r}`);
    assert.equal(shared.finishReason[r], alone.finishReason[0]);
    alone.logprobs[0].forEach((x, j) =>
      assert.ok(Math.abs(x - shared.logprobs[r][j]) < 1e-4, `row ${r} token ${j}`)
    );
  }
  // same prompt and seed: same row; same prompt, other seeds: the rows differ somewhere
  assert.deepEqual(shared.tokens[5], shared.tokens[0]);
  assert.ok(new Set([0, 2, 3].map((r) => shared.tokens[r].join())).size > 1);
  model.dispose();
});

Deno.test("generate() stops rows at stop tokens and freezes them", async () => {
  const model = await tiny();
  // Stop on a third of the vocabulary so rows end at different steps.
  const stopTokenIds = Array.from({ length: 12 }, (_, i) => 3 * i);
  const out = await generate(model, PROMPTS, {
    maxNewTokens: 12,
    temperature: 1,
    seed: 3,
    stopTokenIds,
  });
  let stopped = 0;
  for (let r = 0; r < PROMPTS.length; r++) {
    const t = out.tokens[r];
    assert.equal(out.logprobs[r].length, t.length);
    if (out.finishReason[r] === "stop") {
      stopped++;
      assert.ok(stopTokenIds.includes(t[t.length - 1]));
      assert.ok(t.slice(0, -1).every((x) => !stopTokenIds.includes(x)));
    } else {
      assert.equal(t.length, 12);
      assert.ok(t.every((x) => !stopTokenIds.includes(x)));
    }
  }
  assert.ok(stopped >= 2, `only ${stopped} rows stopped`);
  assert.ok(
    new Set(out.tokens.map((t) => t.length)).size >= 2,
    "rows should stop at different lengths",
  );
  model.dispose();
});

Deno.test("generate() leaks no tensors across calls", async () => {
  const model = await tiny();
  await generate(model, PROMPTS, { maxNewTokens: 4, temperature: 1, seed: 1 });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    await generate(model, PROMPTS, {
      maxNewTokens: 6,
      temperature: 0.7,
      topP: 0.9,
      seed: i,
      stopTokenIds: [2, 5],
    });
  }
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

Deno.test("sampleToken() follows softmax(logits / T) and reports both log-probs", () => {
  const logits = new Float32Array([1, 0, -1, 2]);
  const T = 0.8, rng = new Rng(9), n = 40000;
  const w = Array.from(logits, (x) => Math.exp(x / T));
  const z = w.reduce((a, b) => a + b, 0);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) counts[sampleToken(logits, { temperature: T }, rng).token]++;
  counts.forEach((c, i) =>
    assert.ok(Math.abs(c / n - w[i] / z) < 0.01, `token ${i}: ${c / n} vs ${w[i] / z}`)
  );
  const s = sampleToken(logits, { temperature: T }, new Rng(1));
  const lse1 = Math.log(Array.from(logits).reduce((a, x) => a + Math.exp(x), 0));
  assert.ok(Math.abs(s.logprob - (logits[s.token] - lse1)) < 1e-9);
  assert.ok(Math.abs(s.samplingLogprob - Math.log(w[s.token] / z)) < 1e-9);
});

Deno.test("sampleToken() top-k and top-p keep exactly the expected tokens", () => {
  // probabilities ∝ [0.4, 0.3, 0.2, 0.1]
  const logits = new Float32Array([0.4, 0.3, 0.2, 0.1].map(Math.log));
  const seen = (o: { topK?: number; topP?: number }) => {
    const rng = new Rng(4), s = new Set<number>();
    for (let i = 0; i < 2000; i++) s.add(sampleToken(logits, { temperature: 1, ...o }, rng).token);
    return [...s].sort();
  };
  assert.deepEqual(seen({ topK: 2 }), [0, 1]);
  assert.deepEqual(seen({ topP: 0.65 }), [0, 1]);
  assert.deepEqual(seen({ topP: 0.75 }), [0, 1, 2]);
  assert.deepEqual(seen({ topP: 0.1 }), [0]);
  assert.deepEqual(seen({ topK: 3, topP: 1 }), [0, 1, 2]);
  const s = sampleToken(logits, { temperature: 1, topK: 2 }, new Rng(0));
  assert.ok(Math.abs(s.samplingLogprob - Math.log((s.token === 0 ? 0.4 : 0.3) / 0.7)) < 1e-6);
  assert.throws(
    () => sampleToken(logits, { temperature: -1 }, new Rng(0)) && undefined,
    /temperature/,
  );
});

Deno.test("sampleToken() top-k keeps exactly the k largest logits on a large vocabulary", () => {
  const r = new Rng(12);
  // Rounded logits create ties; the 7th largest value is duplicated on purpose.
  const logits = Float32Array.from({ length: 1000 }, () => Math.round(r.normal() * 20) / 10);
  const sorted = Array.from(logits).sort((a, b) => b - a);
  const thr = sorted[6];
  const want = [...logits.keys()].filter((i) => logits[i] >= thr).sort((a, b) => a - b);
  const seen = new Set<number>();
  for (let i = 0; i < 4000; i++) {
    seen.add(sampleToken(logits, { temperature: 50, topK: 7 }, r).token);
  }
  assert.deepEqual([...seen].sort((a, b) => a - b), want);
});

Deno.test("topLogprobs() lists the k most likely ids with log-softmax values, ties by lower id", () => {
  // Softmax of [ln 1, ln 3, ln 1, ln 5] = [1, 3, 1, 5] / 10.
  const top = topLogprobs(new Float32Array([0, Math.log(3), 0, Math.log(5)]), 3);
  assert.deepEqual(top.map((t) => t.token), [3, 1, 0]);
  [0.5, 0.3, 0.1].forEach((p, i) => assert.ok(Math.abs(top[i].logprob - Math.log(p)) < 1e-6));
  assert.equal(topLogprobs(new Float32Array([1, 2]), 20).length, 2);
});

Deno.test("generate() returns top alternatives and lets onToken end a row early", async () => {
  const model = await tiny();
  const seen: number[][] = PROMPTS.map(() => []);
  const out = await generate(model, PROMPTS, {
    maxNewTokens: 6,
    temperature: 1,
    seed: 4,
    stopTokenIds: [],
    topLogprobs: 4,
    onToken: (row, t) => {
      seen[row].push(t.token);
      return row === 1 && seen[row].length === 2; // row 1 leaves after two tokens
    },
  });
  assert.deepEqual(seen, out.tokens);
  assert.deepEqual(out.tokens.map((t) => t.length), [6, 2, 6]);
  assert.deepEqual(out.finishReason, ["length", "stop", "length"]);
  out.topLogprobs!.forEach((row, r) =>
    row.forEach((top, j) => {
      assert.equal(top.length, 4);
      // The sampled token's log-prob is at most the best alternative's.
      assert.ok(out.logprobs[r][j] <= top[0].logprob + 1e-6);
      const hit = top.find((a) => a.token === out.tokens[r][j]);
      if (hit) assert.ok(Math.abs(hit.logprob - out.logprobs[r][j]) < 1e-5);
    })
  );
  // The other rows sample exactly what they sample without the early exit.
  const plain = await generate(model, PROMPTS, {
    maxNewTokens: 6,
    temperature: 1,
    seed: 4,
    stopTokenIds: [],
  });
  assert.deepEqual(out.tokens[0], plain.tokens[0]);
  assert.deepEqual(out.tokens[2], plain.tokens[2]);
  model.dispose();
});
