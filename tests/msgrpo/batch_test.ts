import assert from "node:assert/strict";
import {
  buildBatch,
  lossNormalizer,
  microBatches,
  padRows,
  type TrainingRow,
} from "../../lib/msgrpo/batch.ts";
import { makeEpisode, makeStep } from "./fixtures.ts";

const row = (p: number, n: number, weight = 1, episode = 0): TrainingRow => ({
  episode,
  t: 0,
  promptIds: new Array(p).fill(1),
  completionIds: new Array(n).fill(2),
  oldLogprobs: new Array(n).fill(-1),
  advantage: 1,
  weight,
});

Deno.test("buildBatch() emits every step of drawn episodes once, weighted by times drawn", () => {
  const eps = [makeEpisode(0, 0, 1, 3), makeEpisode(0, 1, 0, 2), makeEpisode(0, 2, 0.5, 1)];
  const rows = buildBatch(eps, [1.2, -0.8, 0.4], [2, 0, 1]);
  assert.deepEqual(rows.map((r) => [r.episode, r.t, r.weight, r.advantage]), [
    [0, 0, 2, 1.2],
    [0, 1, 2, 1.2],
    [0, 2, 2, 1.2],
    [2, 0, 1, 0.4],
  ]);
  // rows reference the step arrays (no copies per draw)
  assert.equal(rows[1].completionIds, eps[0].steps[1].completionIds);
  assert.equal(rows[1].oldLogprobs, eps[0].steps[1].oldLogprobs);
  assert.equal(rows[3].promptIds, eps[2].steps[0].promptIds);
  assert.deepEqual(buildBatch(eps, [1, 1, 1], [0, 0, 0]), []);
});

Deno.test("buildBatch() skips empty completions and checks its inputs", () => {
  const ep = makeEpisode(0, 0, 1, 2);
  ep.steps[0] = makeStep(0, 0, 0);
  assert.deepEqual(buildBatch([ep], [1], [1]).map((r) => r.t), [1]);
  assert.throws(() => buildBatch([ep], [1], [1, 1]), /1 episodes, 1 advantages, 2 draw counts/);
  assert.throws(() => buildBatch([ep], [1], [1.5]), /timesDrawn\[0\] must be an integer/);
  assert.throws(() => buildBatch([ep], [NaN], [1]), /advantages\[0\] is NaN/);
  const bad = makeEpisode(0, 0, 1, 1);
  bad.steps[0].oldLogprobs.pop();
  assert.throws(() => buildBatch([bad], [1], [1]), /episode 0 step 0: 2 completion tokens but 1/);
});

Deno.test("lossNormalizer() counts weighted tokens or weighted sequences", () => {
  const rows = [row(3, 4, 2), row(2, 1, 1), row(5, 3, 3)];
  assert.equal(lossNormalizer(rows), 4 * 2 + 1 + 3 * 3);
  assert.equal(lossNormalizer(rows, "seq-mean-token-mean"), 6);
  assert.equal(lossNormalizer([]), 0);
});

Deno.test("microBatches() packs rows in order within the padded-token budget", () => {
  // lengths (prompt+completion): 4, 4, 6, 3, 12, 2
  const rows = [row(2, 2), row(3, 1), row(2, 4), row(1, 2), row(2, 10), row(1, 1)];
  const mb = microBatches(rows, 12);
  // [4,4] → 2×4=8; +6 → 3×6=18 > 12 ⇒ cut; [6,3] → 2×6=12; +12 ⇒ cut; [12] alone; [2]
  assert.deepEqual(mb.map((b) => b.length), [2, 2, 1, 1]);
  assert.deepEqual(mb.flat(), rows);
  for (const b of mb) {
    const longest = Math.max(...b.map((r) => r.promptIds.length + r.completionIds.length));
    assert.ok(b.length === 1 || b.length * longest <= 12);
  }
  assert.deepEqual(microBatches(rows, 12), mb);
  assert.deepEqual(microBatches(rows, 1000).map((b) => b.length), [6]);
  assert.deepEqual(microBatches(rows, 1).map((b) => b.length), [1, 1, 1, 1, 1, 1]);
  assert.deepEqual(microBatches([], 10), []);
  assert.throws(() => microBatches(rows, 0), /maxTokens must be a number > 0/);
});

Deno.test("padRows() right-pads old log-probabilities to the model's completion width", () => {
  const rows: TrainingRow[] = [
    {
      episode: 0,
      t: 0,
      promptIds: [7, 8],
      completionIds: [9],
      oldLogprobs: [-1],
      advantage: 0.5,
      weight: 1,
    },
    {
      episode: 1,
      t: 3,
      promptIds: [6],
      completionIds: [4, 5],
      oldLogprobs: [-2, -3],
      advantage: -1,
      weight: 2,
    },
  ];
  const p = padRows(rows);
  assert.deepEqual(p.prompts, [[7, 8], [6]]);
  assert.deepEqual(p.completions, [[9], [4, 5]]);
  assert.equal(p.completionLen, 2);
  assert.deepEqual(Array.from(p.oldLogprobs), [-1, 0, -2, -3]);
  assert.deepEqual(Array.from(p.advantages), [0.5, -1]);
  assert.deepEqual(Array.from(p.weights), [1, 2]);
  // a batch of empty completions still has width 1 (sequenceLogprobs scores at least one token)
  const empty = padRows([{ ...rows[0], completionIds: [], oldLogprobs: [] }]);
  assert.deepEqual([empty.completionLen, Array.from(empty.oldLogprobs)], [1, [0]]);
  assert.throws(
    () => padRows([{ ...rows[0], oldLogprobs: [] }]),
    /row 0 has 1 completion ids but 0 oldLogprobs/,
  );
});
