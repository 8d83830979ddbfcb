import assert from "node:assert/strict";
import {
  areaUnderCurve,
  bootstrapDiff,
  bootstrapMean,
  censoredIterations,
  compareArms,
  holm,
  iterationsToThreshold,
  percentile,
  permutationPower,
  permutationTest,
  relativeImprovement,
  signFlipTest,
} from "../../lib/stats/mod.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);
const pt = (iteration: number, value: number) => ({ iteration, value });

Deno.test("percentile() is the inverse empirical CDF (index ⌈p·n⌉ − 1)", () => {
  const v = Array.from({ length: 10_000 }, (_, i) => i);
  assert.equal(percentile(v, 0.025), 249);
  assert.equal(percentile(v, 0.975), 9749);
  assert.equal(percentile([7], 0.5), 7);
  assert.equal(percentile([1, 2], 1), 2);
  assert.throws(() => percentile([], 0.5));
  assert.throws(() => percentile([1], 1.5));
});

Deno.test("bootstrapMean() gives the hand-derived interval of a binomial resample", () => {
  // resampled means of [0,0,0,0,1] are k/5, k ~ Bin(5, 0.2): CDF .328 .737 .942 .993 .9997
  assert.deepEqual(bootstrapMean([0, 0, 0, 0, 1]), { lo: 0, hi: 0.6 });
  // [0, 1]: means 0, 0.5, 1 with probabilities 1/4, 1/2, 1/4
  assert.deepEqual(bootstrapMean([0, 1]), { lo: 0, hi: 1 });
  // a 40% interval of the same: the 30% and 70% quantiles both fall on 0.5
  assert.deepEqual(bootstrapMean([0, 1], { level: 0.4 }), { lo: 0.5, hi: 0.5 });
  assert.deepEqual(bootstrapMean([0.42]), { lo: 0.42, hi: 0.42 });
});

Deno.test("bootstrapMean() is reproducible by seed and varies with it", () => {
  const xs = [0.1, 0.5, 0.35, 0.9, 0.6, 0.2];
  assert.deepEqual(bootstrapMean(xs, { seed: 3 }), bootstrapMean(xs, { seed: 3 }));
  const a = bootstrapMean(xs, { seed: 3, resamples: 200 });
  const b = bootstrapMean(xs, { seed: 4, resamples: 200 });
  assert.notDeepEqual(a, b);
  const iv = bootstrapMean(xs);
  assert.ok(iv.lo < 0.4417 && 0.4417 < iv.hi && iv.lo >= 0.1 && iv.hi <= 0.9);
});

Deno.test("bootstrap functions reject empty or non-finite values and bad options", () => {
  assert.throws(() => bootstrapMean([]));
  assert.throws(() => bootstrapMean([1, NaN]));
  assert.throws(() => bootstrapMean([1], { resamples: 0 }));
  assert.throws(() => bootstrapMean([1], { level: 1 }));
  assert.throws(() => bootstrapDiff([1, 2], [1], { paired: true }));
});

Deno.test("bootstrapDiff() resamples the arms independently, or jointly when paired", () => {
  // b constant: the difference's distribution is a's mean distribution shifted
  assert.deepEqual(bootstrapDiff([0, 1], [0, 0, 0]), { lo: 0, hi: 1 });
  const shifted = bootstrapDiff([0, 0, 0, 0, 1], [0.5]);
  close(shifted.lo, -0.5);
  close(shifted.hi, 0.1);
  // paired differences all equal 1; unpaired the same data vary from −1 to 3
  assert.deepEqual(bootstrapDiff([1, 2, 3], [0, 1, 2], { paired: true }), { lo: 1, hi: 1 });
  const u = bootstrapDiff([1, 2, 3], [0, 1, 2]);
  assert.ok(u.lo < 1 && u.hi > 1);
});

