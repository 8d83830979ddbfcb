import { assertEquals, assertThrows } from "./_assert.ts";
import {
  compileDynamics,
  mergeTransitions,
  transitionTable,
} from "../../lib/env/frozen_lake_dynamics.ts";
import { FROZEN_LAKE_MAPS } from "../../lib/env/frozen_lake_maps.ts";

const MAP4 = [...FROZEN_LAKE_MAPS["4x4"]];
const THIRD = 1 / 3, FAIL = (1 - 1 / 3) / 2;

Deno.test("transitionTable() gives the intended move when not slippery", () => {
  const P = transitionTable(MAP4, { slippery: false });
  assertEquals(P.length, 16);
  // state 0 (top-left corner): left and up bump into the edge and stay
  assertEquals(P[0][0], [[1, 0, 0, false]]);
  assertEquals(P[0][1], [[1, 4, 0, false]]);
  assertEquals(P[0][2], [[1, 1, 0, false]]);
  assertEquals(P[0][3], [[1, 0, 0, false]]);
  // state 1 down enters the hole at 5: terminates with reward 0
  assertEquals(P[1][1], [[1, 5, 0, true]]);
  // state 14 right enters G at 15: reward 1, terminates
  assertEquals(P[14][2], [[1, 15, 1, true]]);
  // state 11 is a hole, 15 the goal: absorbing
  for (const s of [5, 7, 11, 12, 15]) {
    for (let a = 0; a < 4; a++) assertEquals(P[s][a], [[1, s, 0, true]], `state ${s}`);
  }
});

Deno.test("transitionTable() lists slips in the order (a-1), a, (a+1) with Gymnasium's probabilities", () => {
  const P = transitionTable(MAP4, { slippery: true });
  // state 0, action left: candidates up (stay), left (stay), down (4)
  assertEquals(P[0][0], [[FAIL, 0, 0, false], [THIRD, 0, 0, false], [FAIL, 4, 0, false]]);
  // state 0, action down: left (stay), down (4), right (1)
  assertEquals(P[0][1], [[FAIL, 0, 0, false], [THIRD, 4, 0, false], [FAIL, 1, 0, false]]);
  // state 0, action up: right (1), up (stay), left (stay)
  assertEquals(P[0][3], [[FAIL, 1, 0, false], [THIRD, 0, 0, false], [FAIL, 0, 0, false]]);
  // state 14, action right: down (stay 14), right (G), up (10)
  assertEquals(P[14][2], [[FAIL, 14, 0, false], [THIRD, 15, 1, true], [FAIL, 10, 0, false]]);
  // state 6, action left: up (2), left (hole 5), down (10)
  assertEquals(P[6][0], [[FAIL, 2, 0, false], [THIRD, 5, 0, true], [FAIL, 10, 0, false]]);
});

Deno.test("transitionTable() uses the success rate and reward schedule", () => {
  const P = transitionTable(["SG"], {
    slippery: true,
    successRate: 0.8,
    rewardSchedule: [5, -1, 0.5],
  });
  const f = (1 - 0.8) / 2;
  // state 0, action right: down (stay, S counts as frozen), right (G), up (stay)
  assertEquals(P[0][2], [[f, 0, 0.5, false], [0.8, 1, 5, true], [f, 0, 0.5, false]]);
  const H = transitionTable(["SH", "FG"], { slippery: false, rewardSchedule: [1, -2, 0] });
  assertEquals(H[0][2], [[1, 1, -2, true]]);
});

Deno.test("mergeTransitions() sums outcomes that land on the same state", () => {
  const M = mergeTransitions(transitionTable(MAP4, { slippery: true }));
  assertEquals(M[0][0], [[FAIL + THIRD, 0, 0, false], [FAIL, 4, 0, false]]);
  assertEquals(M[6][0].length, 3);
  for (const perAction of M) {
    for (const li of perAction) {
      const total = li.reduce((a, t) => a + t[0], 0);
      assertEquals(Math.abs(total - 1) < 1e-12, true);
    }
  }
});

Deno.test("compileDynamics() flattens the table with cumulative probabilities", () => {
  const c = compileDynamics(MAP4, { slippery: true });
  assertEquals([c.nrow, c.ncol, c.nS, [...c.starts]], [4, 4, 16, [0]]);
  const sa = 14 * 4 + 2;
  assertEquals(c.count[sa], 3);
  assertEquals([...c.next.subarray(sa * 3, sa * 3 + 3)], [14, 15, 10]);
  assertEquals(c.cum[sa * 3 + 2] > 0.999999, true);
  assertEquals([c.isGoal[15], c.absorbing[5], c.absorbing[0]], [1, 1, 0]);
});

Deno.test("transitionTable() rejects bad options naming the value", () => {
  assertThrows(() => transitionTable(MAP4, { slippery: true, successRate: 1.5 }), Error, "1.5");
  assertThrows(
    () => transitionTable(MAP4, { slippery: "yes" as unknown as boolean }),
    Error,
    "yes",
  );
});
