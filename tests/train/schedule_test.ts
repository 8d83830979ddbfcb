import assert from "node:assert/strict";
import { learningRateAt } from "../../lib/train/schedule.ts";

Deno.test("learningRateAt() warms up linearly, then stays constant", () => {
  const o = { lr: 0.3, schedule: "constant" as const, warmup: 2, iterations: 10 };
  assert.deepEqual([1, 2, 3, 10].map((i) => learningRateAt(i, o).toFixed(4)), [
    "0.1000",
    "0.2000",
    "0.3000",
    "0.3000",
  ]);
});

Deno.test("learningRateAt() cosine decays from lr to minRatio·lr at the last iteration", () => {
  const o = { lr: 2, schedule: "cosine" as const, warmup: 0, iterations: 5, minRatio: 0.1 };
  // progress (i − 1)/4: 0, ¼, ½, ¾, 1 → 2·(0.1 + 0.9·(1 + cos πp)/2)
  const expected = [
    2,
    2 * (0.1 + 0.9 * (1 + Math.SQRT1_2) / 2),
    1.1,
    2 * (0.1 + 0.9 * (1 - Math.SQRT1_2) / 2),
    0.2,
  ];
  [1, 2, 3, 4, 5].forEach((i, k) =>
    assert.equal(learningRateAt(i, o).toFixed(10), expected[k].toFixed(10))
  );
  // past the end (a run extended on resume) it stays at the floor
  assert.equal(learningRateAt(7, o).toFixed(10), "0.2000000000");
});
