import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import { lossNormalizer, mergeDuplicateRows, type TrainingRow } from "../../lib/msgrpo/batch.ts";
import { ppoClipLoss } from "../../lib/msgrpo/loss.ts";

await initBackend("cpu");

const row = (
  prompt: number[],
  completion: number[],
  advantage: number,
  weight = 1,
): TrainingRow => ({
  episode: 0,
  t: 0,
  promptIds: prompt,
  completionIds: completion,
  oldLogprobs: completion.map(() => -1),
  advantage,
  weight,
});

Deno.test("mergeDuplicateRows() merges same tokens of the same advantage sign, hand-computed", () => {
  const rows = [
    row([1, 2], [3, 4], 0.5, 2),
    row([1, 2], [3, 4], 1.5),
    row([1, 2], [3, 4], -1),
    row([1, 2], [3], 0.5),
    row([1, 2], [3, 4], -0.5, 3),
    row([9], [3, 4], 0.5),
  ];
  const merged = mergeDuplicateRows(rows);
  // weights 2+1 → 3, Â (2·0.5 + 1.5)/3; the two negatives: 1+3 → 4, Â (−1 − 1.5)/4
  assert.deepEqual(merged.map((r) => [r.promptIds, r.completionIds, r.weight, r.advantage]), [
    [[1, 2], [3, 4], 3, 2.5 / 3],
    [[1, 2], [3, 4], 4, -0.625],
    [[1, 2], [3], 1, 0.5],
    [[9], [3, 4], 1, 0.5],
  ]);
  // the inputs are untouched
  assert.equal(rows[0].weight, 2);
});

/** The loss of rows whose per-token log-prob under π_θ is given by the completion token id. */
function lossOf(rows: readonly TrainingRow[], lpOf: (tok: number) => number, eps = 0.2): number {
  return tf.tidy(() => {
    const T = Math.max(...rows.map((r) => r.completionIds.length));
    const grid = (f: (r: TrainingRow, j: number) => number) =>
      tf.tensor2d(rows.flatMap((r) => Array.from({ length: T }, (_, j) => f(r, j))), [
        rows.length,
        T,
      ]);
    const live = (r: TrainingRow, j: number) => j < r.completionIds.length;
    const { loss } = ppoClipLoss({
      logprobs: grid((r, j) => (live(r, j) ? lpOf(r.completionIds[j]) : 0)),
      oldLogprobs: grid((r, j) => (live(r, j) ? r.oldLogprobs[j] : 0)),
      mask: grid((r, j) => Number(live(r, j))),
      advantages: tf.tensor1d(rows.map((r) => r.advantage)),
      weights: tf.tensor1d(rows.map((r) => r.weight)),
      clipEps: eps,
      entropy: grid(() => 0.3),
      entropyCoef: 0.05,
      normalizer: lossNormalizer(rows),
    });
    return loss.dataSync()[0];
  });
}

Deno.test("mergeDuplicateRows() leaves the clipped loss unchanged, clipped or not", () => {
  const rows = [
    row([1], [3, 4], 0.9, 2),
    row([1], [3, 4], 0.1),
    row([1], [3, 4], -0.7),
    row([1], [3, 4], -1.2, 2),
    row([1], [3], 0.4),
  ];
  const merged = mergeDuplicateRows(rows);
  assert.equal(merged.length, 3);
  // ratios exp(lp + 1): 1 (no clip), 1.5 and 0.6 (both sides clipped), mixed per token
  for (
    const lp of [
      (_: number) => -1,
      (_: number) => Math.log(1.5) - 1,
      (_: number) => Math.log(0.6) - 1,
      (t: number) => (t === 3 ? -0.5 : -1.6),
    ]
  ) {
    const a = lossOf(rows, lp), b = lossOf(merged, lp);
    assert.ok(Math.abs(a - b) < 1e-6, `loss ${a} before merging, ${b} after`);
  }
});
