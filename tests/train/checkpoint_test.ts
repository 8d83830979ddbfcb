import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend } from "../../lib/engine/backend.ts";
import { makeCheckpoint } from "../../lib/model/make_model.ts";
import { AdamW } from "../../lib/model/optim.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import {
  findTrainingCheckpoint,
  loadTrainingCheckpoint,
  saveTrainingCheckpoint,
} from "../../lib/train/checkpoint.ts";

Deno.test("saveTrainingCheckpoint() round-trips weights and optimizer state and survives a crash mid-swap", async () => {
  await initBackend();
  const base = await Deno.makeTempDir({ prefix: "msgrpo-ckbase-" });
  await makeCheckpoint(base, {
    hidden: 16,
    layers: 1,
    heads: 2,
    kvHeads: 1,
    intermediate: 32,
    tokenizer: "byte",
    seed: 4,
  });
  const model = await Qwen2Model.load(base);
  const vars = model.trainableVariables();
  const opt = new AdamW(vars, { lr: 0.1 });
  const tf = await import("@tensorflow/tfjs-core");
  const grads = vars.map((v) => tf.onesLike(v));
  opt.step(vars, grads);
  tf.dispose(grads);
  const run = await Deno.makeTempDir({ prefix: "msgrpo-ckrun-" });
  assert.equal(await findTrainingCheckpoint(run), null);
  await saveTrainingCheckpoint(run, model, opt, {
    iteration: 7,
    seed: 3,
    lora: false,
    baseModel: base,
  }, base);
  const dir = await findTrainingCheckpoint(run);
  assert.equal(dir, join(run, "checkpoint"));
  const { state, optimizer } = await loadTrainingCheckpoint(dir!);
  assert.deepEqual([state.iteration, state.seed, state.optimizerStep], [7, 3, 1]);
  assert.deepEqual(optimizer.m, (await opt.getState()).m);
  const reloaded = await Qwen2Model.load(dir!);
  const a = await model.toWeights(), b = await reloaded.toWeights();
  for (const [k, t] of a) assert.deepEqual(b.get(k)!.data, t.data, k);
  // A crash after renaming the old checkpoint away but before the new one moved in.
  await Deno.rename(join(run, "checkpoint"), join(run, "checkpoint.old"));
  assert.equal(await findTrainingCheckpoint(run), join(run, "checkpoint.old"));
  await Deno.writeTextFile(join(run, "checkpoint.old", "trainer_state.json"), '{"iteration": "x"}');
  await assert.rejects(
    loadTrainingCheckpoint(join(run, "checkpoint.old")),
    /iteration must be an integer/,
  );
  opt.dispose();
  model.dispose();
  reloaded.dispose();
  await Deno.remove(run, { recursive: true });
  await Deno.remove(base, { recursive: true });
});
