import assert from "node:assert/strict";
import {
  assignAdvantages,
  episodeReturn,
  groupAdvantages,
  poolAdvantages,
} from "../../lib/msgrpo/advantages.ts";
import { buildBatch } from "../../lib/msgrpo/batch.ts";
import { makeEpisode } from "./fixtures.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b} (tol ${tol})`);
const allClose = (a: number[], b: number[], tol = 1e-12) => {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => close(x, b[i], tol));
};

Deno.test("episodeReturn() sums rewards undiscounted by default and discounts with gamma", () => {
  assert.equal(episodeReturn([1, 2, 3]), 6);
  assert.equal(episodeReturn([]), 0);
  close(episodeReturn([-0.1, 0, 1]), 0.9);
  // 1 + 0.9·2 + 0.81·3
  close(episodeReturn([1, 2, 3], 0.9), 5.23);
  assert.equal(episodeReturn([5, 7, 9], 0), 5);
  assert.throws(() => episodeReturn([1], 1.5), /gamma must be in \[0, 1\]/);
  assert.throws(() => episodeReturn([1, NaN]), /rewards\[1\] is not finite/);
});

Deno.test("groupAdvantages() standardises with the population std and eps", () => {
  // mean 0.25, population variance 0.1875 → std √3/4: advantages √3 and −1/√3 without eps.
  const s3 = Math.sqrt(3);
  allClose(groupAdvantages([1, 0, 0, 0], { eps: 0 }), [s3, -1 / s3, -1 / s3, -1 / s3]);
  const std = Math.sqrt(0.1875);
  allClose(groupAdvantages([1, 0, 0, 0]), [0.75, -0.25, -0.25, -0.25].map((c) => c / (std + 1e-6)));
  // ddof 1: variance 0.25 → std 0.5
  allClose(groupAdvantages([1, 0, 0, 0], { ddof: 1, eps: 0 }), [1.5, -0.5, -0.5, -0.5]);
  // advantages of a standardised group have mean 0 and population std ≈ 1
  const adv = groupAdvantages([3, -1, 0.5, 2, 7]);
  close(adv.reduce((s, x) => s + x, 0), 0, 1e-9);
  close(Math.sqrt(adv.reduce((s, x) => s + x * x, 0) / adv.length), 1, 1e-5);
});

Deno.test("groupAdvantages() with normalize none only subtracts the group mean (Dr.GRPO)", () => {
  allClose(groupAdvantages([1, 0, 0, 0], { normalize: "none" }), [0.75, -0.25, -0.25, -0.25]);
  allClose(groupAdvantages([2, 4], { normalize: "none" }), [-1, 1]);
});

Deno.test("groupAdvantages() gives exact zeros for a zero-variance group", () => {
  // the naive formula leaves rounding noise amplified by 1/eps here
  const rs = [0.1, 0.1, 0.1];
  const naiveMean = (rs[0] + rs[1] + rs[2]) / 3;
  assert.notEqual((rs[0] - naiveMean) / 1e-6, 0);
  for (const normalize of ["std", "none"] as const) {
    const adv = groupAdvantages(rs, { normalize });
    assert.deepEqual(adv, [0, 0, 0]);
    adv.forEach((a) => assert.ok(Object.is(a, 0), "must be +0"));
  }
  assert.deepEqual(groupAdvantages([5]), [0]);
  assert.deepEqual(groupAdvantages([]), []);
});

Deno.test("groupAdvantages() rejects bad options and returns", () => {
  assert.throws(() => groupAdvantages([1, 2], { eps: -1 }), /eps must be/);
  // @ts-expect-error invalid on purpose
  assert.throws(() => groupAdvantages([1, 2], { normalize: "max" }), /normalize must be/);
  assert.throws(() => groupAdvantages([1, Infinity]), /returns\[1\] is Infinity/);
});

Deno.test("poolAdvantages() normalises per group or by the batch std", () => {
  const returns = [1, 0, 3, 3, 2, 0];
  const groups = ["a", "a", "b", "b", "c", "c"];
  const perGroup = poolAdvantages(returns, groups, { eps: 0 });
  allClose(perGroup, [1, -1, 0, 0, 1, -1]);
  // batch mean 1.5, population variance 9.5/6; group-centred returns [.5,-.5,0,0,1,-1]
  const bstd = Math.sqrt(9.5 / 6);
  const batch = poolAdvantages(returns, groups, { scope: "batch" });
  allClose(batch, [0.5, -0.5, 0, 0, 1, -1].map((c) => c / (bstd + 1e-6)));
  assert.ok(Object.is(batch[2], 0) && Object.is(batch[3], 0));
  const none = poolAdvantages(returns, groups, { scope: "batch", normalize: "none" });
  allClose(none, [0.5, -0.5, 0, 0, 1, -1]);
  // group membership is by key, not position
  allClose(poolAdvantages([1, 5, 0, 5], [0, 1, 0, 1], { eps: 0 }), [1, 0, -1, 0]);
  assert.throws(() => poolAdvantages([1, 2], [0]), /2 returns but 1 group keys/);
  // @ts-expect-error invalid on purpose
  assert.throws(() => poolAdvantages([1, 2], [0, 0], { scope: "all" }), /scope must be/);
});

Deno.test("assignAdvantages() gives every step its episode's advantage and summarises groups", () => {
  const eps = [
    makeEpisode(0, 0, 1, 3),
    makeEpisode(0, 1, 0, 2),
    makeEpisode(1, 0, -0.1, 4),
    makeEpisode(1, 1, -0.1, 1),
    // same group id, other iteration: a different group
    makeEpisode(0, 0, 2, 2, 1),
    makeEpisode(0, 1, 0, 2, 1),
  ];
  const a = assignAdvantages(eps, { eps: 0 });
  allClose(a.episode, [1, -1, 0, 0, 1, -1]);
  assert.deepEqual(a.groups.map((g) => [g.iteration, g.group, g.size, g.zeroVariance]), [
    [0, 0, 2, false],
    [0, 1, 2, true],
    [1, 0, 2, false],
  ]);
  allClose(a.groups.map((g) => g.mean), [0.5, -0.1, 1]);
  allClose(a.groups.map((g) => g.std), [0.5, 0, 1]);
  close(a.zeroVarianceFraction, 1 / 3);
  close(a.meanGroupStd, 0.5);
  const empty = assignAdvantages([]);
  assert.deepEqual([empty.episode, empty.zeroVarianceFraction, empty.meanGroupStd], [[], 0, 0]);
});

Deno.test("assignAdvantages() uses each episode's whole return, not a return-to-go", () => {
  // the reward comes at the last step; the first step still gets the full episode advantage
  const eps = [makeEpisode(0, 0, 1, 5), makeEpisode(0, 1, 0, 5)];
  const a = assignAdvantages(eps, { normalize: "none" });
  const rows = buildBatch(eps, a.episode, [1, 1]);
  assert.deepEqual(rows.map((r) => [r.episode, r.t, r.advantage]), [
    ...[0, 1, 2, 3, 4].map((t) => [0, t, 0.5]),
    ...[0, 1, 2, 3, 4].map((t) => [1, t, -0.5]),
  ]);
});
