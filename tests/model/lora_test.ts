import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import { nextTokenLoss } from "../../lib/model/logprob.ts";
import {
  ADAPTER_WEIGHTS_FILE,
  attachLora,
  loadLora,
  mergeLora,
  saveLora,
} from "../../lib/model/lora.ts";
import { AdamW } from "../../lib/model/optim.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import { readSafetensorsHeader } from "../../lib/model/safetensors.ts";
import { randomWeights, tinyConfig } from "./qwen2_naive.ts";

const IDS = [[3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14]];

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

function trained(model: Qwen2Model): void {
  const vars = model.trainableVariables();
  const opt = new AdamW(vars, { lr: 0.05, weightDecay: 0 });
  for (let i = 0; i < 5; i++) {
    const { value, grads } = tf.variableGrads(() => nextTokenLoss(model, IDS), vars);
    opt.apply(grads);
    tf.dispose([value, ...Object.values(grads)]);
  }
  opt.dispose();
}

Deno.test("attachLora() with zero B leaves the logits unchanged and freezes the base", async () => {
  await initBackend("wasm");
  const cfg = tinyConfig();
  const model = Qwen2Model.fromWeights(cfg, randomWeights(cfg, 6));
  const base = model.forward(IDS);
  attachLora(model, { r: 2, alpha: 4, seed: 1, targetModules: ["q_proj", "v_proj", "down_proj"] });
  assert.equal(model.adapters.size, 3 * cfg.numLayers);
  const vars = model.trainableVariables();
  assert.equal(vars.length, 2 * 3 * cfg.numLayers);
  assert.ok([...model.params.values()].every((v) => !v.trainable));
  const withLora = model.forward(IDS);
  assert.equal(maxDiff(base, withLora), 0);
  // A is seeded and non-zero; training moves B and changes the logits; the base stays put.
  const embBefore = model.params.get("model.embed_tokens.weight")!.dataSync().slice();
  trained(model);
  assert.deepEqual(model.params.get("model.embed_tokens.weight")!.dataSync(), embBefore);
  const after = model.forward(IDS);
  assert.ok(maxDiff(base, after) > 1e-3);
  tf.dispose([base, withLora, after]);
  model.dispose();
});

Deno.test("saveLora()/loadLora() round-trip in the PEFT layout, and mergeLora() folds adapters in", async () => {
  await initBackend("wasm");
  const cfg = tinyConfig({ tieWordEmbeddings: true });
  const w = randomWeights(cfg, 6);
  const model = Qwen2Model.fromWeights(cfg, w);
  attachLora(model, {
    r: 3,
    alpha: 6,
    seed: 2,
    targetModules: ["q_proj", "k_proj", "o_proj", "gate_proj", "up_proj"],
  });
  trained(model);
  const tuned = model.forward(IDS);
  const dir = await Deno.makeTempDir();
  await saveLora(model, dir, { baseModel: "tiny" });
  const cfgJson = JSON.parse(await Deno.readTextFile(`${dir}/adapter_config.json`));
  assert.equal(cfgJson.r, 3);
  assert.equal(cfgJson.lora_alpha, 6);
  assert.equal(cfgJson.peft_type, "LORA");
  const header = await readSafetensorsHeader(`${dir}/${ADAPTER_WEIGHTS_FILE}`);
  const a = header.entries.get("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight");
  const b = header.entries.get("base_model.model.model.layers.0.mlp.up_proj.lora_B.weight");
  assert.deepEqual(a?.shape, [3, cfg.hiddenSize]);
  assert.deepEqual(b?.shape, [cfg.intermediateSize, 3]);
  assert.equal(header.entries.size, 2 * 5 * cfg.numLayers);

  const fresh = Qwen2Model.fromWeights(cfg, w);
  await loadLora(fresh, dir);
  const loaded = fresh.forward(IDS);
  assert.ok(maxDiff(tuned, loaded) < 1e-6);
  mergeLora(fresh);
  assert.equal(fresh.adapters.size, 0);
  const merged = fresh.forward(IDS);
  assert.ok(maxDiff(tuned, merged) < 1e-4);
  const plain = Qwen2Model.fromWeights(cfg, w);
  const plainLogits = plain.forward(IDS);
  assert.ok(maxDiff(tuned, plainLogits) > 1e-3);
  plainLogits.dispose();
  plain.dispose();
  tf.dispose([tuned, loaded, merged]);
  model.dispose();
  fresh.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadLora() rejects adapters that do not fit the model, naming the tensor", async () => {
  await initBackend("cpu");
  const cfg = tinyConfig();
  const model = Qwen2Model.fromWeights(cfg, randomWeights(cfg, 6));
  attachLora(model, { r: 2, alpha: 2, seed: 0 });
  const dir = await Deno.makeTempDir();
  await saveLora(model, dir);
  const bigger = tinyConfig({ numLayers: 3 });
  const other = Qwen2Model.fromWeights(bigger, randomWeights(bigger, 6));
  await assert.rejects(
    () => loadLora(other, dir),
    /missing tensor "base_model\.model\.model\.layers\.2\.self_attn\.q_proj\.lora_A\.weight"/,
  );
  assert.throws(() => attachLora(model, { r: 2, alpha: 2, seed: 0 }), /already has adapters/);
  assert.throws(() => attachLora(other, { r: 0, alpha: 2, seed: 0 }), /r must be/);
  model.dispose();
  other.dispose();
  await Deno.remove(dir, { recursive: true });
});
