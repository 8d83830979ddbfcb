import { assertClose, assertEquals, assertThrows, assertTrue } from "./_assert.ts";
import { FrozenLakeEnv } from "../../lib/env/frozen_lake.ts";
import { generateRandomMap } from "../../lib/env/frozen_lake_maps.ts";
import { Rng } from "../../lib/util/rng.ts";

function trajectory(env: FrozenLakeEnv, seed: number, dyn: number, actions: number[]): number[] {
  env.reset(seed, dyn);
  const states = [env.state];
  for (const a of actions) {
    if (env.done) break;
    states.push(env.step([a]).info.state as number);
  }
  return states;
}

Deno.test("FrozenLakeEnv.step() gives the same trajectory for the same seeds", () => {
  const actions = Array.from({ length: 100 }, (_, i) => (i * 7 + 3) % 4);
  const a = new FrozenLakeEnv({ mapName: "8x8" }), b = new FrozenLakeEnv({ mapName: "8x8" });
  for (let seed = 0; seed < 20; seed++) {
    assertEquals(trajectory(a, seed, seed * 3, actions), trajectory(b, seed, seed * 3, actions));
  }
  const distinct = new Set(
    Array.from({ length: 20 }, (_, d) => trajectory(a, 0, d, actions).join(",")),
  );
  assertTrue(distinct.size > 10, `dynamics seeds gave only ${distinct.size} distinct trajectories`);
});

Deno.test("FrozenLakeEnv.reset() draws random maps from the initial-state seed only", () => {
  const env = new FrozenLakeEnv({ randomMap: { size: 6, p: 0.7 }, slippery: true });
  env.reset(42, 1);
  const m1 = [...env.desc];
  env.reset(42, 2);
  assertEquals([...env.desc], m1);
  assertEquals(m1, generateRandomMap(6, 0.7, 42));
  env.reset(43);
  assertEquals([...env.desc], generateRandomMap(6, 0.7, 43));
  assertEquals(env.name, "FrozenLake-random6x6-slippery");
  assertEquals(env.maxSteps, 200);
});

