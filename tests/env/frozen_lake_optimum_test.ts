import { assertClose, assertEquals, assertThrows, assertTrue } from "./_assert.ts";
import { frozenLakeOptimum } from "../../lib/env/frozen_lake_optimum.ts";
import { FROZEN_LAKE_MAPS } from "../../lib/env/frozen_lake_maps.ts";
import { FrozenLakeEnv } from "../../lib/env/frozen_lake.ts";
import { oracleAction, randomAction } from "../../lib/env/scripted.ts";
import { Rng } from "../../lib/util/rng.ts";

const MAP4 = [...FROZEN_LAKE_MAPS["4x4"]], MAP8 = [...FROZEN_LAKE_MAPS["8x8"]];

Deno.test("frozenLakeOptimum() gives 0.744190 on the standard 4x4 slippery map with T = 100", () => {
  const p = frozenLakeOptimum(MAP4, { slippery: true, maxSteps: 100 }).successProbability;
  assertEquals(p.toFixed(6), "0.744190");
  // value iteration over Gymnasium 1.4.0's own env.P gives the same double
  assertClose(p, 0.7441902878292689, 1e-15);
});

Deno.test("frozenLakeOptimum() gives 0.913220 on the standard 8x8 slippery map with T = 200", () => {
  const p = frozenLakeOptimum(MAP8, { slippery: true, maxSteps: 200 }).successProbability;
  assertEquals(p.toFixed(6), "0.913220");
  assertClose(p, 0.9132201502016288, 1e-15);
});

Deno.test("frozenLakeOptimum() is a step function of T without slips", () => {
  // the shortest path on the 4x4 map takes 6 moves, on the 8x8 map 14
  assertEquals(frozenLakeOptimum(MAP4, { slippery: false, maxSteps: 5 }).successProbability, 0);
  assertEquals(frozenLakeOptimum(MAP4, { slippery: false, maxSteps: 6 }).successProbability, 1);
  assertEquals(frozenLakeOptimum(MAP8, { slippery: false, maxSteps: 13 }).successProbability, 0);
  assertEquals(frozenLakeOptimum(MAP8, { slippery: false, maxSteps: 14 }).successProbability, 1);
  assertEquals(frozenLakeOptimum(["SG"], { slippery: false, maxSteps: 0 }).successProbability, 0);
});

Deno.test("frozenLakeOptimum() values are monotone in steps left and 0 on G and H", () => {
  const opt = frozenLakeOptimum(MAP4, { slippery: true, maxSteps: 100 });
  for (let k = 1; k <= 100; k++) {
    for (let s = 0; s < 16; s++) assertTrue(opt.value(s, k) >= opt.value(s, k - 1) - 1e-15);
  }
  for (const s of [5, 7, 11, 12, 15]) assertEquals(opt.value(s, 50), 0);
  // one step left on 14 (left of G): down, right and up each reach G with probability 1/3
  // (down and up by slipping, (1 - 1/3) / 2 = 0.33333333333333337 > 1/3 by one ulp): a tie within
  // the tolerance, so down (1) is chosen
  assertClose(opt.value(14, 1), 1 / 3, 1e-15);
  assertEquals(opt.action(14, 1), 1);
  assertEquals(opt.value(0, 100), opt.successProbability);
});

Deno.test("frozenLakeOptimum() breaks ties by the lowest action index", () => {
  // from the start of the 4x4 map both down and right begin a 6-move path: down (1) wins
  const opt = frozenLakeOptimum(MAP4, { slippery: false, maxSteps: 6 });
  assertEquals(opt.action(0, 6), 1);
  // with 0 steps left every action is tied: left (0)
  assertEquals(opt.action(0, 0), 0);
  // known optimal first move of the slippery 4x4 map: left (pushes away from the holes)
  assertEquals(frozenLakeOptimum(MAP4, { slippery: true, maxSteps: 100 }).action(0, 100), 0);
});

Deno.test("frozenLakeOptimum() rejects bad arguments naming the value", () => {
  assertThrows(() => frozenLakeOptimum(MAP4, { slippery: true, maxSteps: -1 }), Error, "-1");
  assertThrows(
    () => frozenLakeOptimum(["SFX", "FFG"], { slippery: true, maxSteps: 5 }),
    Error,
    "X",
  );
  const opt = frozenLakeOptimum(MAP4, { slippery: true, maxSteps: 10 });
  assertThrows(() => opt.action(16, 3), Error, "state 16");
  assertThrows(() => opt.value(0, 11), Error, "stepsLeft 11");
});

Deno.test("oracleAction() reaches the goal about as often as the optimum says", () => {
  const env = new FrozenLakeEnv({ mapName: "4x4", slippery: true });
  const n = 3000;
  let wins = 0;
  for (let ep = 0; ep < n; ep++) {
    env.reset(0, ep);
    let r;
    while (!env.done) r = env.stepText([env.formatAction(oracleAction(env))]);
    if (r!.info.success) wins++;
  }
  const p = env.optimum().successProbability, sd = Math.sqrt(p * (1 - p) / n);
  assertClose(wins / n, p, 4 * sd, "oracle success rate");
});

Deno.test("oracleAction() beats random play and solves non-slippery maps", () => {
  const env = new FrozenLakeEnv({ randomMap: { size: 4, p: 0.8 }, slippery: false, maxSteps: 8 });
  const rng = new Rng(3);
  let oracle = 0, random = 0, solvable = 0;
  for (let seed = 0; seed < 100; seed++) {
    env.reset(seed);
    solvable += env.optimum().successProbability;
    let r;
    while (!env.done) r = env.step([oracleAction(env)]);
    oracle += r!.info.success ? 1 : 0;
    env.reset(seed);
    while (!env.done) r = env.step([randomAction(env, rng)]);
    random += r!.info.success ? 1 : 0;
  }
  assertEquals(oracle, solvable);
  assertTrue(random < oracle / 4, `random ${random} vs oracle ${oracle}`);
  assertThrows(() => oracleAction({ name: "Snake-10x10" } as never), Error, "Snake-10x10");
});
