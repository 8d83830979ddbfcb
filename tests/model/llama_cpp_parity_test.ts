/**
 * Qwen2Model.forward against llama.cpp as an independent reference: tiny synthetic checkpoints
 * with the real Qwen vocabulary are exported to GGUF and both engines compute the next-token
 * distribution at every position of a ChatML prompt. Deliberately wrong exports (RoPE theta,
 * GQA grouping) must disagree, which shows the comparison can fail.
 */
import assert from "node:assert/strict";
import { initBackend } from "../../lib/engine/backend.ts";
import type { Qwen2Config } from "../../lib/model/config.ts";
import { type HfWeight, writeGguf } from "../../lib/model/gguf.ts";
import { KVCache } from "../../lib/model/kv_cache.ts";
import { makeCheckpoint, type MakeModelOptions } from "../../lib/model/make_model.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import { Tokenizer } from "../../lib/model/tokenizer.ts";
import { disposeLlamaCpp, llamaCppUnavailable, openLlamaRef } from "./_llama_ref.ts";

const unavailable = await llamaCppUnavailable();
if (unavailable) console.log(`llama.cpp parity tests skipped: ${unavailable}`);

/** Agreement required of a correct implementation (llama.cpp runs in F32 here). */
const MAX_ABS_PROB_DIFF = 1e-3;

/** Large init scales make attention and next-token distributions peaky, so errors show. */
const BASE: Omit<MakeModelOptions, "hidden" | "heads" | "kvHeads" | "intermediate" | "seed"> = {
  layers: 2,
  tokenizer: "qwen",
  initStd: Number(Deno.env.get("STD") ?? 0.6),
  normStd: 0.2,
};

const MESSAGES = [
  { role: "system" as const, content: "You play FrozenLake." },
  { role: "user" as const, content: "SFFF\nFHFH\nMove? Vite, 東京 🎉" },
];

/** Row-wise softmax of `[T, V]` logits in float64. */
function _softmaxRows(logits: Float32Array, t: number, v: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let i = 0; i < t; i++) {
    const row = logits.subarray(i * v, (i + 1) * v);
    let m = -Infinity;
    for (const x of row) if (x > m) m = x;
    const p = new Float64Array(v);
    let z = 0;
    for (let j = 0; j < v; j++) z += p[j] = Math.exp(row[j] - m);
    for (let j = 0; j < v; j++) p[j] /= z;
    out.push(p);
  }
  return out;
}

function _argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < p.length; j++) if (p[j] > p[best]) best = j;
  return best;
}

/** Largest absolute probability difference, argmax agreement and mean top-1 probability. */
interface Comparison {
  maxAbsDiff: number;
  argmaxAgree: number;
  positions: number;
  meanTop1: number;
}

function _compare(ours: Float64Array[], ref: Float32Array[]): Comparison {
  assert.equal(ours.length, ref.length);
  let maxAbsDiff = 0, argmaxAgree = 0, top1 = 0;
  for (let i = 0; i < ours.length; i++) {
    assert.equal(ref[i].length, ours[i].length, "vocabulary sizes differ");
    for (let j = 0; j < ours[i].length; j++) {
      const d = Math.abs(ours[i][j] - ref[i][j]);
      if (d > maxAbsDiff) maxAbsDiff = d;
    }
    const a = _argmax(ours[i]);
    if (a === _argmax(ref[i])) argmaxAgree++;
    top1 += ours[i][a];
  }
  return { maxAbsDiff, argmaxAgree, positions: ours.length, meanTop1: top1 / ours.length };
}

/** Like {@link _compare} when the reference gives only its top token and probability per position. */
function _compareTop(ours: Float64Array[], ref: { token: number; prob: number }[]): Comparison {
  assert.equal(ours.length, ref.length);
  let maxAbsDiff = 0, argmaxAgree = 0, top1 = 0;
  ours.forEach((p, i) => {
    const a = _argmax(p);
    if (a === ref[i].token) argmaxAgree++;
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(p[ref[i].token] - ref[i].prob));
    top1 += p[a];
  });
  return { maxAbsDiff, argmaxAgree, positions: ours.length, meanTop1: top1 / ours.length };
}

/** Our next-token distributions for one sequence, all positions in one forward pass. */
function _ourProbs(model: Qwen2Model, ids: number[]): Float64Array[] {
  const logits = model.forward([ids]);
  try {
    return _softmaxRows(logits.dataSync() as Float32Array, ids.length, model.config.vocabSize);
  } finally {
    logits.dispose();
  }
}

