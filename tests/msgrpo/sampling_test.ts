import assert from "node:assert/strict";
import { drawEpisodes, SumTree } from "../../lib/msgrpo/sampling.ts";
import { Rng } from "../../lib/util/rng.ts";

/** Assert observed frequencies match probabilities within 5 binomial standard errors. */
function assertFrequencies(counts: number[], probs: number[], total: number): void {
  assert.equal(counts.reduce((s, c) => s + c, 0), total);
  counts.forEach((c, i) => {
    const p = probs[i];
    const tol = 5 * Math.sqrt(Math.max(p * (1 - p), 1e-12) / total);
    assert.ok(Math.abs(c / total - p) <= tol, `episode ${i}: freq ${c / total} vs p ${p}`);
  });
}

const ADV = [2, -1, 0, 0.5, -0.5];

Deno.test("drawEpisodes() aaw draws with probability |A|/Σ|A| and never a zero advantage", () => {
  const M = 100_000;
  const r = drawEpisodes(ADV, { draws: M, rng: new Rng(11) });
  assert.equal(r.totalDraws, M);
  assert.equal(r.noUpdate, false);
  assert.equal(r.timesDrawn[2], 0);
  const sum = ADV.reduce((s, a) => s + Math.abs(a), 0);
  assertFrequencies(r.timesDrawn, ADV.map((a) => Math.abs(a) / sum), M);
});

Deno.test("drawEpisodes() aaw exponent k draws with probability |A|^k/Σ|A|^k", () => {
  const M = 100_000;
  const r = drawEpisodes(ADV, { draws: M, exponent: 2, rng: new Rng(12) });
  const w = ADV.map((a) => a * a);
  const sum = w.reduce((s, x) => s + x, 0);
  assertFrequencies(r.timesDrawn, w.map((x) => x / sum), M);
  // a smaller exponent flattens the distribution
  const h = drawEpisodes(ADV, { draws: M, exponent: 0.5, rng: new Rng(12) });
  const wh = ADV.map((a) => Math.sqrt(Math.abs(a)));
  const sh = wh.reduce((s, x) => s + x, 0);
  assertFrequencies(h.timesDrawn, wh.map((x) => x / sh), M);
});

Deno.test("drawEpisodes() draws the pool size by default", () => {
  const adv = [0.3, -0.3, 0, 1, -1, 0, 0.2, -0.2];
  const r = drawEpisodes(adv, { rng: new Rng(3) });
  assert.equal(r.totalDraws, adv.length);
  assert.equal(r.timesDrawn.reduce((s, c) => s + c, 0), adv.length);
  assert.equal(r.timesDrawn[2] + r.timesDrawn[5], 0);
});

Deno.test("drawEpisodes() without replacement draws distinct episodes, capped at the nonzero count", () => {
  const r = drawEpisodes(ADV, { draws: 3, replacement: false, rng: new Rng(5) });
  assert.equal(r.totalDraws, 3);
  assert.ok(r.timesDrawn.every((c) => c === 0 || c === 1));
  assert.equal(r.timesDrawn.reduce<number>((s, c) => s + c, 0), 3);
  assert.equal(r.timesDrawn[2], 0);
  const all = drawEpisodes(ADV, { draws: 10, replacement: false, rng: new Rng(5) });
  assert.deepEqual(all.timesDrawn, [1, 1, 0, 1, 1]);
  assert.equal(all.totalDraws, 4);
});

Deno.test("drawEpisodes() without replacement follows sequential weighted draws", () => {
  // Inclusion probability of i in 2 sequential draws: p_i + Σ_{j≠i} p_j · w_i / (W − w_j).
  const adv = [3, 1, 1, 0];
  const W = 5;
  const incl = adv.map((wi, i) => {
    let p = wi / W;
    adv.forEach((wj, j) => {
      if (j !== i) p += (wj / W) * (wi / (W - wj));
    });
    return p;
  });
  const trials = 20_000;
  const rng = new Rng(21);
  const counts = [0, 0, 0, 0];
  for (let k = 0; k < trials; k++) {
    const r = drawEpisodes(adv, { draws: 2, replacement: false, rng });
    r.timesDrawn.forEach((c, i) => (counts[i] += c));
  }
  assert.equal(counts[3], 0);
  counts.forEach((c, i) => {
    const p = incl[i];
    const tol = 5 * Math.sqrt(Math.max(p * (1 - p), 1e-12) / trials);
    assert.ok(Math.abs(c / trials - p) <= tol, `episode ${i}: ${c / trials} vs ${p}`);
  });
});