Deno.test("permutationTest() enumerates exactly: hand-counted p-values", () => {
  assert.equal(permutationTest([1, 2, 3], [4, 5, 6]).p, 2 / 20);
  // [5] vs [1,2,3]: the four single picks give |diff| 3, 7/3, 1, 1/3 → only 5 reaches 3
  const r = permutationTest([5], [1, 2, 3]);
  assert.equal(r.p, 1 / 4);
  assert.equal(r.count, 4);
  // 5 vs 5 fully separated: 2 of C(10,5) = 252
  assert.equal(permutationTest([1, 1, 1, 1, 1], [0, 0, 0, 0, 0]).p, 2 / 252);
  // identical arms: every relabelling reaches 0
  assert.equal(permutationTest([0, 0, 1], [0, 0, 1]).p, 1);
  // ties in floating point are not lost (0.1 + 0.2 ≠ 0.3)
  assert.equal(permutationTest([0.1, 0.2], [0.3, 0]).p, 1);
});

Deno.test("permutationTest() Monte Carlo approximates the exact p and never reports 0", () => {
  const mc = permutationTest([1, 2, 3], [4, 5, 6], { maxExact: 0, resamples: 20_000, seed: 5 });
  assert.equal(mc.method, "monte-carlo");
  close(mc.p, 0.1, 0.01);
  const sep = permutationTest(
    Array(12).fill(1),
    Array(12).fill(0),
    { resamples: 1000 },
  );
  assert.equal(sep.method, "monte-carlo"); // C(24, 12) = 2 704 156 relabellings
  assert.ok(sep.p > 0 && sep.p <= 3 / 1001);
  assert.deepEqual(
    permutationTest([1, 2, 3], [4, 5, 6], { maxExact: 0, seed: 9 }),
    permutationTest([1, 2, 3], [4, 5, 6], { maxExact: 0, seed: 9 }),
  );
});

Deno.test("signFlipTest() counts sign flips: five paired seeds cannot reach 0.05", () => {
  assert.equal(signFlipTest([2, 4, 6], [1, 2, 3]).p, 0.25);
  assert.equal(signFlipTest([1, 1, 1, 1, 1], [0, 0, 0, 0, 0]).p, 2 / 32);
  assert.equal(signFlipTest([3, 3], [3, 3]).p, 1);
  // d = [1, −1, 2]: sums over flips ±1±1±2 → |sum| ≥ 2 in 6 of 8
  assert.equal(signFlipTest([1, 0, 2], [0, 1, 0]).p, 6 / 8);
  assert.throws(() => signFlipTest([1, 2], [1]));
});

Deno.test("holm() multiplies sorted p-values by m − k and keeps them monotone", () => {
  const adj = holm([0.04, 0.01, 0.03, 0.5]);
  [0.09, 0.04, 0.09, 0.5].forEach((p, i) => close(adj[i], p));
  assert.deepEqual(holm([0.6, 0.9]), [1, 1]);
  assert.deepEqual(holm([]), []);
});

Deno.test("relativeImprovement() is a ratio of means − 1 with a bootstrap interval", () => {
  const r = relativeImprovement([0.5, 0.7], [0.4, 0.4]);
  close(r.estimate!, 0.5);
  // a's resampled means 0.5, 0.6, 0.7 → ratios −1 = 0.25, 0.5, 0.75
  close(r.interval!.lo, 0.25);
  close(r.interval!.hi, 0.75);
  assert.equal(r.zeroBaseShare, 0);
  // ratio of means, not mean of ratios: (0.2 + 0.4)/(0.1 + 0.4) − 1 = 0.2
  close(relativeImprovement([0.2, 0.4], [0.1, 0.4]).estimate!, 0.2);
  // paired with proportional values: every resample has ratio 2
  const p = relativeImprovement([1, 2], [0.5, 1], { paired: true });
  assert.equal(p.estimate, 1);
  assert.deepEqual(p.interval, { lo: 1, hi: 1 });
});

