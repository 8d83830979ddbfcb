/**
 * Subprocess for webgpu_lora_test.ts: the same tiny Qwen2 model with LoRA adapters on all seven
 * projections, on the `fast` backend and then on `webgpu`: (1) the loss and every adapter
 * gradient of a next-token cross-entropy, (2) one full MS-GRPO update (prepared from two scripted
 * episodes, PPO clip loss, gradient clipping, AdamW on the adapters), and (3) the buffer pool
 * release between phases. Prints one JSON line: `{"skip": reason}` without an adapter, else both
 * backends' numbers (the test compares them).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import { releaseBufferPool, trackPeakMemory } from "../../lib/engine/memory.ts";
import { tokenLogprobs } from "../../lib/engine/ops_logprobs.ts";
import { webGpuUnavailableReason } from "../../lib/engine/webgpu.ts";
import { parseConfig } from "../../lib/model/config.ts";
import { attachLora, LORA_TARGETS } from "../../lib/model/lora.ts";
import { randomWeights } from "../../lib/model/make_model.ts";
import { AdamW } from "../../lib/model/optim.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import { prepareUpdate } from "../../lib/msgrpo/prepare.ts";
import type { Episode } from "../../lib/msgrpo/types.ts";
import { msgrpoUpdate } from "../../lib/train/update.ts";
import { Rng } from "../../lib/util/rng.ts";

const config = parseConfig({
  model_type: "qwen2",
  vocab_size: 40,
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  intermediate_size: 24,
});

/** Two one-step episodes of one group: the first wins, the second loses. */
function episodes(): Episode[] {
  const ep = (index: number, completion: number[], reward: number): Episode => ({
    iteration: 1,
    group: 0,
    index,
    scenario: "S",
    initialStateSeed: 5,
    dynamicsSeed: index,
    return: reward,
    success: reward > 0,
    steps: [{
      t: 0,
      promptIds: [1, 2, 3, 7],
      completionIds: completion,
      completionText: "",
      oldLogprobs: completion.map(() => -Math.log(40) + 0.1),
      action: 0,
      valid: true,
      reward,
      done: true,
    }],
  });
  return [ep(0, [4, 5, 9], 1), ep(1, [6, 11], 0)];
}

/** A model with seeded adapters whose B is nonzero (a fresh B = 0 would zero A's gradient). */
function makeModel(): Qwen2Model {
  const model = Qwen2Model.fromWeights(config, randomWeights(config, { seed: 3 }));
  attachLora(model, { r: 3, alpha: 6, seed: 4, targetModules: [...LORA_TARGETS] });
  const rng = new Rng(9);
  for (const ad of model.adapters.values()) {
    const n = ad.b.size;
    ad.b.assign(tf.tensor(Float32Array.from({ length: n }, () => rng.normal() * 0.1), ad.b.shape));
  }
  return model;
}

async function run(backend: "fast" | "webgpu") {
  await initBackend(backend);
  const memory = trackPeakMemory();
  const model = makeModel();
  const vars = model.trainableVariables();
  const ids = [[1, 5, 9, 2, 30, 7], [3, 3, 8, 21, 0, 39]];
  const targets = tf.tensor2d([[5, 9, 2, 30, 7, 1], [3, 8, 21, 0, 39, 4]], [2, 6], "int32");
  const { value, grads } = tf.variableGrads(
    () => tf.neg(tf.mean(tokenLogprobs(model.forward(ids), targets))) as tf.Scalar,
    vars,
  );
  const loss = (await value.data())[0];
  const gradNames = Object.keys(grads).sort();
  const grad: number[] = [];
  for (const v of vars) grad.push(...await grads[v.name].data());
  tf.dispose([value, targets, ...Object.values(grads)]);
  // Phase change (as the trainer between generation and update).
  const released = await releaseBufferPool();
  const optimizer = new AdamW(vars, { lr: 1e-2 });
  const prepared = prepareUpdate(episodes(), {
    seed: 0,
    iteration: 1,
    sampling: "all",
    microBatchTokens: 1000,
  });
  const outcome = await msgrpoUpdate({ model, optimizer }, prepared, {
    clipEps: 0.2,
    klBeta: 0,
    entropyCoef: 0.01,
    gradClip: 1,
  });
  const after: number[] = [];
  for (const v of vars) after.push(...await v.data());
  const state = await optimizer.getState();
  const result = {
    loss,
    gradNames,
    grad,
    update: { loss: outcome.loss, gradNorm: outcome.gradNorm, entropy: outcome.entropy },
    after,
    momentCount: state.m.length,
    varCount: vars.length,
    adapterCount: model.adapters.size,
    peakBytes: memory.peakBytes(),
    source: memory.source,
    released,
  };
  memory.stop();
  optimizer.dispose();
  model.dispose();
  return result;
}

const reason = await webGpuUnavailableReason();
if (reason !== null) {
  console.log(JSON.stringify({ skip: reason }));
} else {
  const fast = await run("fast");
  const webgpu = await run("webgpu");
  console.log(JSON.stringify({ backend: tf.getBackend(), fast, webgpu }));
}
