import assert from "node:assert/strict";
import { join } from "node:path";
import { RandomPolicy } from "../../lib/policy/scripted.ts";
import { collectGroups } from "../../lib/rollout/groups.ts";
import { MIXED_ACTIONS, MixedScenarioEnv, pickScenario } from "../../lib/env/mixed.ts";
import { episodeRows } from "../../lib/train/rows.ts";
import { trainingStateSeed } from "../../lib/util/seeds.ts";
import { replayEpisode } from "../../lib/viz/replay.ts";
import { discoverRuns, loadRuns, runPathsFromEnv } from "../../lib/viz/runs.ts";

const FOUR = ["FrozenLake-NoSlip", "FrozenLake-Slippery", "Snake-8", "Snake-20"];

Deno.test("replayEpisode() reproduces, from their logged rows, the episodes collectGroups() played", async () => {
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
  const zeros = episodes.map(() => 0);
  const rows = episodeRows(
    episodes,
    { returns: zeros, advantages: zeros, timesDrawn: zeros },
    MIXED_ACTIONS,
  );
  const played = new Set<string>();
  for (const e of rows.episodes) {
    // a mixture plays, per group, the scenario its initial-state seed picks
    assert.equal(e.scenario, pickScenario(e.seed, FOUR));
    played.add(e.scenario.split("-")[0]);
    const steps = rows.steps.filter((s) => s.group === e.group && s.episode === e.episode);
    const r = replayEpisode({
      scenario: e.scenario,
      initialStateSeed: e.seed,
      dynamicsSeed: e.dynamics_seed,
      completions: steps.map((s) => s.completion),
      formatPenalty: 0.1,
      loggedRewards: steps.map((s) => s.reward),
    });
    assert.equal(r.consistent, true, `${e.scenario} episode ${e.group}/${e.episode}`);
    assert.equal(r.frames.length, steps.length + 1);
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