Deno.test("FrozenLakeEnv.step() slips with frequencies (1-s)/2, s, (1-s)/2", () => {
  // S in the centre: action left slips to up (1), left (3), down (7)
  for (const sr of [1 / 3, 0.8]) {
    const env = new FrozenLakeEnv({ desc: ["FFF", "FSF", "FFG"], successRate: sr });
    const n = 30000, counts = new Map<number, number>();
    for (let d = 0; d < n; d++) {
      env.reset(0, d);
      const s = env.step([0]).info.state as number;
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    assertEquals([...counts.keys()].sort(), [1, 3, 7]);
    const expected: Record<number, number> = { 1: (1 - sr) / 2, 3: sr, 7: (1 - sr) / 2 };
    for (const [s, p] of Object.entries(expected)) {
      const sd = Math.sqrt(p * (1 - p) / n);
      assertClose(counts.get(Number(s))! / n, p, 5 * sd, `P(state ${s}) at success rate ${sr}`);
    }
  }
});

Deno.test("FrozenLakeEnv.step() rewards entering G, terminates on G and H, truncates at the cap", () => {
  const env = new FrozenLakeEnv({ mapName: "4x4", slippery: false });
  env.reset(0);
  const path = [1, 1, 2, 2, 1, 2]; // down down right right down right
  const rewards = path.map((a) => env.step([a]));
  assertEquals(rewards.map((r) => r.rewards[0]), [0, 0, 0, 0, 0, 1]);
  assertEquals(rewards.map((r) => r.terminated), [false, false, false, false, false, true]);
  assertEquals(rewards[5].info.success, true);
  assertEquals([env.state, env.t, env.done], [15, 6, true]);
  env.reset(0);
  const hole = env.step([2]) && env.step([1]); // right then down into the hole at 5
  assertEquals([hole.terminated, hole.rewards[0], hole.info.success, hole.info.state], [
    true,
    0,
    false,
    5,
  ]);
  const capped = new FrozenLakeEnv({ mapName: "4x4", slippery: false, maxSteps: 3 });
  capped.reset(0);
  const steps = [0, 0, 0].map((a) => capped.step([a]));
  assertEquals(steps.map((s) => s.truncated), [false, false, true]);
  assertEquals(steps[2].terminated, false);
  assertTrue(capped.done);
});

Deno.test("FrozenLakeEnv.step() throws on a finished episode, before reset, and on bad actions", () => {
  const env = new FrozenLakeEnv({ mapName: "4x4", slippery: false, maxSteps: 1 });
  assertThrows(() => env.step([0]), Error, "call reset() first");
  env.reset(0);
  assertThrows(() => env.step([4]), Error, "unknown action 4");
  assertThrows(() => env.step([1.5]), Error, "unknown action 1.5");
  assertThrows(() => env.step([0, 1]), Error, "got 2 entries");
  env.step([0]);
  assertThrows(() => env.step([0]), Error, "episode is over");
  assertThrows(() => env.formatAction(-1), Error, "unknown action -1");
});

Deno.test("FrozenLakeEnv rejects bad options naming the value", () => {
  assertThrows(() => new FrozenLakeEnv({ desc: ["SFF", "FG"] }), Error, "ragged");
  assertThrows(() => new FrozenLakeEnv({ desc: ["SZ", "FG"] }), Error, `"Z"`);
  assertThrows(() => new FrozenLakeEnv({ mapName: "3x3" as "4x4" }), Error, "3x3");
  assertThrows(() => new FrozenLakeEnv({ randomMap: { size: 1, p: 0.5 } }), Error, "got 1");
  assertThrows(() => new FrozenLakeEnv({ randomMap: { size: 4, p: 2 } }), Error, "got 2");
  assertThrows(
    () => new FrozenLakeEnv({ mapName: "4x4", randomMap: { size: 4, p: 1 } }),
    Error,
    "at most one",
  );
  assertThrows(() => new FrozenLakeEnv({ maxSteps: 0 }), Error, "got 0");
  assertThrows(() => new FrozenLakeEnv({ successRate: -0.1 }), Error, "-0.1");
  assertThrows(() => new FrozenLakeEnv({ renderStyle: "tiny" as "compact" }), Error, "tiny");
  assertThrows(() => new FrozenLakeEnv({ defaultAction: 7 }), Error, "unknown action 7");
});

Deno.test("FrozenLakeEnv.observe() renders the compact grid with the player", () => {
  const env = new FrozenLakeEnv({ mapName: "4x4", slippery: false, renderStyle: "compact" });
  env.reset(0);
  assertEquals(
    env.observe().user,
    "P___\n_O_O\n___O\nO__G\nrow 0 col 0 left # down _ right _ up #\n",
  );
  assertTrue(env.observe().system.includes("<action>left|down|right|up</action>"));
  assertTrue(env.observe().system.includes("# is the edge"));
  assertTrue(!env.observe().system.includes("slippery"));
  env.step([2]);
  assertEquals(
    env.observe().user,
    "_P__\n_O_O\n___O\nO__G\nrow 0 col 1 left _ down O right _ up #\n",
  );
  env.step([1]); // into the hole at (row 1, col 1)
  assertEquals(
    env.observe().user,
    "____\n_P_O\n___O\nO__G\nrow 1 col 1 left _ down _ right _ up _\n",
  );
});

Deno.test("FrozenLakeEnv.observe() renders verbose text with (0,0) at the bottom-left", () => {
  const env = new FrozenLakeEnv({ mapName: "4x4", slippery: true });
  env.reset(0);
  const { system, user } = env.observe();
  assertTrue(system.includes("4x4 grid") && system.includes("bottom-left"));
  assertTrue(system.includes("sideways"), "slippery warning");
  assertTrue(system.includes("hole O ends the game"));
  for (const a of ["left", "down", "right", "up"]) {
    assertTrue(system.includes(`<action>${a}</action>`));
  }
  assertEquals(
    user,
    "Player: (0, 3)\nHoles: (1, 2), (3, 2), (3, 1), (0, 0)\nGoal: (3, 0)\n" +
      "Grid (top row first; P player, O hole, G goal, _ empty):\n" +
      "P___\n_O_O\n___O\nO__G\nSteps left: 100",
  );
  const calm = new FrozenLakeEnv({ mapName: "4x4", slippery: false });
  calm.reset(0);
  assertTrue(!calm.observe().system.includes("sideways"));
});

Deno.test("FrozenLakeEnv.stepText() round-trips formatted actions and penalises invalid ones", () => {
  const env = new FrozenLakeEnv({ mapName: "4x4", slippery: false, formatPenalty: 0.1 });
  for (let a = 0; a < 4; a++) assertEquals(env.parseAction(env.formatAction(a)), a);
  env.reset(0);
  const ok = env.stepText(["<think>go right</think><action>Right</action>"]);
  assertEquals([ok.info.valid, ok.info.actions, ok.rewards, ok.info.state], [[true], [2], [0], 1]);
  const bad = env.stepText(["I would go down"]);
  assertEquals([bad.info.valid, bad.info.actions, bad.info.state], [[false], [0], 0]);
  assertClose(bad.rewards[0], -0.1, 1e-12);
  const zero = env.stepText(["<action>fly</action>"], 0);
  assertEquals([zero.info.valid, zero.rewards], [[false], [0]]);
  // invalid answer on the winning step: reward 1 minus the penalty
  const win = new FrozenLakeEnv({ desc: ["SG"], slippery: false, defaultAction: 2 });
  win.reset(0);
  const w = win.stepText(["???"], 0.25);
  assertEquals([w.rewards, w.terminated, w.info.success], [[0.75], true, true]);
  assertThrows(() => env.stepText(["a", "b"]), Error, "got 2 entries");
});

Deno.test("FrozenLakeEnv random play never leaves the map and ends within the cap", () => {
  const env = new FrozenLakeEnv({ randomMap: { size: 4, p: 0.8 }, slippery: true, maxSteps: 15 });
  const rng = new Rng(5);
  let wins = 0;
  for (let ep = 0; ep < 300; ep++) {
    env.reset(ep % 10, ep);
    let last;
    while (!env.done) {
      last = env.step([rng.int(4)]);
      const s = last.info.state as number;
      assertTrue(s >= 0 && s < 16);
    }
    assertTrue(env.t <= 15);
    if (last!.info.success) wins++;
    assertEquals(last!.rewards[0], last!.info.success ? 1 : 0);
  }
  assertTrue(wins > 0 && wins < 300, `wins ${wins}`);
});

Deno.test("FrozenLakeEnv draws the start among several S tiles from the initial-state seed", () => {
  const env = new FrozenLakeEnv({ desc: ["SFS", "FFG"], slippery: false });
  const starts = new Set<number>();
  for (let seed = 0; seed < 40; seed++) {
    env.reset(seed, 0);
    const s = env.state;
    env.reset(seed, 99);
    assertEquals(env.state, s, "the start must not depend on the dynamics seed");
    starts.add(s);
  }
  assertEquals([...starts].sort(), [0, 2]);
});
