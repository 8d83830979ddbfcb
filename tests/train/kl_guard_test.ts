/**
 * The KL guard of `msgrpoUpdate` (`msgrpo.kl_guard`): an update that moves the policy further
 * than the guard from the behaviour policy, measured on the KL probe, is undone.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import { sequenceLogprobs } from "../../lib/model/logprob.ts";
import type { Qwen2Model } from "../../lib/model/qwen2.ts";
import { type PrepareOptions, prepareUpdate } from "../../lib/msgrpo/prepare.ts";
import type { Episode } from "../../lib/msgrpo/types.ts";
import { msgrpoUpdate, type UpdateOptions } from "../../lib/train/update.ts";
import { tinyPolicy } from "./_policy.ts";

await initBackend("cpu");
function fresh(): ReturnType<typeof tinyPolicy> {
  return tinyPolicy(3, 5e-2);
}

const PROMPT = [1, 2, 3];
const OLD = -Math.log(12);

/** Two groups of two one-step episodes, a winner and a loser each (every |Â| = 1). */
function pool(): Episode[] {
  const ep = (group: number, index: number, completion: number[], reward: number): Episode => ({
    iteration: 1,
    group,
    index,
    scenario: "S",
    initialStateSeed: 5 + group,
    dynamicsSeed: index,
    return: reward,
    success: reward > 0,
    steps: [{
      t: 0,
      promptIds: PROMPT,
      completionIds: completion,
      completionText: "",
      oldLogprobs: completion.map(() => OLD),
      action: 0,
      valid: true,
      reward,
      done: true,
    }],
  });
  return [ep(0, 0, [4, 5], 1), ep(0, 1, [6], 0), ep(1, 0, [7], 1), ep(1, 1, [8, 9], 0)];
}

// the probe asks for more rows than the pool has, so it holds every step of the pool
const prep: PrepareOptions = {
  seed: 0,
  iteration: 1,
  sampling: "all",
  microBatchTokens: 1000,
  klProbeRows: 64,
};
const opts: UpdateOptions = { clipEps: 0.2, klBeta: 0, entropyCoef: 0, gradClip: 1 };

async function weights(model: Qwen2Model): Promise<Float32Array[]> {
  return await Promise.all(
    model.trainableVariables().map(async (v) => new Float32Array(await v.data() as Float32Array)),
  );
}

/** k3 KL(π_old ‖ π_θ) over every completion token of the pool, computed here from log-probs. */
async function klToBehaviour(model: Qwen2Model): Promise<number> {
  const completions = pool().map((e) => e.steps[0].completionIds);
  const s = sequenceLogprobs(model, completions.map(() => PROMPT), completions);
  const lp = await s.logprobs.array() as number[][];
  s.logprobs.dispose();
  s.mask.dispose();
  let sum = 0, n = 0;
  completions.forEach((c, b) =>
    c.forEach((_, t) => {
      const d = lp[b][t] - OLD;
      sum += Math.exp(d) - 1 - d;
      n++;
    })
  );
  return sum / n;
}

Deno.test("kl guard: an update beyond the guard is undone, all its steps", async () => {
  const ctx = fresh();
  const before = await weights(ctx.model);
  const p = prepareUpdate(pool(), { ...prep, minibatches: 2 });
  assert.deepEqual([p.steps.length, p.probe.length, p.probe[0].prompts.length], [2, 1, 4]);
  const out = await msgrpoUpdate(ctx, p, { ...opts, klGuard: 1e-9 });
  assert.deepEqual([out.updated, out.rolledBack, ctx.optimizer.iterations], [true, true, 0]);
  assert.deepEqual(await weights(ctx.model), before);
  assert.ok(out.probeKl! > 1e-9, "the statistics keep the distance that was measured");
  ctx.model.dispose();
});

Deno.test("kl guard: a guard that no update reaches leaves the update as without it", async () => {
  const guarded = fresh(), plain = fresh();
  const p = prepareUpdate(pool(), { ...prep, minibatches: 2 });
  const a = await msgrpoUpdate(guarded, p, { ...opts, klGuard: 1e6 });
  const b = await msgrpoUpdate(plain, p, opts);
  assert.deepEqual([a.rolledBack, b.rolledBack, b.probeKl], [false, false, null]);
  assert.deepEqual([guarded.optimizer.iterations, plain.optimizer.iterations], [2, 2]);
  assert.deepEqual(await weights(guarded.model), await weights(plain.model));
  assert.equal(a.loss, b.loss);
  guarded.model.dispose();
  plain.model.dispose();
});

