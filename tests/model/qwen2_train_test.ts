import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import { nextTokenLoss } from "../../lib/model/logprob.ts";
import { AdamW, clipByGlobalNorm } from "../../lib/model/optim.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import { randomWeights, tinyConfig } from "./qwen2_naive.ts";

for (const backend of ["wasm", "fast"] as const) {
  Deno.test(`a tiny Qwen2Model overfits a fixed string with AdamW (loss → near 0, ${backend})`, async () => {
    await initBackend(backend);
    const cfg = tinyConfig({
      vocabSize: 40,
      hiddenSize: 32,
      numHeads: 4,
      numKvHeads: 2,
      headDim: 8,
      intermediateSize: 64,
      tieWordEmbeddings: true,
    });
    const model = Qwen2Model.fromWeights(cfg, randomWeights(cfg, 1, 0.1));
    const text = "the quick brown fox jumps over the lazy dog";
    const ids = Array.from(text, (ch) => (ch === " " ? 1 : ch.charCodeAt(0) - 95));
    const vars = model.trainableVariables();
    const opt = new AdamW(vars, { lr: 1e-2, weightDecay: 0 });
    const losses: number[] = [];
    const t0 = performance.now();
    const before = tf.memory().numTensors;
    for (let step = 0; step < 300; step++) {
      const { value, grads } = tf.variableGrads(
        () => nextTokenLoss(model, [ids, ids.slice(4)]),
        vars,
      );
      const clipped = await clipByGlobalNorm(grads, 1);
      opt.apply(clipped.grads);
      losses.push(value.dataSync()[0]);
      tf.dispose([value, ...Object.values(grads), ...Object.values(clipped.grads)]);
      if (losses[losses.length - 1] < 0.02) break;
    }
    const secs = (performance.now() - t0) / 1000;
    console.log(
      `loss ${losses[0].toFixed(3)} → ${
        losses[losses.length - 1].toFixed(4)
      } in ${losses.length} steps, ${secs.toFixed(1)} s`,
    );
    assert.ok(losses[0] > 3, `initial loss ${losses[0]} should be near ln(40)`);
    assert.ok(losses[losses.length - 1] < 0.05, `final loss ${losses[losses.length - 1]}`);
    assert.equal(tf.memory().numTensors, before);
    opt.dispose();
    model.dispose();
  });
}