/** Same, but a prefix in one call and then one token per call through a KV cache. */
function _ourProbsIncremental(model: Qwen2Model, ids: number[], prefix: number): Float64Array[] {
  const cache = new KVCache(model.config.numLayers);
  const v = model.config.vocabSize;
  const out: Float64Array[] = [];
  try {
    const chunks = [ids.slice(0, prefix), ...ids.slice(prefix).map((id) => [id])];
    for (const chunk of chunks) {
      const logits = model.forward([chunk], { cache });
      out.push(..._softmaxRows(logits.dataSync() as Float32Array, chunk.length, v));
      logits.dispose();
    }
    return out;
  } finally {
    cache.dispose();
  }
}

/**
 * Query-head orders for {@link _permuteQueryHeads}. `interleaved`: llama.cpp's consecutive GQA
 * groups then realise the interleaved mapping (original head h reads kv head h % kv), the classic
 * tile-instead-of-repeat bug. `withinGroups`: heads reversed inside each group, a no-op for the
 * model's function (the control that shows the permutation itself is sound).
 */
function _headOrder(c: Qwen2Config, kind: "interleaved" | "withinGroups"): number[] {
  const rep = c.numHeads / c.numKvHeads, order: number[] = [];
  for (let g = 0; g < c.numKvHeads; g++) {
    for (let r = 0; r < rep; r++) {
      order.push(kind === "interleaved" ? g + r * c.numKvHeads : g * rep + (rep - 1 - r));
    }
  }
  return order;
}

/** Reorder query heads (q_proj rows, q bias, o_proj columns): new head n ← original order[n]. */
function _permuteQueryHeads(
  c: Qwen2Config,
  w: Map<string, HfWeight>,
  order: number[],
): Map<string, HfWeight> {
  const d = c.headDim;
  const out = new Map(w);
  for (let l = 0; l < c.numLayers; l++) {
    const p = `model.layers.${l}.self_attn.`;
    for (const name of [`${p}q_proj.weight`, `${p}q_proj.bias`]) {
      const src = w.get(name)!, block = src.data.length / c.numHeads;
      const data = new Float32Array(src.data.length);
      order.forEach((h, n) => data.set(src.data.subarray(h * block, (h + 1) * block), n * block));
      out.set(name, { shape: src.shape, data });
    }
    const o = w.get(`${p}o_proj.weight`)!, [rows, inner] = o.shape;
    const data = new Float32Array(o.data.length);
    for (let r = 0; r < rows; r++) {
      order.forEach((h, n) => {
        for (let k = 0; k < d; k++) data[r * inner + n * d + k] = o.data[r * inner + h * d + k];
      });
    }
    out.set(`${p}o_proj.weight`, { shape: o.shape, data });
  }
  return out;
}

