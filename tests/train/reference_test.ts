import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/engine/backend.ts";
import { makeCheckpoint } from "../../lib/model/make_model.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import { loadReference, refreshReference } from "../../lib/train/reference.ts";
import { tinyConfig } from "./_tiny.ts";

const shape = { hidden: 16, layers: 1, heads: 2, kvHeads: 1, intermediate: 16, tokenizer: "byte" };

async function tinyModel(seed: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "msgrpo-ref-" });
  await makeCheckpoint(dir, { ...shape, seed } as Parameters<typeof makeCheckpoint>[1]);
  return dir;
}

const logits = (m: Qwen2Model) => tf.tidy(() => m.forward([[3, 4, 5]]).arraySync());

Deno.test("refreshReference() makes the reference compute what the policy computes", async () => {
  await initBackend();
  const a = await tinyModel(1), b = await tinyModel(2);
  const policy = await Qwen2Model.load(a);
  const reference = await Qwen2Model.load(b, { trainable: false });
  assert.notDeepEqual(logits(reference), logits(policy));
  refreshReference(reference, policy);
  assert.deepEqual(logits(reference), logits(policy));
  // The reference stays frozen, and later changes of the policy do not leak into it.
  assert.ok(reference.variables().every((v) => !v.trainable));
  const before = logits(reference);
  policy.variables()[0].assign(tf.zerosLike(policy.variables()[0]));
  assert.deepEqual(logits(reference), before);
  policy.dispose();
  reference.dispose();
});

Deno.test("loadReference(): none without KL, the base or the resumed checkpoint, never LoRA + checkpoint", async () => {
  await initBackend();
  const base = await tinyModel(1), resumed = await tinyModel(2);
  assert.equal(await loadReference(tinyConfig(base), resumed), undefined);
  const fromBase = await loadReference(tinyConfig(base, ["msgrpo.kl_beta=0.1"]), resumed);
  const baseModel = await Qwen2Model.load(base);
  assert.deepEqual(logits(fromBase!), logits(baseModel));
  const fromCheckpoint = await loadReference(
    tinyConfig(base, ["msgrpo.kl_beta=0.1", "msgrpo.kl_reference=checkpoint"]),
    resumed,
  );
  const resumedModel = await Qwen2Model.load(resumed);
  assert.deepEqual(logits(fromCheckpoint!), logits(resumedModel));
  await assert.rejects(
    loadReference(
      tinyConfig(base, [
        "msgrpo.kl_beta=0.1",
        "msgrpo.kl_reference=checkpoint",
        "model.lora_rank=4",
      ]),
      resumed,
    ),
    /kl_reference checkpoint needs full fine-tuning/,
  );
  for (const m of [fromBase!, fromCheckpoint!, baseModel, resumedModel]) m.dispose();
});
