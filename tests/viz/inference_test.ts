import assert from "node:assert/strict";
import {
  ablationArmRecords,
  ablationPairRecords,
  ablationStatistics,
  runCurves,
  scaleStatistics,
  scaleStatisticsRecords,
} from "../../lib/viz/inference.ts";
import type { RunPoint } from "../../lib/viz/eval_summary.ts";

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);
const pts = (run: string, scenario: string, values: number[], step = 10): RunPoint[] =>
  values.map((value, i) => ({ run, scenario, iteration: i * step, value, episodes: 50 }));
const seedOf = (run: string) => Number(run.match(/(\d+)/)![1]);

Deno.test("runCurves() groups points per run and scenario, sorted by iteration", () => {
  const c = runCurves([...pts("s2", "A", [0.1, 0.2]).reverse(), ...pts("s1", "A", [0.5])], seedOf);
  assert.deepEqual(c.map((x) => [x.run, x.seed, x.points.map((p) => p.iteration)]), [
    ["s2", 2, [0, 10]],
    ["s1", 1, [0]],
  ]);
});

Deno.test("scaleStatistics() compares each run's last evaluation with each baseline", () => {
  const FL = "FrozenLake-NoSlip";
  const trained = [
    ...pts("s1", FL, [0, 0.4]),
    ...pts("s2", FL, [0, 0.5]),
    ...pts("s3", FL, [0, 0.6]),
    ...pts("s1", "Snake-8", [0, 0.2]),
  ];
  const base = (kind: string, v: number[]) =>
    v.flatMap((x, i) => pts(`s${i + 1}/${kind}`, FL, [x]));
  const rows = scaleStatistics(
    trained,
    new Map([["baseline", base("baseline", [0.1, 0.2, 0.3])], [
      "baseline_long",
      base("baseline_long", [0.3, 0.2, 0.1]),
    ]]),
    seedOf,
  );
  assert.deepEqual(rows.map((r) => [r.scenario, r.baseline]), [
    [FL, "baseline"],
    [FL, "baseline_long"],
  ]);
  const c = rows[0].comparison;
  close(c.difference, 0.3);
  assert.equal(c.permutation.p, 0.1); // 2 of C(6, 3) = 20
  assert.equal(c.signFlip!.p, 0.25); // d = [.3, .3, .3]: 2 of 8
  close(c.relative!.estimate!, 0.5 / 0.2 - 1);
  assert.deepEqual(rows.map((r) => r.pHolm), [0.2, 0.2]); // Holm over the two baselines
  const rec = scaleStatisticsRecords(rows)[0];
  assert.equal(rec.seeds, "3 vs 3");
  assert.equal(rec["p (permutation)"], "0.100");
  assert.match(rec["relative improvement"], /^1\.500 \[/);
});

Deno.test("ablationStatistics() gives final, area and censored iterations per arm and pair", () => {
  const FL = "FrozenLake-NoSlip";
  const arm = (a: string) => (p: RunPoint) => ({ ...p, arm: a });
  const points = [
    ...pts("aaw1", FL, [0, 0.8, 1]).map(arm("aaw")),
    ...pts("aaw2", FL, [0, 0.6, 0.9]).map(arm("aaw")),
    ...pts("uni1", FL, [0, 0.2, 0.4]).map(arm("uniform")),
    ...pts("uni2", FL, [0, 0.4, 0.5]).map(arm("uniform")),
  ];
  const { arms, pairs } = ablationStatistics(points, seedOf);
  const aaw = arms.find((x) => x.arm === "aaw")!, uni = arms.find((x) => x.arm === "uniform")!;
  assert.deepEqual(aaw.final, [1, 0.9]);
  close(aaw.auc[0], 0.65); // (10·0.4 + 10·0.9) / 20
  close(uni.auc[1], 0.325); // (10·0.2 + 10·0.45) / 20
  assert.deepEqual(aaw.iterations, [10, 20]);
  assert.deepEqual([uni.iterations, uni.censored], [[30, 30], 2]); // 20 + one interval
  assert.deepEqual(pairs.map((p) => p.measure), [
    "final success",
    "area under curve",
    "iterations to level",
  ]);
  close(pairs[0].comparison.difference, 0.5);
  close(pairs[0].comparison.permutation.p, 2 / 6);
  assert.equal(pairs[0].comparison.signFlip!.p, 0.5);
  close(pairs[0].pHolm!, 2 / 6); // the only primary test
  assert.equal(pairs[1].pHolm, null);
  assert.equal(pairs[2].comparison.difference, -15);
  close(pairs[2].comparison.permutation.p, 2 / 6);
  const recs = ablationArmRecords(arms);
  assert.equal(recs[1].level, "0.800");
  assert.equal(recs[1].reached, "0/2");
  assert.equal(recs[1]["iterations to level"], "≥ 30.0 [30.0, 30.0]");
  assert.equal(recs[0]["iterations to level"], "15.0 [10.0, 20.0]");
  // a level per scenario: 0.5 is reached by both uniform seeds (at 20 and 20)
  const half = ablationStatistics(points, seedOf, { level: (sc) => (sc === FL ? 0.5 : 0.8) });
  assert.deepEqual(half.arms[1].iterations, [30, 20]);
  assert.equal(half.arms[1].censored, 1);
  assert.equal(ablationPairRecords(pairs)[0].comparison, "aaw − uniform");
});

Deno.test("scaleStatistics() refuses two runs of one arm with the same seed", () => {
  const FL = "FrozenLake-NoSlip";
  assert.throws(
    () =>
      scaleStatistics(
        [...pts("s1", FL, [0.1]), ...pts("s1x", FL, [0.2])],
        new Map([["baseline", pts("s1/baseline", FL, [0.1])]]),
        seedOf,
      ),
    /seed 1/,
  );
});
