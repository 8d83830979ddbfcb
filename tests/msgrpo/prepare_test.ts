import assert from "node:assert/strict";
import { prepareUpdate } from "../../lib/msgrpo/prepare.ts";
import { shuffleSeed } from "../../lib/util/seeds.ts";
import type { Episode } from "../../lib/msgrpo/types.ts";
import { deriveSeed } from "../../lib/util/rng.ts";
import { makeEpisode } from "./fixtures.ts";

const base = { seed: 3, iteration: 2, microBatchTokens: 1000 };
const rowKeys = (p: ReturnType<typeof prepareUpdate>) => p.rows.map((r) => `${r.episode}.${r.t}`);

Deno.test("prepareUpdate() computes returns once, with γ, and the advantages from them", () => {
  // rewards [0, 0, 1] and [0, 0]; the episodes' own `return` (the undiscounted sum) is not used
  const eps = [makeEpisode(0, 0, 1, 3), makeEpisode(0, 1, 0, 2)];
  eps[0].return = 99;
  const p = prepareUpdate(eps, { ...base, gamma: 0.5, normalize: "none", sampling: "all" });
  assert.deepEqual(p.returns, [0.25, 0]);
  assert.deepEqual(p.advantages, [0.125, -0.125]);
  assert.deepEqual(p.timesDrawn, [1, 1]);
  assert.deepEqual(p.groups.map((g) => [g.size, g.mean, g.std]), [[2, 0.125, 0.125]]);
  assert.deepEqual([p.zeroVarianceFraction, p.meanGroupStd, p.idle], [0, 0.125, false]);
  assert.deepEqual(rowKeys(p), ["0.0", "0.1", "0.2", "1.0", "1.1"]);
  // one optimizer step, one micro-batch: 5 rows × 2 tokens, old log-probs padded to width 2
  assert.equal(p.steps.length, 1);
  assert.equal(p.steps[0].normalizer, 10);
  const [micro] = p.steps[0].micro;
  assert.equal(p.steps[0].micro.length, 1);
  assert.equal(micro.completionLen, 2);
  assert.deepEqual(Array.from(micro.advantages), [0.125, 0.125, 0.125, -0.125, -0.125]);
  assert.deepEqual(
    Array.from(micro.oldLogprobs.slice(0, 4)),
    [-1, -1.01, -1.1, -1.11].map(Math.fround),
  );
});

Deno.test("prepareUpdate() with no signal skips the update unless idle updates regularize", () => {
  const eps = [makeEpisode(0, 0, 1), makeEpisode(0, 1, 1)];
  const skip = prepareUpdate(eps, base);
  assert.deepEqual([skip.advantages, skip.timesDrawn, skip.rows, skip.steps], [
    [0, 0],
    [0, 0],
    [],
    [],
  ]);
  assert.equal(skip.idle, false);
  // "regularize" without an entropy bonus or reference KL has nothing to train either
  const bare = prepareUpdate(eps, { ...base, idleUpdate: "regularize", regularized: false });
  assert.deepEqual([bare.idle, bare.steps.length], [false, 0]);
  const idle = prepareUpdate(eps, { ...base, idleUpdate: "regularize", regularized: true });
  assert.equal(idle.idle, true);
  assert.deepEqual(idle.timesDrawn, [0, 0]); // the logs still report no draws
  assert.deepEqual(idle.rows.map((r) => [r.episode, r.weight, r.advantage]), [
    [0, 1, 0],
    [0, 1, 0],
    [1, 1, 0],
    [1, 1, 0],
  ]);
  assert.equal(idle.steps.length, 1);
});

