import assert from "node:assert/strict";
import { join } from "node:path";
import { RandomPolicy } from "../../lib/policy/scripted.ts";
import { collectGroups } from "../../lib/rollout/groups.ts";
import { MixedScenarioEnv, pickScenario } from "../../lib/train/mixed_env.ts";
import { trainingStateSeed } from "../../lib/train/seeds.ts";
import { replayEpisode, trainingDynamicsSeed } from "../../lib/viz/replay.ts";
import { discoverRuns, loadRuns, runPathsFromEnv } from "../../lib/viz/runs.ts";

const FOUR = ["FrozenLake-NoSlip", "FrozenLake-Slippery", "Snake-8", "Snake-20"];

Deno.test("replayEpisode() reproduces the boards and rewards of episodes collectGroups() played", async () => {
  const runSeed = 7, iteration = 3;
  const seeds = [0, 1, 2, 3, 4, 5].map((g) => trainingStateSeed(runSeed, iteration, g));
  const { episodes } = await collectGroups(
    () => new MixedScenarioEnv(FOUR, { renderStyle: "compact", formatPenalty: 0.1 }),
    new RandomPolicy(),
    {
      iteration,
      initialStateSeeds: seeds,
      groupSize: 3,
      temperature: 1,
      seed: runSeed,
      formatPenalty: 0.1,
    },
  );
  const played = new Set<string>();
  for (const e of episodes) {
    const scenario = pickScenario(e.initialStateSeed, FOUR);
    played.add(scenario.split("-")[0]);
    const r = replayEpisode({
      scenario,
      initialStateSeed: e.initialStateSeed,
      dynamicsSeed: trainingDynamicsSeed(runSeed, iteration, e.group, e.index),
      completions: e.steps.map((s) => s.completionText),
      formatPenalty: 0.1,
      loggedRewards: e.steps.map((s) => s.reward),
    });
    assert.equal(r.consistent, true, `${scenario} episode ${e.group}/${e.index}`);
    assert.equal(r.frames.length, e.steps.length + 1);
    assert.equal(r.success, e.success);
  }
  assert.deepEqual([...played].sort(), ["FrozenLake", "Snake"], "both games were played");
});

Deno.test("replayEpisode() reports a log it cannot reproduce", () => {
  const r = replayEpisode({
    scenario: "FrozenLake-NoSlip",
    initialStateSeed: 1_000_000,
    completions: ["<action>left</action>"],
    loggedRewards: [5],
  });
  assert.equal(r.consistent, false);
});

const SAMPLE = join(import.meta.dirname!, "..", "..", "notebooks", "sample");

Deno.test("discoverRuns() finds training runs and their nested baselines in the sample", () => {
  const runs = discoverRuns([join(SAMPLE, "scale")]);
  const names = runs.map((r) => `${r.name}:${r.role}`);
  assert.deepEqual(names, [
    "scale_cpu__1:trained",
    "scale_cpu__1/baseline:baseline",
    "scale_cpu__2:trained",
    "scale_cpu__2/baseline:baseline",
  ]);
  assert.equal(runs[1].parent, "scale_cpu__1");
  const { tables } = loadRuns([join(SAMPLE, "scale")], ["eval"]);
  const runCol = new Set(tables.eval.array("run") as string[]);
  assert.ok(runCol.has("scale_cpu__2/baseline"));
  assert.throws(() => discoverRuns(["/nonexistent-msgrpo"]), /nonexistent-msgrpo/);
});

Deno.test("runPathsFromEnv() reads a comma list and falls back to the defaults", () => {
  Deno.env.set("MSGRPO_TEST_RUNS", " a, b ,,");
  assert.deepEqual(runPathsFromEnv(["d"], "MSGRPO_TEST_RUNS"), ["a", "b"]);
  Deno.env.delete("MSGRPO_TEST_RUNS");
  assert.deepEqual(runPathsFromEnv(["d"], "MSGRPO_TEST_RUNS"), ["d"]);
});