Deno.test("drawEpisodes() uniform draws every episode equally, zero advantages included", () => {
  const M = 100_000;
  const r = drawEpisodes(ADV, { mode: "uniform", draws: M, rng: new Rng(8) });
  assertFrequencies(r.timesDrawn, ADV.map(() => 1 / ADV.length), M);
  assert.ok(r.timesDrawn[2] > 0);
  const once = drawEpisodes(ADV, {
    mode: "uniform",
    replacement: false,
    rng: new Rng(8),
  });
  assert.deepEqual(once.timesDrawn, [1, 1, 1, 1, 1]);
});

Deno.test("drawEpisodes() all takes every episode once without an rng", () => {
  const r = drawEpisodes(ADV, { mode: "all" });
  assert.deepEqual(r.timesDrawn, [1, 1, 1, 1, 1]);
  assert.equal(r.totalDraws, 5);
  assert.equal(r.noUpdate, false);
});

Deno.test("drawEpisodes() flags noUpdate when every advantage is zero", () => {
  const zeros = [0, 0, 0, 0];
  const aaw = drawEpisodes(zeros, { rng: new Rng(1) });
  assert.deepEqual(aaw, { timesDrawn: [0, 0, 0, 0], totalDraws: 0, noUpdate: true });
  const uni = drawEpisodes(zeros, { mode: "uniform", rng: new Rng(1) });
  assert.equal(uni.noUpdate, true);
  assert.equal(uni.totalDraws, 4);
  assert.equal(drawEpisodes(zeros, { mode: "all" }).noUpdate, true);
  assert.deepEqual(drawEpisodes([], { rng: new Rng(1) }), {
    timesDrawn: [],
    totalDraws: 0,
    noUpdate: true,
  });
});

Deno.test("drawEpisodes() is deterministic in the rng seed", () => {
  const adv = Array.from({ length: 32 }, (_, i) => Math.sin(i + 1));
  for (const replacement of [true, false]) {
    const a = drawEpisodes(adv, { draws: 20, replacement, rng: new Rng(99) });
    const b = drawEpisodes(adv, { draws: 20, replacement, rng: new Rng(99) });
    const c = drawEpisodes(adv, { draws: 20, replacement, rng: new Rng(100) });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.timesDrawn, c.timesDrawn);
  }
});

Deno.test("drawEpisodes() rejects bad options with a clear message", () => {
  assert.throws(() => drawEpisodes(ADV), /mode "aaw" needs an rng/);
  // @ts-expect-error invalid on purpose
  assert.throws(() => drawEpisodes(ADV, { mode: "top" }), /mode must be/);
  assert.throws(() => drawEpisodes(ADV, { draws: -1, rng: new Rng(1) }), /draws must be/);
  assert.throws(() => drawEpisodes(ADV, { exponent: 0, rng: new Rng(1) }), /exponent must be/);
  assert.throws(() => drawEpisodes([1, NaN], { rng: new Rng(1) }), /advantages\[1\] is NaN/);
});

Deno.test("SumTree.sample() maps u to the weighted index and never to a zero weight", () => {
  const t = new SumTree([1, 0, 3, 0, 0]);
  assert.equal(t.total(), 4);
  assert.equal(t.sample(0), 0);
  assert.equal(t.sample(0.2499), 0);
  assert.equal(t.sample(0.25), 2);
  assert.equal(t.sample(1 - 2 ** -53), 2);
  t.set(2, 0);
  assert.equal(t.sample(0.99), 0);
  const u = new SumTree([0, 0, 0.1, 0.2, 0.3, 0]);
  for (const x of [0, 1e-17, 0.5, 1 - 2 ** -53]) assert.ok([2, 3, 4].includes(u.sample(x)));
  t.set(0, 0);
  assert.throws(() => t.sample(0.5), /all weights are 0/);
  assert.throws(() => new SumTree([1, -1]), /weight 1 must be finite and >= 0/);
});
