/**
 * LoRA memory: the frozen base gets no gradient and no optimizer moments. Checked on the kernels
 * a train step actually runs (tf.profile): with adapters, no matmul produces a tensor shaped like
 * a frozen projection weight (its gradient `xᵀ dy`); without, they do. Run on the cpu backend
 * (lib/model/layers.ts's customGrad path, as on webgpu) and on fast (BLAS, fused bias).
 */
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/engine/backend.ts";
import { tokenLogprobs } from "../../lib/engine/ops_logprobs.ts";
import { parseConfig } from "../../lib/model/config.ts";
import { attachLora, LORA_TARGETS } from "../../lib/model/lora.ts";
import { randomWeights } from "../../lib/model/make_model.ts";
import { AdamW } from "../../lib/model/optim.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";

// Shapes chosen so that no activation is shaped like a weight: H 24, I 40, V 52, N = 2·5 tokens.
const config = parseConfig({
  model_type: "qwen2",
  vocab_size: 52,
  hidden_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  intermediate_size: 40,
});

/** Output shapes of every matmul kernel of one gradient computation over `vars`. */
async function gradientKernelShapes(model: Qwen2Model): Promise<string[]> {
  const vars = model.trainableVariables();
  const ids = [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]];
  const targets = tf.tensor2d([[2, 3, 4, 5, 6], [7, 8, 9, 10, 11]], [2, 5], "int32");
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(
      () => tf.neg(tf.mean(tokenLogprobs(model.forward(ids), targets))) as tf.Scalar,
      vars,
    );
    tf.dispose([value, ...Object.values(grads)]);
  });
  targets.dispose();
  return info.kernels.filter((k) => /MatMul/.test(k.name))
    .flatMap((k) => k.outputShapes.map((s) => JSON.stringify(s)));
}

/** Gradients of the loss with respect to `vars`, read back (every adapter B set to 0.1). */
async function adapterGrads(model: Qwen2Model, vars: tf.Variable[]): Promise<number[][]> {
  for (const ad of model.adapters.values()) ad.b.assign(tf.fill(ad.b.shape, 0.1));
  const targets = tf.tensor2d([[2, 3, 4, 5, 6]], [1, 5], "int32");
  const { value, grads } = tf.variableGrads(
    () => tf.neg(tf.mean(tokenLogprobs(model.forward([[1, 2, 3, 4, 5]]), targets))) as tf.Scalar,
    vars,
  );
  const out = await Promise.all(vars.map(async (v) => Array.from(await grads[v.name].data())));
  tf.dispose([value, targets, ...Object.values(grads)]);
  return out;
}

for (const backend of ["cpu", "fast"] as const) {
  Deno.test(`LoRA: frozen base weights get no gradients and no AdamW moments (${backend})`, async () => {
    await initBackend(backend);
    const weightShapes = ["[24,40]", "[40,24]"]; // gate/up_proj and down_proj, held [in, out]
    const full = Qwen2Model.fromWeights(config, randomWeights(config, { seed: 1 }));
    const fullShapes = await gradientKernelShapes(full);
    for (const s of weightShapes) assert.ok(fullShapes.includes(s), `full: a ${s} gradient`);
    full.dispose();

    const model = Qwen2Model.fromWeights(config, randomWeights(config, { seed: 1 }));
    attachLora(model, { r: 4, alpha: 8, seed: 2, targetModules: [...LORA_TARGETS] });
    const shapes = await gradientKernelShapes(model);
    for (const s of weightShapes) {
      assert.ok(!shapes.includes(s), `LoRA: a kernel produced ${s}, a frozen weight's gradient`);
    }
    const vars = model.trainableVariables();
    // The frozen path's adapter gradients equal those computed with a trainable base.
    const frozenGrads = await adapterGrads(model, vars);
    model.setTrainable(() => true);
    const openGrads = await adapterGrads(model, vars);
    model.setTrainable(() => false);
    frozenGrads.forEach((g, i) =>
      g.forEach((x, j) => assert.ok(Math.abs(x - openGrads[i][j]) < 1e-5, `grad ${i}[${j}]`))
    );
    assert.ok(frozenGrads.flat().some((x) => x !== 0));
    const adapters = new Set([...model.adapters.values()].flatMap((a) => [a.a, a.b]));
    assert.equal(vars.length, 2 * 7 * 2);
    assert.ok(vars.every((v) => adapters.has(v)), "only adapter matrices are trainable");
    const opt = new AdamW(vars, { lr: 1e-3 });
    const state = await opt.getState();
    const moments = state.m.reduce((a, m) => a + m.length, 0);
    assert.equal(moments, [...adapters].reduce((a, v) => a + v.size, 0));
    assert.ok(moments < model.numParameters(), `${moments} moment values`);
    opt.dispose();
    model.dispose();
  });
}