Deno.test("prepareUpdate() plans epochs × minibatches steps: pass 0 in pool order, later passes shuffled", () => {
  const eps = [makeEpisode(0, 0, 1, 3), makeEpisode(0, 1, 0, 2)];
  const p = prepareUpdate(eps, { ...base, sampling: "all", epochs: 2, minibatches: 2 });
  assert.deepEqual(p.steps.map((s) => s.epoch), [0, 0, 1, 1]);
  // 5 rows in 2 slices: rows [0, 2) and [2, 5), each row 2 tokens
  assert.deepEqual(p.steps.map((s) => s.normalizer), [4, 6, 4, 6]);
  const firsts = (k: number) => p.steps[k].micro[0].completions.map((c) => c[0]);
  assert.deepEqual([...firsts(0), ...firsts(1)], [0, 10, 20, 1000 * 1, 1010]);
  const pass1 = [...firsts(2), ...firsts(3)];
  assert.deepEqual([...pass1].sort((a, b) => a - b), [0, 10, 20, 1000, 1010]);
  assert.notDeepEqual(pass1, [0, 10, 20, 1000, 1010], "pass 1 is shuffled (seed-dependent)");
  // the shuffle's seed is part of the reproducibility contract of earlier runs
  assert.equal(shuffleSeed(3, 2, 1), deriveSeed(3, 2, 1));
});

Deno.test("prepareUpdate() merges duplicate rows per step and cuts micro-batches by padded tokens", () => {
  const twin: Episode = { ...makeEpisode(0, 0, 1), index: 1 }; // same steps as episode 0
  const eps = [makeEpisode(0, 0, 1), twin, makeEpisode(0, 2, 0)];
  // each row is 2 prompt + 2 completion tokens: a budget of 8 holds 2 rows
  const p = prepareUpdate(eps, { ...base, sampling: "all", microBatchTokens: 8 });
  assert.equal(p.rows.length, 6);
  const [step] = p.steps;
  assert.deepEqual(step.micro.map((m) => m.prompts.length), [2, 2]);
  assert.deepEqual(step.micro.flatMap((m) => Array.from(m.weights)), [2, 2, 1, 1]);
  assert.equal(step.normalizer, 2 * 2 * 2 + 2 * 1 * 2);
});

Deno.test("prepareUpdate() with zeroAdvantageRows skip drops Â = 0 rows but keeps them in the normalizer", () => {
  // group 0 returns 1, 0 (Â = ±0.5 with normalize none); group 1 returns 1, 1 (Â = 0); 8 rows × 2 tokens
  const eps = [
    makeEpisode(0, 0, 1),
    makeEpisode(0, 1, 0),
    makeEpisode(1, 0, 1),
    makeEpisode(1, 1, 1),
  ];
  const opts = { ...base, normalize: "none" as const, sampling: "all" as const };
  const train = prepareUpdate(eps, opts);
  const skip = prepareUpdate(eps, { ...opts, zeroAdvantageRows: "skip" });
  const advantages = (p: ReturnType<typeof prepareUpdate>) =>
    p.steps.flatMap((s) => s.micro.flatMap((m) => Array.from(m.advantages)));
  assert.deepEqual(advantages(train), [0.5, 0.5, -0.5, -0.5, 0, 0, 0, 0]);
  assert.deepEqual(advantages(skip), [0.5, 0.5, -0.5, -0.5]);
  // the zero rows still dilute the step: Σ w · tokens over all 8 rows
  assert.deepEqual([train.steps[0].normalizer, skip.steps[0].normalizer], [16, 16]);
  // two slices, one per group: the all-zero slice makes no optimizer step
  const halves = prepareUpdate(eps, { ...opts, zeroAdvantageRows: "skip", minibatches: 2 });
  assert.deepEqual(halves.steps.map((s) => s.normalizer), [8]);
  // with no signal at all, an idle update still trains every row (its regularizers need them)
  const flat = [makeEpisode(0, 0, 1), makeEpisode(0, 1, 1)];
  const idle = prepareUpdate(flat, {
    ...opts,
    zeroAdvantageRows: "skip",
    idleUpdate: "regularize",
    regularized: true,
  });
  assert.deepEqual([idle.idle, advantages(idle).length], [true, 4]);
});
