import assert from "node:assert/strict";
import { solvedGroupAdvantages } from "../../lib/msgrpo/solved.ts";
import { prepareUpdate } from "../../lib/msgrpo/prepare.ts";
import { makeEpisode } from "./fixtures.ts";

// Group 0: two wins (solved). Group 1: a win and a loss (mixed). Group 2: two losses (all-equal,
// not solved). Group 3: two wins with different returns (one paid a format penalty): mixed.
const pool = [
  makeEpisode(0, 0, 1),
  makeEpisode(0, 1, 1),
  makeEpisode(1, 0, 1),
  makeEpisode(1, 1, 0),
  makeEpisode(2, 0, 0),
  makeEpisode(2, 1, 0),
  makeEpisode(3, 0, 1),
  makeEpisode(3, 1, 0.9),
];

Deno.test("solvedGroupAdvantages() gives λ to the episodes of all-won groups only", () => {
  const before = [0, 0, 1, -1, 0, 0, 1, -1];
  assert.deepEqual(solvedGroupAdvantages(pool, before, 0.25), [0.25, 0.25, 1, -1, 0, 0, 1, -1]);
  // λ = 0 is the paper: nothing changes.
  assert.deepEqual(solvedGroupAdvantages(pool, before, 0), before);
  // The same group id in another iteration is another group.
  const later = { ...makeEpisode(0, 1, 0), iteration: 1 };
  assert.deepEqual(
    solvedGroupAdvantages([pool[0], later], [0, 0], 0.5),
    [0.5, 0],
  );
});

Deno.test("solvedGroupAdvantages() rejects a negative λ and misaligned advantages", () => {
  assert.throws(
    () => solvedGroupAdvantages(pool, pool.map(() => 0), -0.1),
    /must be a number >= 0, got -0.1/,
  );
  assert.throws(() => solvedGroupAdvantages(pool, [0], 0.5), /1 advantages for 8 episodes/);
});

Deno.test("prepareUpdate() with solvedAdvantage draws solved episodes in proportion to λ", () => {
  const opts = { seed: 3, iteration: 1, sampling: "aaw" as const, microBatchTokens: 4096 };
  const plain = prepareUpdate(pool, opts);
  assert.deepEqual(plain.advantages.slice(0, 2), [0, 0]);
  assert.equal(plain.timesDrawn[0] + plain.timesDrawn[1], 0);
  const imitating = prepareUpdate(pool, { ...opts, solvedAdvantage: 1, draws: 4000 });
  assert.deepEqual(imitating.advantages.slice(0, 2), [1, 1]);
  // |Â| is 1 for every episode but group 2's (0): each of the six draws 1/6 of the time.
  const share = (imitating.timesDrawn[0] + imitating.timesDrawn[1]) / 4000;
  assert.ok(Math.abs(share - 2 / 6) < 0.03, `solved share ${share}`);
  assert.equal(imitating.timesDrawn[4] + imitating.timesDrawn[5], 0);
  // Their rows carry the positive advantage into the loss.
  const solvedRows = imitating.rows.filter((r) => r.advantage === 1 && r.episode < 2);
  assert.ok(solvedRows.length > 0);
});
