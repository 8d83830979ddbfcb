import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import {
  nextTokenLoss,
  rowEntropy,
  sequenceLogprobs,
  targetLogprobs,
} from "../../lib/model/logprob.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import { naiveForward, randomWeights, tinyConfig } from "./qwen2_naive.ts";

function logSoftmax(row: Float64Array): number[] {
  const m = Math.max(...row);
  const z = Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) + m;
  return Array.from(row, (v) => v - z);
}

Deno.test("sequenceLogprobs() equals log-softmax of the naive forward, with padding", async () => {
  await initBackend("wasm");
  const cfg = tinyConfig({ tieWordEmbeddings: true });
  const w = randomWeights(cfg, 21);
  const model = Qwen2Model.fromWeights(cfg, w);
  const prompts = [[3, 4, 5], [7], [9, 10]];
  const comps = [[6, 2], [8, 8, 8, 1], []];
  const s = sequenceLogprobs(model, prompts, comps, { entropy: true });
  assert.deepEqual(s.logprobs.shape, [3, 4]);
  const lp = s.logprobs.arraySync(), mk = s.mask.arraySync(), ent = s.entropy!.arraySync();
  for (let r = 0; r < 3; r++) {
    const seq = [...prompts[r], ...comps[r]];
    const ref = naiveForward(cfg, w, seq);
    for (let j = 0; j < 4; j++) {
      if (j >= comps[r].length) {
        assert.equal(mk[r][j], 0);
        assert.equal(lp[r][j], 0);
        continue;
      }
      assert.equal(mk[r][j], 1);
      const ls = logSoftmax(ref[prompts[r].length - 1 + j]);
      assert.ok(Math.abs(lp[r][j] - ls[comps[r][j]]) < 1e-4, `row ${r} tok ${j}`);
      const h = -ls.reduce((a, v) => a + Math.exp(v) * v, 0);
      assert.ok(Math.abs(ent[r][j] - h) < 1e-4);
    }
  }
  tf.dispose([s.logprobs, s.mask, s.entropy!]);
  model.dispose();
});

Deno.test("targetLogprobs() gradient equals onehot − softmax", async () => {
  await initBackend("wasm");
  const x = tf.tensor2d([[0.1, 2, -1], [3, 0, 0.5]]);
  const g = tf.grad((l: tf.Tensor) =>
    tf.sum(tf.mul(targetLogprobs(l as tf.Tensor2D, [1, 2]), tf.tensor1d([1, 2])))
  )(x);
  const p = tf.softmax(x).arraySync();
  const want = [[-p[0][0], 1 - p[0][1], -p[0][2]], [-2 * p[1][0], -2 * p[1][1], 2 * (1 - p[1][2])]];
  const got = g.arraySync() as number[][];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(got[i][j] - want[i][j]) < 1e-6);
  }
  assert.ok(Math.abs(rowEntropy(tf.tensor2d([[0, 0]])).dataSync()[0] - Math.log(2)) < 1e-6);
  tf.dispose([x, g]);
});

for (const backend of ["wasm", "cpu", "fast"] as const) {
  for (const tie of [true, false]) {
    Deno.test(`sequenceLogprobs() gradients match finite differences (${backend}, tied=${tie})`, async () => {
      await initBackend(backend);
      const cfg = tinyConfig({ tieWordEmbeddings: tie, numLayers: 1 });
      const model = Qwen2Model.fromWeights(cfg, randomWeights(cfg, 4, 0.2));
      const prompts = [[3, 4, 5], [7]], comps = [[6, 2, 3], [8, 1]];
      const f = () =>
        tf.tidy(() => {
          const s = sequenceLogprobs(model, prompts, comps);
          return tf.sum(tf.mul(s.logprobs, s.mask)) as tf.Scalar;
        });
      const names = [
        "model.embed_tokens.weight",
        "model.layers.0.self_attn.q_proj.weight",
        "model.layers.0.self_attn.k_proj.bias",
        "model.layers.0.self_attn.v_proj.weight",
        "model.layers.0.mlp.down_proj.weight",
        "model.layers.0.input_layernorm.weight",
        "model.norm.weight",
        ...(tie ? [] : ["lm_head.weight"]),
      ];
      const vars = names.map((n) => model.params.get(n)!);
      const { value, grads } = tf.variableGrads(f, vars);
      value.dispose();
      const eps = 1e-2;
      for (const n of names) {
        const v = model.params.get(n)!;
        const g = grads[v.name].dataSync();
        // Probe the entries with the largest gradient plus one fixed entry.
        const order = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]) - Math.abs(g[a]));
        for (const idx of [order[0], order[1], Math.floor(g.length / 3)]) {
          const base = v.dataSync().slice();
          const at = (delta: number) => {
            const d = base.slice();
            d[idx] += delta;
            v.assign(tf.tensor(d, v.shape));
            const y = f();
            const r = y.dataSync()[0];
            y.dispose();
            return r;
          };
          const fd = (at(eps) - at(-eps)) / (2 * eps);
          v.assign(tf.tensor(base, v.shape));
          const err = Math.abs(fd - g[idx]);
          assert.ok(
            err < 2e-3 + 2e-2 * Math.abs(fd),
            `${n}[${idx}]: analytic ${g[idx]} vs numeric ${fd}`,
          );
        }
      }
      tf.dispose(Object.values(grads));
      model.dispose();
    });
  }
}

Deno.test("nextTokenLoss() equals the mean negative log-likelihood of the naive forward", async () => {
  await initBackend("wasm");
  const cfg = tinyConfig();
  const w = randomWeights(cfg, 8);
  const model = Qwen2Model.fromWeights(cfg, w);
  const seqs = [[1, 2, 3, 4], [5, 6]];
  let tot = 0, n = 0;
  for (const s of seqs) {
    const ref = naiveForward(cfg, w, s);
    for (let j = 0; j + 1 < s.length; j++) {
      tot -= logSoftmax(ref[j])[s[j + 1]];
      n++;
    }
  }
  const loss = nextTokenLoss(model, seqs);
  assert.ok(Math.abs(loss.dataSync()[0] - tot / n) < 1e-4);
  loss.dispose();
  model.dispose();
});
