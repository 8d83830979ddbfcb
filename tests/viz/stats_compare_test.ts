import assert from "node:assert/strict";
import { summarize } from "../../lib/viz/stats.ts";
import { comparisonRecords, comparisonTable } from "../../lib/viz/compare.ts";
import {
  bestRunByScenario,
  type EvalLike,
  optimumByScenario,
  runPoints,
} from "../../lib/viz/eval_summary.ts";

const row = (
  run: string,
  scenario: string,
  iteration: number,
  success: boolean,
  opt: number | null = null,
): EvalLike => ({
  run,
  scenario,
  iteration,
  success,
  return: success ? 1 : 0,
  optimal_success: opt,
});

Deno.test("summarize() gives the sample std and a Student-t 95% CI", () => {
  const s = summarize([0.5, 0.7, 0.6]);
  assert.equal(s.n, 3);
  assert.ok(Math.abs(s.mean - 0.6) < 1e-12);
  assert.ok(Math.abs(s.std - 0.1) < 1e-12);
  assert.ok(Math.abs(s.ci95 - 4.303 * 0.1 / Math.sqrt(3)) < 1e-12);
  assert.equal(summarize([2]).ci95, 0);
});

Deno.test("runPoints() averages each run's episodes per scenario and iteration", () => {
  const pts = runPoints(
    [row("a", "S", 0, true), row("a", "S", 0, false), row("a", "S", 0, false)],
    "success",
  );
  assert.equal(pts.length, 1);
  assert.ok(Math.abs(pts[0].value - 1 / 3) < 1e-12);
  assert.equal(pts[0].episodes, 3);
});

Deno.test("comparisonTable() computes relative improvement as (trained − baseline) / |baseline|", () => {
  // two seeds: trained 0.75 and 0.75 at their last evaluation; baseline 0.5 and 0.5
  const trained = [
    ...["a", "b"].flatMap((run) => [
      row(run, "FL", 0, false, 1),
      row(run, "FL", 0, false, 1),
      row(run, "FL", 0, false, 1),
      row(run, "FL", 0, true, 1),
      row(run, "FL", 10, true, 1),
      row(run, "FL", 10, true, 1),
      row(run, "FL", 10, true, 1),
      row(run, "FL", 10, false, 1),
    ]),
    row("a", "Z", 0, true),
    row("a", "Z", 10, true),
  ];
  const baseline = ["x", "y"].flatMap((run) => [
    row(run, "FL", 0, true, 1),
    row(run, "FL", 0, false, 1),
    row(run, "FL", 0, true, 1),
    row(run, "FL", 0, false, 1),
  ]).concat([row("x", "Z", 0, false)]);
  const [fl, z] = comparisonTable(trained, baseline, "success");
  assert.equal(fl.scenario, "FL");
  assert.equal(fl.untrained!.mean, 0.25);
  assert.equal(fl.trained!.mean, 0.75);
  assert.equal(fl.trained!.n, 2);
  assert.equal(fl.trainedIteration, 10);
  assert.equal(fl.baseline!.mean, 0.5);
  assert.equal(fl.optimum, 1);
  assert.equal(fl.relativeImprovement, 0.5);
  assert.equal(fl.trainedOverOptimum, 0.75);
  assert.equal(z.relativeImprovement, null, "a zero baseline has no relative improvement");
  assert.equal(z.difference, 1);
  const rec = comparisonRecords([fl]);
  assert.equal(rec[0]["relative improvement"], "+50.0%");
  assert.equal(rec[0]["small + MS-GRPO"], "0.750 ± 0.000 (n=2)");
});

Deno.test("bestRunByScenario() picks the highest last value and optimumByScenario() the mean optimum", () => {
  const rows = [
    row("a", "S", 0, true, 0.5),
    row("a", "S", 5, false, 1),
    row("b", "S", 0, false, 0.5),
    row("b", "S", 5, true, 1),
  ];
  assert.equal(bestRunByScenario(runPoints(rows, "success")).get("S"), "b");
  assert.equal(optimumByScenario(rows).get("S"), 0.5);
  assert.equal(optimumByScenario([row("a", "Snake", 0, true)]).size, 0);
});