/** A fresh policy after one update of two minibatches without a guard, its weights before it. */
async function unguardedUpdate() {
  const plain = fresh();
  const start = await weights(plain.model);
  const p = prepareUpdate(pool(), { ...prep, minibatches: 2 });
  await msgrpoUpdate(plain, p, opts);
  return { plain, start, p };
}

Deno.test("kl guard: the update is measured by the k3 KL on the probe", async () => {
  // measure the KL the update reaches without a guard, then guard just above and just below it
  const { plain, start, p } = await unguardedUpdate();
  const reached = await klToBehaviour(plain.model);
  const untrained = fresh();
  const initial = await klToBehaviour(untrained.model);
  untrained.model.dispose();
  assert.ok(reached > 0 && Math.abs(reached - initial) > 1e-4, `KL ${initial} → ${reached}`);

  const above = fresh();
  const a = await msgrpoUpdate(above, p, { ...opts, klGuard: reached * 1.001 });
  assert.ok(Math.abs(a.probeKl! - reached) < 1e-5 * reached, `${a.probeKl} vs ${reached}`);
  assert.deepEqual([a.rolledBack, above.optimizer.iterations], [false, 2]);
  assert.deepEqual(await weights(above.model), await weights(plain.model));

  const below = fresh();
  const b = await msgrpoUpdate(below, p, { ...opts, klGuard: reached * 0.999 });
  assert.deepEqual([b.rolledBack, below.optimizer.iterations], [true, 0]);
  assert.deepEqual(await weights(below.model), start);
  for (const c of [plain, above, below]) c.model.dispose();
});

Deno.test("kl guard: a guard ≤ 0, or one without a probe, is refused", async () => {
  const ctx = fresh();
  const p = prepareUpdate(pool(), prep);
  await assert.rejects(
    msgrpoUpdate(ctx, p, { ...opts, klGuard: 0 }),
    /klGuard must be > 0 nats, got 0/,
  );
  const noProbe = prepareUpdate(pool(), { ...prep, klProbeRows: 0 });
  assert.equal(noProbe.probe.length, 0);
  await assert.rejects(msgrpoUpdate(ctx, noProbe, { ...opts, klGuard: 0.1 }), /needs the KL probe/);
  assert.equal(ctx.optimizer.iterations, 0);
  ctx.model.dispose();
});

Deno.test("kl guard, shrink: the update is halved until the probe KL is under the guard", async () => {
  // the full update and its half, measured independently
  const { plain, start, p } = await unguardedUpdate();
  const full = await weights(plain.model);
  const half = full.map((w, i) => w.map((x, j) => start[i][j] + 0.5 * (x - start[i][j])));
  plain.model.trainableVariables().forEach((v, i) => v.assign(tf.tensor(half[i], v.shape)));
  const klHalf = await klToBehaviour(plain.model);
  const klFull = await (async () => {
    plain.model.trainableVariables().forEach((v, i) => v.assign(tf.tensor(full[i], v.shape)));
    return await klToBehaviour(plain.model);
  })();
  assert.ok(klHalf < klFull, `KL half ${klHalf}, full ${klFull}`);

  // a guard between the two keeps half of the change, and the optimizer's moments and step
  const shrunk = fresh();
  const out = await msgrpoUpdate(shrunk, p, {
    ...opts,
    klGuard: (klHalf + klFull) / 2,
    klGuardMode: "shrink",
  });
  assert.deepEqual([out.stepScale, out.rolledBack, shrunk.optimizer.iterations], [0.5, false, 2]);
  assert.ok(Math.abs(out.probeKl! - klFull) < 1e-5 * klFull, "probeKl is the full update's");
  const got = await weights(shrunk.model);
  got.forEach((w, i) => w.forEach((x, j) => assert.ok(Math.abs(x - half[i][j]) < 1e-6)));

  // a guard no halving reaches undoes it, as "undo" does
  const undone = fresh();
  const u = await msgrpoUpdate(undone, p, { ...opts, klGuard: 1e-12, klGuardMode: "shrink" });
  assert.deepEqual([u.stepScale, u.rolledBack, undone.optimizer.iterations], [0, true, 0]);
  assert.deepEqual(await weights(undone.model), start);
  // and under the guard nothing is shrunk
  const kept = fresh();
  const k = await msgrpoUpdate(kept, p, { ...opts, klGuard: 1e6, klGuardMode: "shrink" });
  assert.deepEqual([k.stepScale, k.rolledBack], [1, false]);
  for (const c of [plain, shrunk, undone, kept]) c.model.dispose();
});