Deno.test("relativeImprovement() says clearly when the base mean is 0", () => {
  const z = relativeImprovement([0.5, 0.1], [0, 0]);
  assert.equal(z.estimate, null);
  assert.equal(z.interval, null);
  assert.match(z.note!, /base mean is 0/);
  // base [0, 0.5]: 1/4 of the resamples have base mean 0 → the upper bound is +∞
  const u = relativeImprovement([1, 1], [0, 0.5]);
  assert.equal(u.estimate, 3);
  assert.deepEqual(u.interval, { lo: 1, hi: Infinity });
  close(u.zeroBaseShare, 0.25, 0.02);
  // after [0, 1] and base [0, 0.5]: 1/16 of the resamples are 0/0 → no interval
  const n = relativeImprovement([0, 1], [0, 0.5]);
  assert.equal(n.estimate, 1);
  assert.equal(n.interval, null);
  assert.match(n.note!, /0\/0/);
  assert.throws(() => relativeImprovement([-1], [1]));
});

Deno.test("areaUnderCurve() is the trapezoid area over the iteration span", () => {
  assert.equal(areaUnderCurve([pt(0, 0), pt(10, 1)]), 0.5);
  // unsorted input, uneven spacing: (20·(0.2 + 0.6)/2 + 40·(0.6 + 1)/2) / 60 = 40/60
  close(areaUnderCurve([pt(60, 1), pt(0, 0.2), pt(20, 0.6)]), 40 / 60);
  assert.equal(areaUnderCurve([pt(0, 0.8), pt(50, 0.8), pt(100, 0.8)]), 0.8);
  assert.equal(areaUnderCurve([pt(5, 0.3)]), 0.3);
  assert.throws(() => areaUnderCurve([]));
  assert.throws(() => areaUnderCurve([pt(0, 0), pt(0, 1)]));
});

Deno.test("iterationsToThreshold() and censoredIterations() find the first evaluation ≥ level", () => {
  const c = [pt(40, 0.85), pt(0, 0.1), pt(20, 0.79), pt(60, 0.5)];
  assert.equal(iterationsToThreshold(c, 0.8), 40);
  assert.equal(iterationsToThreshold(c, 0.1), 0);
  assert.equal(iterationsToThreshold(c, 0.9), null);
  assert.deepEqual(censoredIterations(c, 0.8), { value: 40, censored: false });
  assert.deepEqual(censoredIterations(c, 0.9), { value: 80, censored: true });
  assert.throws(() => censoredIterations([pt(0, 0)], 0.8));
});

Deno.test("compareArms() pairs by seed only when both arms hold the same seeds", () => {
  const a = [0.8, 0.9, 1.0, 0.7, 0.9], b = [0.3, 0.5, 0.2, 0.4, 0.3];
  const c = compareArms(a, b, { relative: true, seedsA: [1, 2, 3, 4, 5], seedsB: [1, 2, 3, 4, 5] });
  close(c.difference, 0.52);
  assert.equal(c.permutation.p, 2 / 252);
  assert.equal(c.signFlip!.p, 2 / 32);
  close(c.relative!.estimate!, 0.86 / 0.34 - 1);
  assert.deepEqual(c.a.interval, bootstrapMean(a));
  assert.deepEqual(c.differenceInterval, bootstrapDiff(a, b));
  const d = compareArms(a, b, { seedsA: [1, 2, 3, 4, 5], seedsB: [1, 2, 3, 4, 6] });
  assert.equal(d.signFlip, null);
  assert.equal(d.relative, null);
  assert.throws(() => compareArms(a, b, { seedsA: [1], seedsB: [1] }));
});

Deno.test("permutationPower() is at most α without an effect and grows with the effect", () => {
  const p0 = permutationPower(0, 5, 0.05, { simulations: 400 });
  assert.ok(p0 <= 0.08, `size ${p0}`); // exact test: ≤ α up to simulation noise (sd ≈ 0.011)
  const p1 = permutationPower(1, 5, 0.05, { simulations: 400 });
  const p3 = permutationPower(3, 5, 0.05, { simulations: 400 });
  assert.ok(p1 < p3 && p3 > 0.9, `${p1} ${p3}`);
  assert.equal(permutationPower(10, 5, 0.005, { simulations: 20 }), 0); // min p is 2/252
  assert.equal(permutationPower(10, 8, 0.005, { simulations: 20 }), 1); // min p is 2/12 870
});