Deno.test({
  name: "Qwen2Model.forward() matches llama.cpp next-token distributions on a ChatML prompt",
  ignore: unavailable !== undefined,
  async fn(t) {
    await initBackend("wasm");
    const root = await Deno.makeTempDir({ prefix: "llama_parity_" });
    const models: Qwen2Model[] = [];
    try {
      /** Build a checkpoint, its GGUF and our model; return the prompt ids and both engines' output. */
      const setup = async (name: string, opts: Partial<MakeModelOptions>) => {
        const dir = `${root}/${name}`;
        const made = await makeCheckpoint(dir, { ...BASE, ...opts } as MakeModelOptions);
        const gguf = `${dir}/model.gguf`;
        await writeGguf(gguf, made.config, made.weights, dir);
        // llama.cpp scores every embedding row, the padding rows past the tokenizer included.
        const model = await Qwen2Model.load(dir, {
          trainable: false,
          outputVocab: made.config.vocabSize,
        });
        models.push(model);
        const tok = await Tokenizer.load(dir);
        const ids = tok.encodeChat(MESSAGES, { addGenerationPrompt: true });
        assert.ok(ids.length >= 20, `prompt has only ${ids.length} tokens`);
        const ref = await openLlamaRef(gguf);
        try {
          assert.deepEqual(
            ref.tokenize(tok.applyChatTemplate(MESSAGES, { addGenerationPrompt: true }), true),
            ids,
          );
          const refProbs = await ref.nextTokenProbs(ids);
          return { dir, made, model, ids, refProbs };
        } finally {
          await ref.dispose();
        }
      };
      const llamaTop = async (path: string, ids: number[]) => {
        const ref = await openLlamaRef(path);
        try {
          return await ref.nextTokenTop(ids);
        } finally {
          await ref.dispose();
        }
      };
      const assertAgrees = (label: string, c: Comparison) => {
        console.log(`${label}: ${JSON.stringify(c)}`);
        assert.ok(c.meanTop1 > 0.2, `${label}: distributions too flat for a meaningful argmax`);
        assert.ok(c.maxAbsDiff <= MAX_ABS_PROB_DIFF, `${label}: max |Δp| = ${c.maxAbsDiff}`);
        assert.equal(c.argmaxAgree, c.positions, `${label}: argmax differs`);
      };

      const assertDisagrees = (label: string, c: Comparison) => {
        console.log(`${label}: ${JSON.stringify(c)}`);
        assert.ok(c.maxAbsDiff > 0.05, `${label}: max |Δp| only ${c.maxAbsDiff}`);
        assert.ok(
          c.argmaxAgree < c.positions * 0.75,
          `${label}: argmax agrees at ${c.argmaxAgree}`,
        );
      };

      const tied = await setup("tied", {
        hidden: 64,
        heads: 4,
        kvHeads: 2,
        intermediate: 128,
        seed: 1,
      });
      const tiedOurs = _ourProbs(tied.model, tied.ids);

      await t.step("tied embeddings, 4 query heads on 2 kv heads, head dim 16", () => {
        assert.equal(tied.made.config.tieWordEmbeddings, true);
        assertAgrees("tied", _compare(tiedOurs, tied.refProbs));
      });

      await t.step("untied LM head, 8 query heads on 2 kv heads, head dim 8", async () => {
        const u = await setup("untied", {
          hidden: 64,
          heads: 8,
          kvHeads: 2,
          intermediate: 96,
          seed: 2,
          tie: false,
        });
        assert.equal(u.made.config.tieWordEmbeddings, false);
        assertAgrees("untied", _compare(_ourProbs(u.model, u.ids), u.refProbs));
      });

      await t.step("incremental decoding through the KV cache agrees as well", () => {
        const inc = _ourProbsIncremental(tied.model, tied.ids, 7);
        assertAgrees("kv-cache", _compare(inc, tied.refProbs));
      });

      await t.step("a GGUF with the wrong RoPE theta disagrees", async () => {
        const path = `${tied.dir}/wrong_theta.gguf`;
        const config = { ...tied.made.config, ropeTheta: 1e4 };
        await writeGguf(path, config, tied.made.weights, tied.dir);
        assertDisagrees("wrong theta", _compareTop(tiedOurs, await llamaTop(path, tied.ids)));
      });

      await t.step(
        "a GGUF with query heads reordered inside their groups still agrees",
        async () => {
          const path = `${tied.dir}/regrouped.gguf`;
          const order = _headOrder(tied.made.config, "withinGroups");
          assert.notDeepEqual(order, [...order].sort((a, b) => a - b));
          const weights = _permuteQueryHeads(tied.made.config, tied.made.weights, order);
          await writeGguf(path, tied.made.config, weights, tied.dir);
          const c = _compareTop(tiedOurs, await llamaTop(path, tied.ids));
          console.log(`heads reordered within groups: ${JSON.stringify(c)}`);
          assert.ok(c.maxAbsDiff <= MAX_ABS_PROB_DIFF, `max |Δp| = ${c.maxAbsDiff}`);
          assert.equal(c.argmaxAgree, c.positions);
        },
      );

      await t.step("a GGUF with interleaved GQA groups disagrees", async () => {
        const path = `${tied.dir}/wrong_gqa.gguf`;
        const order = _headOrder(tied.made.config, "interleaved");
        const weights = _permuteQueryHeads(tied.made.config, tied.made.weights, order);
        await writeGguf(path, tied.made.config, weights, tied.dir);
        assertDisagrees("interleaved GQA", _compareTop(tiedOurs, await llamaTop(path, tied.ids)));
      });
    } finally {
      for (const m of models) m.dispose();
      await disposeLlamaCpp();
      await Deno.remove(root, { recursive: true });
    }
  },
});
