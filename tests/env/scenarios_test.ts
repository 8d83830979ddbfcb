import { assertClose, assertEquals, assertThrows, assertTrue } from "./_assert.ts";
import {
  EPISODES_PER_SCENARIO,
  getScenario,
  scenarioOptima,
  SCENARIOS,
} from "../../lib/env/scenarios.ts";
import { FrozenLakeEnv } from "../../lib/env/frozen_lake.ts";
import { SnakeEnv } from "../../lib/env/snake.ts";
import { generateRandomMap } from "../../lib/env/frozen_lake_maps.ts";
import { oracleAction, randomAction } from "../../lib/env/scripted.ts";
import { Rng } from "../../lib/util/rng.ts";

const NAMES = [
  "FrozenLake-NoSlip",
  "FrozenLake-Slippery",
  "Snake-8",
  "Snake-20",
  "FrozenLake-BigSlippery",
];

Deno.test("SCENARIOS holds the five named scenarios with 50 distinct fixed seeds each", () => {
  assertEquals(Object.keys(SCENARIOS), NAMES);
  const all = new Set<number>();
  for (const name of NAMES) {
    const sc = getScenario(name);
    assertEquals(sc.name, name);
    assertEquals(sc.episodeSeeds.length, EPISODES_PER_SCENARIO);
    assertEquals(new Set(sc.episodeSeeds).size, 50);
    sc.episodeSeeds.forEach((s) => all.add(s));
    assertEquals(getScenario(name).episodeSeeds, sc.episodeSeeds);
  }
  assertEquals(all.size, 250, "seeds are shared between scenarios");
});

Deno.test("getScenario() names the unknown scenario and lists the known ones", () => {
  assertThrows(() => getScenario("FrozenLake-Hard"), Error, `"FrozenLake-Hard"`);
  assertThrows(() => getScenario("toString"), Error, "known: FrozenLake-NoSlip, ");
});

Deno.test("scenario makeEnv() applies the documented settings", () => {
  const cases: [string, number, boolean | null, number][] = [
    ["FrozenLake-NoSlip", 8, false, 4],
    ["FrozenLake-Slippery", 15, true, 4],
    ["FrozenLake-BigSlippery", 20, true, 8],
  ];
  for (const [name, T, slip, size] of cases) {
    const sc = getScenario(name);
    const env = sc.makeEnv({ renderStyle: "compact", formatPenalty: 0.1 }) as FrozenLakeEnv;
    assertTrue(env instanceof FrozenLakeEnv);
    assertEquals([env.name, env.maxSteps, env.slippery, env.renderStyle], [
      name,
      T,
      slip,
      "compact",
    ]);
    env.reset(sc.episodeSeeds[3]);
    assertEquals(env.desc.length, size);
    const p = name === "FrozenLake-NoSlip" ? 0.8 : 0.9;
    assertEquals([...env.desc], generateRandomMap(size, p, sc.episodeSeeds[3]));
    assertClose(env.stepText(["?"]).rewards[0], -0.1, 1e-12);
  }
  for (const [name, T] of [["Snake-8", 8], ["Snake-20", 20]] as const) {
    const env = getScenario(name).makeEnv() as SnakeEnv;
    assertTrue(env instanceof SnakeEnv);
    assertEquals([env.maxSteps, env.opponents, env.numApples, env.width, env.height], [
      T,
      1,
      5,
      10,
      10,
    ]);
    env.reset(getScenario(name).episodeSeeds[0]);
    const s = env.getState();
    assertEquals([s.snakes.length, s.apples.length], [2, 5]);
    const rng = new Rng(1);
    let steps = 0;
    while (!env.done) {
      env.step([randomAction(env, rng)]);
      steps++;
    }
    assertTrue(steps <= T);
  }
});

Deno.test("scenario optimalSuccess is the mean per-episode optimum, in (0, 1]", () => {
  for (const name of ["FrozenLake-NoSlip", "FrozenLake-Slippery", "FrozenLake-BigSlippery"]) {
    const sc = getScenario(name);
    const per = scenarioOptima(sc);
    assertEquals(per.length, 50);
    assertTrue(per.every((p) => p >= 0 && p <= 1));
    const mean = per.reduce((a, b) => a + b, 0) / 50;
    assertClose(sc.optimalSuccess!, mean, 1e-12, name);
    assertTrue(sc.optimalSuccess! > 0 && sc.optimalSuccess! <= 1, `${name}: ${sc.optimalSuccess}`);
    if (name === "FrozenLake-NoSlip") {
      assertTrue(per.every((p) => p === 0 || p === 1), "deterministic maps give 0 or 1");
    } else {
      assertTrue(sc.optimalSuccess! < 1, `${name} is slippery, optimum ${sc.optimalSuccess}`);
    }
  }
  assertEquals(getScenario("Snake-8").optimalSuccess, undefined);
  assertThrows(() => scenarioOptima("Snake-20"), Error, "Snake-20 is a snake scenario");
});

Deno.test("the oracle wins exactly the solvable FrozenLake-NoSlip episodes", () => {
  const sc = getScenario("FrozenLake-NoSlip");
  const env = sc.makeEnv();
  let wins = 0;
  for (const seed of sc.episodeSeeds) {
    env.reset(seed);
    let r;
    while (!env.done) r = env.stepText([env.formatAction(oracleAction(env))]);
    wins += r!.info.success ? 1 : 0;
  }
  assertEquals(wins / 50, sc.optimalSuccess);
});
