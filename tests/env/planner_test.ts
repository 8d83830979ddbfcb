import assert from "node:assert/strict";
import { FrozenLakeEnv } from "../../lib/env/frozen_lake.ts";
import { getScenario } from "../../lib/env/scenarios.ts";
import {
  greedySnakeAction,
  hurriedOracleAction,
  plannerAction,
  randomAction,
} from "../../lib/env/scripted.ts";
import { SnakeEnv } from "../../lib/env/snake.ts";
import { Rng } from "../../lib/util/rng.ts";

const UP = 0, DOWN = 1, LEFT = 2, RIGHT = 3;
type XY = [number, number];
const snake = (...cells: XY[]) => ({ alive: true, cells });

Deno.test("greedySnakeAction() heads for the nearest apple and avoids walls and bodies", () => {
  const env = new SnakeEnv({ opponents: 0, apples: 0 });
  env.resetTo({ snakes: [snake([5, 5])], apples: [[5, 8], [1, 5]] }, 1);
  assert.equal(greedySnakeAction(env), UP); // (5,8) is 3 away, (1,5) is 4
  env.resetTo({ snakes: [snake([5, 5])], apples: [[2, 5]] }, 1);
  assert.equal(greedySnakeAction(env), LEFT);
  // Own body above, the wall on the left: only down and right are safe; both move away from the
  // apple at (0, 9) by one, and the lower index (down) wins the tie.
  env.resetTo({ snakes: [snake([0, 5], [0, 6], [1, 6])], apples: [[0, 9]] }, 1);
  assert.equal(greedySnakeAction(env), DOWN);
  // An opponent's body blocks the direct way.
  const duel = new SnakeEnv({ opponents: 1, apples: 0 });
  duel.resetTo({ snakes: [snake([5, 5]), snake([6, 5], [7, 5])], apples: [[9, 5]] }, 1);
  assert.notEqual(greedySnakeAction(duel), RIGHT);
  // Boxed in: every move dies → the default action.
  env.resetTo({ snakes: [snake([0, 0], [1, 0], [1, 1], [0, 1])], apples: [[5, 5]] }, 1);
  assert.equal(greedySnakeAction(env), env.defaultAction);
  assert.throws(() => greedySnakeAction(new FrozenLakeEnv()), /needs a SnakeEnv/);
});

Deno.test("greedySnakeAction() scores far above random play on the Snake scenarios", () => {
  for (const name of ["Snake-8", "Snake-20"]) {
    const env = getScenario(name).makeEnv({}), rng = new Rng(3);
    const mean = (pick: () => number) => {
      let total = 0;
      for (let e = 0; e < 100; e++) {
        env.reset(e, 1000 + e);
        while (!env.done) total += env.step([pick()]).rewards[0];
      }
      return total / 100;
    };
    const greedy = mean(() => greedySnakeAction(env));
    const random = mean(() => randomAction(env, rng));
    assert.ok(greedy > 1.5 && random < 0, `${name}: greedy ${greedy}, random ${random}`);
  }
});

Deno.test("plannerAction() dispatches to the Frozen Lake oracle and the Snake greedy move", () => {
  const lake = new FrozenLakeEnv({ mapName: "4x4", slippery: false, maxSteps: 8 });
  lake.reset(0);
  assert.equal(plannerAction(lake), hurriedOracleAction(lake));
  const sn = new SnakeEnv();
  sn.reset(4);
  assert.equal(plannerAction(sn), greedySnakeAction(sn));
});
