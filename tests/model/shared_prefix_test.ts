/**
 * `sequenceLogprobs(…, { sharedPrefix: true })` computes the rows' common prompt prefix once: it
 * must give the scores and the gradients of the rows run whole.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import { sequenceLogprobs, sharedPrefixLength } from "../../lib/model/logprob.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import { randomWeights, tinyConfig } from "./qwen2_naive.ts";

// a 5-token shared prefix; prompts of different lengths (left padding after the prefix) and
// completions of different lengths (right padding)
const PROMPTS = [[3, 4, 5, 6, 7, 9], [3, 4, 5, 6, 7, 11, 12, 13], [3, 4, 5, 6, 7, 8, 2]];
const COMPLETIONS = [[6, 2, 3], [8], [10, 1]];

function scores(model: Qwen2Model, sharedPrefix: boolean) {
  const s = sequenceLogprobs(model, PROMPTS, COMPLETIONS, { entropy: true, sharedPrefix });
  const lp = s.logprobs.dataSync().slice(), ent = s.entropy!.dataSync().slice();
  const mask = s.mask.dataSync().slice();
  tf.dispose([s.logprobs, s.entropy!, s.mask]);
  return { lp, ent, mask };
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    assert.ok(
      Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])),
      `${what}[${i}]: ${a[i]} vs ${b[i]}`,
    );
  }
}

Deno.test("sharedPrefixLength() leaves every prompt its last token", () => {
  assert.equal(sharedPrefixLength(PROMPTS), 5);
  assert.equal(sharedPrefixLength([[1, 2], [1, 2, 3]]), 1);
  assert.equal(sharedPrefixLength([[1], [1, 2]]), 0);
});

for (const backend of ["cpu", "fast"] as const) {
  Deno.test(`sequenceLogprobs({ sharedPrefix }) equals the whole rows: scores and gradients (${backend})`, async () => {
    await initBackend(backend);
    const cfg = tinyConfig({ numLayers: 2 });
    const model = Qwen2Model.fromWeights(cfg, randomWeights(cfg, 9, 0.2));
    const whole = scores(model, false), shared = scores(model, true);
    assert.deepEqual(shared.mask, whole.mask);
    close(shared.lp, whole.lp, 1e-5, "logprobs");
    close(shared.ent, whole.ent, 1e-5, "entropy");

    const vars = model.trainableVariables();
    const loss = (sharedPrefix: boolean) => () =>
      tf.tidy(() => {
        const s = sequenceLogprobs(model, PROMPTS, COMPLETIONS, { entropy: true, sharedPrefix });
        const w = tf.tensor2d([[1, -2, 0.5], [0.7, 0, 0], [-1, 3, 0]]);
        return tf.add(
          tf.sum(tf.mul(tf.mul(s.logprobs, w), s.mask)),
          tf.sum(s.entropy!),
        ) as tf.Scalar;
      });
    const a = tf.variableGrads(loss(false), vars), b = tf.variableGrads(loss(true), vars);
    close(b.value.dataSync(), a.value.dataSync(), 1e-5, "loss");
    let nonzero = 0;
    for (const v of vars) {
      const ga = a.grads[v.name].dataSync(), gb = b.grads[v.name].dataSync();
      close(gb, ga, 1e-4, `∂/∂${v.name}`);
      if (ga.some((x) => Math.abs(x) > 1e-6)) nonzero++;
    }
    assert.ok(nonzero >= vars.length - 1, `${nonzero} of ${vars.length} gradients are non-zero`);
    tf.dispose([a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads)]);
    model.dispose();
  });
}
