import { assertClose, assertEquals, assertThrows, assertTrue } from "./_assert.ts";
import { SnakeEnv } from "../../lib/env/snake.ts";
import { Rng } from "../../lib/util/rng.ts";

const UP = 0, DOWN = 1, LEFT = 2, RIGHT = 3;
type XY = [number, number];
const snake = (...cells: XY[]) => ({ alive: true, cells });

Deno.test("SnakeEnv.step() kills a snake that leaves the board", () => {
  const env = new SnakeEnv({ opponents: 0, apples: 0 });
  env.resetTo({ snakes: [snake([0, 0])], apples: [] }, 1);
  const r = env.step([LEFT]);
  assertEquals([r.rewards, r.terminated, r.info.death, r.info.alive], [[-1], true, ["wall"], [
    false,
  ]]);
  assertEquals(r.info.success, false);
  env.resetTo({ snakes: [snake([9, 9])], apples: [] }, 1);
  assertEquals(env.step([UP]).info.death, ["wall"]);
});

Deno.test("SnakeEnv.step() kills a snake that runs into its own body or tail", () => {
  const env = new SnakeEnv({ opponents: 0, apples: 0 });
  env.resetTo({ snakes: [snake([2, 2], [2, 3])], apples: [] }, 1);
  assertEquals(env.step([UP]).info.death, ["body"]); // into its neck
  // a square: head (2,2), body (2,3), (3,3), tail (3,2); moving right enters the tail cell
  env.resetTo({ snakes: [snake([2, 2], [2, 3], [3, 3], [3, 2])], apples: [] }, 1);
  const r = env.step([RIGHT]);
  assertEquals([r.info.death, r.rewards], [["body"], [-1]]);
  env.resetTo({ snakes: [snake([2, 2], [2, 3], [3, 3], [3, 2])], apples: [] }, 1);
  const ok = env.step([DOWN]);
  assertEquals([ok.info.alive, ok.terminated], [[true], false]);
  assertEquals(env.getState().snakes[0].cells, [[2, 1], [2, 2], [2, 3], [3, 3]]);
});

Deno.test("SnakeEnv.step() kills a snake entering another snake's body; the game ends", () => {
  const env = new SnakeEnv({ learners: 2, opponents: 0, apples: 0 });
  env.resetTo({ snakes: [snake([1, 1]), snake([2, 3], [1, 3], [1, 2])], apples: [] }, 1);
  const r = env.step([UP, RIGHT]);
  assertEquals([r.info.death, r.info.alive, r.rewards], [["body", null], [false, true], [-1, 0]]);
  assertEquals(r.terminated, true);
  assertEquals(env.getState().snakes[0], { alive: false, cells: [] });
  assertThrows(() => env.step([UP, UP]), Error, "episode is over");
});

Deno.test("SnakeEnv.step() kills both snakes in a head-to-head collision", () => {
  const env = new SnakeEnv({ learners: 2, opponents: 0, apples: 0 });
  env.resetTo({ snakes: [snake([1, 1]), snake([3, 1])], apples: [] }, 1);
  const r = env.step([RIGHT, LEFT]);
  assertEquals([r.info.death, r.rewards, r.terminated], [["head", "head"], [-1, -1], true]);
  // swapping places: each enters the other's head cell
  env.resetTo({ snakes: [snake([1, 1]), snake([2, 1])], apples: [] }, 1);
  assertEquals(env.step([RIGHT, LEFT]).info.alive, [false, false]);
  // an apple on the meeting cell is not eaten
  env.resetTo({ snakes: [snake([1, 1]), snake([3, 1])], apples: [[2, 1]] }, 1);
  const a = env.step([RIGHT, LEFT]);
  assertEquals([a.info.eaten, env.getState().apples], [[0, 0], [[2, 1]]]);
});

