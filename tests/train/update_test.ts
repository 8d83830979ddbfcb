import assert from "node:assert/strict";
import { initBackend } from "../../lib/engine/backend.ts";
import type { Qwen2Model } from "../../lib/model/qwen2.ts";
import { type PrepareOptions, prepareUpdate } from "../../lib/msgrpo/prepare.ts";
import type { Episode } from "../../lib/msgrpo/types.ts";
import { msgrpoUpdate, type UpdateOptions } from "../../lib/train/update.ts";
import { tinyPolicy } from "./_policy.ts";

await initBackend("cpu");
function fresh(): ReturnType<typeof tinyPolicy> {
  return tinyPolicy(1, 1e-2);
}

/** One group of two one-step episodes: the first wins (Â = +1), the second loses (Â = −1). */
function pool(): Episode[] {
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
      promptIds: [1, 2, 3],
      completionIds: completion,
      completionText: "",
      oldLogprobs: completion.map(() => -Math.log(12)),
      action: 0,
      valid: true,
      reward,
      done: true,
    }],
  });
  return [ep(0, [4, 5], 1), ep(1, [6], 0)];
}

const prep: PrepareOptions = { seed: 0, iteration: 1, sampling: "all", microBatchTokens: 1000 };
const opts: UpdateOptions = { clipEps: 0.2, klBeta: 0, entropyCoef: 0, gradClip: 1 };

async function weights(model: Qwen2Model): Promise<Float32Array[]> {
  return await Promise.all(
    model.trainableVariables().map(async (v) => (await v.data()) as Float32Array),
  );
}

Deno.test("msgrpoUpdate() takes one optimizer step per prepared step and none without steps", async () => {
  const none = fresh();
  const skipped = await msgrpoUpdate(none, { steps: [] }, opts);
  assert.deepEqual([skipped.updated, skipped.loss, skipped.tokens, none.optimizer.iterations], [
    false,
    null,
    0,
    0,
  ]);
  none.model.dispose();

  const ctx = fresh();
  const p = prepareUpdate(pool(), { ...prep, epochs: 2, minibatches: 2 });
  assert.equal(p.steps.length, 4);
  const out = await msgrpoUpdate(ctx, p, opts);
  assert.equal(ctx.optimizer.iterations, 4);
  assert.equal(out.updated, true);
  assert.equal(out.tokens, 3, "tokens are counted per pass: 2 + 1 completion tokens");
  assert.ok(out.loss !== null && Number.isFinite(out.loss));
  assert.equal(out.refKl, null);
  ctx.model.dispose();
});

Deno.test("msgrpoUpdate() accumulates micro-batch gradients to the full batch's step", async () => {
  // the same rows as one micro-batch, and as two (a budget of 5 padded tokens fits one row)
  const whole = fresh(), split = fresh();
  const one = prepareUpdate(pool(), prep);
  const two = prepareUpdate(pool(), { ...prep, microBatchTokens: 5 });
  assert.deepEqual([one.steps[0].micro.length, two.steps[0].micro.length], [1, 2]);
  const a = await msgrpoUpdate(whole, one, opts);
  const b = await msgrpoUpdate(split, two, opts);
  assert.ok(Math.abs(a.loss! - b.loss!) < 1e-6, `loss ${a.loss} vs ${b.loss}`);
  assert.ok(Math.abs(a.gradNorm! - b.gradNorm!) < 1e-5, `grad norm ${a.gradNorm} vs ${b.gradNorm}`);
  const [wa, wb] = [await weights(whole.model), await weights(split.model)];
  const start = fresh();
  const before = await weights(start.model);
  start.model.dispose();
  let moved = 0;
  wa.forEach((w, i) =>
    w.forEach((x, j) => {
      assert.ok(Math.abs(x - wb[i][j]) < 1e-5, `variable ${i}[${j}]: ${x} vs ${wb[i][j]}`);
      if (x !== before[i][j]) moved++;
    })
  );
  assert.ok(moved > 0, "the step changed the weights");
  whole.model.dispose();
  split.model.dispose();
});

/** The pool with every reward 0, prepared as an idle update (the entropy bonus alone trains). */
function idleUpdate() {
  const eps = pool().map((e) => ({ ...e, steps: e.steps.map((s) => ({ ...s, reward: 0 })) }));
  return prepareUpdate(eps, {
    ...prep,
    sampling: "aaw",
    idleUpdate: "regularize",
    regularized: true,
  });
}

Deno.test("msgrpoUpdate() at Â = 0 moves the policy only through the entropy bonus", async () => {
  const p = idleUpdate();
  assert.equal(p.idle, true);
  const ctx = fresh();
  const out = await msgrpoUpdate(ctx, p, { ...opts, entropyCoef: 0.5 });
  // with every Â = 0 the surrogate is 0: the loss is −coef · mean entropy
  assert.ok(
    Math.abs(out.loss! + 0.5 * out.entropy!) < 1e-5,
    `loss ${out.loss}, entropy ${out.entropy}`,
  );
  assert.equal(out.entropyCoef, 0.5);
  ctx.model.dispose();
});

Deno.test("msgrpoUpdate() applies the entropy bonus only to the tokens entropyMask selects", async () => {
  const p = idleUpdate();
  // rows [4, 5] and [6]; every Â = 0, so the loss is −coef · Σ(selected token entropies) / 3
  const run = async (entropyMask?: (ids: readonly number[]) => readonly number[]) => {
    const ctx = fresh();
    const out = await msgrpoUpdate(ctx, p, { ...opts, entropyCoef: 0.5, entropyMask });
    ctx.model.dispose();
    return out;
  };
  const all = await run();
  const ones = await run((ids) => ids.map(() => 1));
  const none = await run((ids) => ids.map(() => 0));
  const first = await run((ids) => ids.map((_, j) => (j === 0 ? 1 : 0)));
  const rest = await run((ids) => ids.map((_, j) => (j === 0 ? 0 : 1)));
  assert.equal(ones.loss, all.loss, "a mask of ones is the unmasked bonus");
  assert.equal(none.loss, 0);
  assert.equal(none.gradNorm, 0, "no selected token, no gradient");
  assert.ok(first.loss! < 0 && rest.loss! < 0, `${first.loss}, ${rest.loss}`);
  assert.ok(
    Math.abs(first.loss! + rest.loss! - all.loss!) < 1e-6,
    `the bonus is a sum over tokens: ${first.loss} + ${rest.loss} vs ${all.loss}`,
  );
  // the logged entropy stays the mean over every token, whatever the mask
  assert.ok(Math.abs(none.entropy! - all.entropy!) < 1e-6);
  const ctx = fresh();
  await assert.rejects(
    () => msgrpoUpdate(ctx, p, { ...opts, entropyCoef: 0.5, entropyMask: () => [1] }),
    /entropyMask gave 1 values for a 2-token completion/,
  );
  ctx.model.dispose();
});
