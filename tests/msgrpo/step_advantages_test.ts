import assert from "node:assert/strict";
import {
  anchorStateAdvantages,
  returnsToGo,
  stepAdvantages,
} from "../../lib/msgrpo/step_advantages.ts";
import { prepareUpdate } from "../../lib/msgrpo/prepare.ts";
import { episodeRows } from "../../lib/train/rows.ts";
import type { Episode, StepRecord } from "../../lib/msgrpo/types.ts";

/** A step in state `state` (its prompt ids) with reward `reward`. */
function step(state: number, reward: number, t = 0): StepRecord {
  return {
    t,
    promptIds: [7, state],
    completionIds: [40 + state],
    completionText: "x",
    oldLogprobs: [-1],
    action: 0,
    valid: true,
    reward,
    done: false,
  };
}

function episode(group: number, index: number, states: [number, number][]): Episode {
  const steps = states.map(([s, r], t) => step(s, r, t));
  const ret = steps.reduce((a, s) => a + s.reward, 0);
  return {
    iteration: 3,
    group,
    index,
    scenario: "S",
    initialStateSeed: 100 + group,
    dynamicsSeed: index,
    steps,
    return: ret,
    success: ret > 0.5,
  };
}

// Group 0 (states A = 1, B = 2, C = 3): a win through A → B, a loss through A → B, a loss through
// A → C that paid the format penalty in A.
// Returns-to-go: ep0 A 1, B 1; ep1 A 0, B 0; ep2 A −0.1, C 0.
// A's visits [1, 0, −0.1]: mean 0.3, centred [0.7, −0.3, −0.4]; B's [1, 0]: [0.5, −0.5]; C alone: 0.
// Group 1 visits state A too, but it is another group: its two visits [1, 1] are all equal.
const pool = [
  episode(0, 0, [[1, 0], [2, 1]]),
  episode(0, 1, [[1, 0], [2, 0]]),
  episode(0, 2, [[1, -0.1], [3, 0]]),
  episode(1, 0, [[1, 1]]),
  episode(1, 1, [[1, 1]]),
];

function close(actual: number[][], expected: number[][], tol = 1e-9): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((row, i) => {
    assert.equal(row.length, expected[i].length, `episode ${i}`);
    row.forEach((x, t) => assert.ok(Math.abs(x - expected[i][t]) <= tol, `[${i}][${t}] ${x}`));
  });
}

Deno.test("returnsToGo() sums the rewards from each step on, discounted", () => {
  close([returnsToGo([0, -0.1, 1])], [[0.9, 0.9, 1]]);
  close([returnsToGo([1, 0, 1], 0.5)], [[1.25, 0.5, 1]]);
  assert.deepEqual(returnsToGo([]), []);
  assert.throws(() => returnsToGo([0], 1.5), /gamma must be in \[0, 1\], got 1.5/);
  assert.throws(() => returnsToGo([0, NaN]), /rewards\[1\] is not finite/);
});

Deno.test("anchorStateAdvantages() centres returns-to-go over a group's visits of one state", () => {
  close(anchorStateAdvantages(pool, { normalize: "none" }), [
    [0.7, 0.5],
    [-0.3, -0.5],
    [-0.4, 0],
    [0],
    [0],
  ]);
  // Scaled by the population std of A's visits: sqrt((0.49 + 0.09 + 0.16) / 3).
  const sd = Math.sqrt(0.74 / 3);
  close(anchorStateAdvantages(pool, { eps: 0 }), [
    [0.7 / sd, 1],
    [-0.3 / sd, -1],
    [-0.4 / sd, 0],
    [0],
    [0],
  ]);
});

Deno.test("anchorStateAdvantages() counts a revisit within one episode as another visit", () => {
  // ep0 visits A twice (G 1 at both) and wins; ep1 visits A once and loses: [1, 1, 0].
  const loop = [episode(0, 0, [[1, 0], [1, 0], [2, 1]]), episode(0, 1, [[1, 0]])];
  const c = 1 / 3;
  close(anchorStateAdvantages(loop, { normalize: "none" }), [[c, c, 0], [-2 * c]]);
  // γ = 0.5: A's visits have G 0.25, 0.5 and 0.
  close(anchorStateAdvantages(loop, { normalize: "none", gamma: 0.5 }), [[0, 0.25, 0], [-0.25]]);
});

Deno.test("stepAdvantages() adds ω · A^S to the episode's advantage; ω = 0 is the paper", () => {
  const episodeAdv = [1, -0.5, -0.5, 0, 0];
  assert.deepEqual(stepAdvantages(pool, episodeAdv, 0), [[1, 1], [-0.5, -0.5], [-0.5, -0.5], [
    0,
  ], [0]]);
  close(stepAdvantages(pool, episodeAdv, 2, { normalize: "none" }), [
    [1 + 1.4, 1 + 1],
    [-0.5 - 0.6, -0.5 - 1],
    [-0.5 - 0.8, -0.5],
    [0],
    [0],
  ]);
  assert.throws(() => stepAdvantages(pool, episodeAdv, -1), /weight must be >= 0, got -1/);
  assert.throws(() => stepAdvantages(pool, [1], 1), /1 advantages for 5 episodes/);
});

Deno.test("prepareUpdate() trains each step with its own advantage and keeps the draws", () => {
  const opts = {
    seed: 5,
    iteration: 3,
    normalize: "none" as const,
    sampling: "all" as const,
    microBatchTokens: 256,
  };
  const plain = prepareUpdate(pool, opts);
  const step = prepareUpdate(pool, { ...opts, stepAdvantage: 1 });
  assert.deepEqual(step.advantages, plain.advantages);
  assert.deepEqual(step.timesDrawn, plain.timesDrawn);
  // Group 0's returns [1, 0, −0.1]: Â = [0.7, −0.3, −0.4] (Dr.GRPO centring); group 1 all equal.
  close([plain.advantages], [[0.7, -0.3, -0.4, 0, 0]]);
  const byRow = (p: typeof plain) => p.rows.map((r) => [r.episode, r.t, r.advantage]);
  const expected = [
    [0, 0, 1.4],
    [0, 1, 1.2],
    [1, 0, -0.6],
    [1, 1, -0.8],
    [2, 0, -0.8],
    [
      2,
      1,
      -0.4,
    ],
    [3, 0, 0],
    [4, 0, 0],
  ];
  byRow(step).forEach(([e, t, a], i) => {
    assert.deepEqual([e, t], expected[i].slice(0, 2));
    assert.ok(Math.abs(a - expected[i][2]) < 1e-9, `row ${i}: ${a}`);
  });
  assert.ok(byRow(plain).every(([e, , a]) => a === plain.advantages[e]));
  // The steps table logs the advantage each step was trained with.
  const logged = episodeRows(pool, step, ["a"]).steps.map((r) => r.advantage);
  close([logged], [step.stepAdvantages.flat()]);
  close([episodeRows(pool, plain, ["a"]).steps.map((r) => r.advantage)], [[
    0.7,
    0.7,
    -0.3,
    -0.3,
    -0.4,
    -0.4,
    0,
    0,
  ]]);
});