Deno.test("SnakeEnv.step() grows a snake that eats and respawns the apple on a free cell", () => {
  const env = new SnakeEnv({ opponents: 0, apples: 1, stepReward: -0.01 });
  env.resetTo({ snakes: [snake([4, 4])], apples: [[4, 5]] }, 7);
  const r = env.step([UP]);
  assertClose(r.rewards[0], 1 - 0.01, 1e-12);
  assertEquals([r.info.eaten, r.info.success], [[1], true]);
  const s = env.getState();
  assertEquals(s.snakes[0].cells, [[4, 5], [4, 4]]);
  assertEquals(s.apples.length, 1);
  assertTrue(!s.snakes[0].cells.some(([x, y]) => x === s.apples[0][0] && y === s.apples[0][1]));
  env.step([LEFT]);
  assertEquals(env.getState().snakes[0].cells, [[3, 5], [4, 5]]); // the tail follows
});

Deno.test("SnakeEnv keeps the apple count, with apples on free distinct cells, in long play", () => {
  const env = new SnakeEnv({ opponents: 2, apples: 5, maxSteps: 200 });
  const rng = new Rng(11);
  let eaten = 0;
  for (let ep = 0; ep < 30; ep++) {
    env.reset(ep);
    while (!env.done) {
      const r = env.step([rng.int(4)]);
      eaten += r.rewards[0] > 0 ? 1 : 0;
      const s = env.getState();
      const apples = new Set(s.apples.map((c) => c.join(",")));
      const bodies = new Set(s.snakes.flatMap((sn) => sn.cells.map((c) => c.join(","))));
      assertEquals(apples.size, 5);
      assertEquals(bodies.size, s.snakes.reduce((a, sn) => a + sn.cells.length, 0));
      for (const a of apples) assertTrue(!bodies.has(a), `apple on a snake at ${a}`);
    }
  }
  assertTrue(eaten > 0, "random play never ate an apple");
});

Deno.test("SnakeEnv opponents avoid walls and their own body, uniformly among safe moves", () => {
  const env = new SnakeEnv({ opponents: 1, apples: 0 });
  // the opponent in a corner with its body to the right: only up is safe
  for (let d = 0; d < 40; d++) {
    env.resetTo({ snakes: [snake([8, 8]), snake([0, 0], [1, 0])], apples: [] }, d);
    env.step([DOWN]);
    assertEquals(env.getState().snakes[1].cells[0], [0, 1]);
  }
  const counts = [0, 0, 0, 0], n = 4000;
  for (let d = 0; d < n; d++) {
    env.resetTo({ snakes: [snake([8, 8]), snake([4, 4])], apples: [] }, d);
    env.step([DOWN]);
    const [x, y] = env.getState().snakes[1].cells[0];
    counts[y === 5 ? 0 : y === 3 ? 1 : x === 3 ? 2 : 3]++;
  }
  const sd = Math.sqrt(0.25 * 0.75 / n);
  counts.forEach((c, a) => assertClose(c / n, 0.25, 5 * sd, `opponent move ${a}`));
});

Deno.test("SnakeEnv gives the same trajectory for the same seeds", () => {
  const run = (seed: number, dyn: number) => {
    const env = new SnakeEnv({ opponents: 1, maxSteps: 30 });
    env.reset(seed, dyn);
    const out: string[] = [JSON.stringify(env.getState())];
    for (let t = 0; !env.done; t++) {
      const r = env.step([(t * 5 + seed) % 4]);
      out.push(JSON.stringify([env.getState(), r.rewards]));
    }
    return out;
  };
  assertEquals(run(3, 9), run(3, 9));
  assertEquals(run(3, 9)[0], run(3, 10)[0]); // initial state from the initial-state seed only
  const distinct = new Set(Array.from({ length: 10 }, (_, d) => run(3, d).join("|")));
  assertTrue(distinct.size > 5, `only ${distinct.size} distinct trajectories over dynamics seeds`);
});

Deno.test("SnakeEnv truncates at the cap and reports success when alive with an apple", () => {
  const env = new SnakeEnv({ opponents: 0, apples: 1, maxSteps: 2 });
  env.resetTo({ snakes: [snake([4, 4])], apples: [[4, 5]] }, 1);
  env.step([UP]);
  const r = env.step([UP]);
  assertEquals([r.truncated, r.terminated, r.info.success], [true, false, true]);
});

Deno.test("SnakeEnv.observe() renders the grid and positions from the agent's side", () => {
  const mk = (renderStyle: "compact" | "verbose") => {
    const env = new SnakeEnv({ width: 4, height: 3, opponents: 1, apples: 0, renderStyle });
    env.resetTo({ snakes: [snake([0, 0], [0, 1]), snake([3, 2], [2, 2])], apples: [[1, 0]] }, 1);
    return env;
  };
  assertEquals(mk("compact").observe().user, "__T2\nT___\n1A__\n");
  const { system, user } = mk("verbose").observe();
  assertTrue(system.includes("4x3 board") && system.includes("bottom-left"));
  for (const a of ["up", "down", "left", "right"]) {
    assertTrue(system.includes(`<action>${a}</action>`));
  }
  assertEquals(
    user,
    "Apples: (1, 0)\nEnemy snake 1: head (3, 2); body (2, 2)\nYour snake: head (0, 0); body (0, 1)\n" +
      "Grid (top row y=2 first; 1 your head, 2 enemy head, T body, A apple, _ empty):\n" +
      "__T2\nT___\n1A__\nSteps left: 100",
  );
});

Deno.test("SnakeEnv.stepText() parses answers and penalises invalid ones", () => {
  const env = new SnakeEnv({ opponents: 0, apples: 0, formatPenalty: 0.5 });
  for (let a = 0; a < 4; a++) assertEquals(env.parseAction(env.formatAction(a)), a);
  env.resetTo({ snakes: [snake([5, 5])], apples: [] }, 1);
  const r = env.stepText(["<action>LEFT</action>"]);
  assertEquals([r.info.valid, env.getState().snakes[0].cells[0]], [[true], [4, 5]]);
  const bad = env.stepText(["north"]);
  assertEquals([bad.info.valid, bad.info.actions, bad.rewards], [[false], [UP], [-0.5]]);
  assertEquals(env.getState().snakes[0].cells[0], [4, 6]);
});

Deno.test("SnakeEnv rejects bad options and states naming the value", () => {
  assertThrows(() => new SnakeEnv({ width: 1 }), Error, "width must be an integer >= 2, got 1");
  assertThrows(() => new SnakeEnv({ opponents: -1 }), Error, "got -1");
  assertThrows(() => new SnakeEnv({ deathReward: NaN }), Error, "NaN");
  assertThrows(() => new SnakeEnv({ width: 2, height: 2, opponents: 4 }), Error, "5 snakes");
  const env = new SnakeEnv();
  assertThrows(() => env.observe(), Error, "call reset() first");
  env.reset(0);
  assertThrows(() => env.step([9]), Error, "unknown action 9");
  assertThrows(() => env.observe(1), Error, "unknown agent 1");
  assertThrows(
    () => env.resetTo({ snakes: [snake([10, 0]), snake([1, 1])], apples: [] }, 0),
    Error,
    "[10,0]",
  );
});

Deno.test("SnakeEnv with two language agents renders each agent's own head as 1", () => {
  const env = new SnakeEnv({
    width: 4,
    height: 3,
    learners: 2,
    opponents: 1,
    apples: 0,
    renderStyle: "compact",
  });
  env.resetTo({ snakes: [snake([0, 0]), snake([2, 0]), snake([3, 2])], apples: [] }, 1);
  assertEquals(env.observe(0).user, "___2\n____\n1_2_\n");
  assertEquals(env.observe(1).user, "___2\n____\n2_1_\n");
  // learner 0 dies on the wall; two snakes remain, so the game goes on
  const r = env.stepText(["<action>left</action>", "<action>up</action>"]);
  assertEquals([r.info.alive, r.terminated, r.rewards], [[false, true], false, [-1, 0]]);
});
