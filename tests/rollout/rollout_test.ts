import assert from "node:assert/strict";
import { getScenario } from "../../lib/env/scenarios.ts";
import { FrozenLakeEnv } from "../../lib/env/frozen_lake.ts";
import { OraclePolicy, RandomPolicy } from "../../lib/policy/scripted.ts";
import type { ActOptions, Completion, Policy, PolicyInput } from "../../lib/policy/types.ts";
import { collectGroups } from "../../lib/rollout/groups.ts";
import { evaluateScenario } from "../../lib/rollout/evaluate.ts";
import { playEpisodes } from "../../lib/rollout/play.ts";

Deno.test("evaluateScenario() with the oracle succeeds on exactly the solvable NoSlip maps", async () => {
  const scenario = getScenario("FrozenLake-NoSlip");
  const { rows } = await evaluateScenario(new OraclePolicy(), scenario, {
    iteration: 0,
    temperature: 0,
    seed: 1,
  });
  assert.equal(rows.length, 50);
  assert.deepEqual(rows.map((r) => r.seed), [...scenario.episodeSeeds]);
  for (const r of rows) {
    // Not slippery: the optimum of each map is 0 or 1 and the oracle attains it.
    assert.equal(r.success, r.optimal_success === 1, `episode ${r.episode}`);
    assert.equal(r.valid_rate, 1);
  }
  const mean = rows.filter((r) => r.success).length / rows.length;
  assert.ok(Math.abs(mean - scenario.optimalSuccess!) < 1e-9);
});

Deno.test("collectGroups() plays G episodes per group from one initial state, seeded", async () => {
  const makeEnv = () =>
    new FrozenLakeEnv({ randomMap: { size: 4, p: 0.9 }, slippery: true, maxSteps: 15 });
  const opts = {
    iteration: 3,
    initialStateSeeds: [11, 12],
    groupSize: 4,
    temperature: 1,
    seed: 5,
    formatPenalty: 0.1,
  };
  const a = await collectGroups(makeEnv, new RandomPolicy(), opts);
  const b = await collectGroups(makeEnv, new RandomPolicy(), opts);
  assert.equal(a.episodes.length, 8);
  assert.deepEqual(a.episodes.map((e) => [e.group, e.index]), [
    [0, 0],
    [0, 1],
    [0, 2],
    [0, 3],
    [1, 0],
    [1, 1],
    [1, 2],
    [1, 3],
  ]);
  assert.deepEqual(a.episodes.map((e) => e.initialStateSeed), [11, 11, 11, 11, 12, 12, 12, 12]);
  assert.equal(new Set(a.episodes.map((e) => e.dynamicsSeed)).size, 8);
  assert.deepEqual(JSON.stringify(a.episodes), JSON.stringify(b.episodes));
  for (const e of a.episodes) {
    assert.equal(e.return, e.steps.reduce((s, x) => s + x.reward, 0));
    assert.ok(e.steps.at(-1)!.done && e.steps.slice(0, -1).every((s) => !s.done));
  }
});

class _FixedTextPolicy implements Policy {
  readonly name = "fixed";
  calls: number[] = [];
  constructor(private readonly text: string) {}
  act(inputs: PolicyInput[], _o: ActOptions): Promise<Completion[]> {
    this.calls.push(inputs.length);
    return Promise.resolve(inputs.map(() => ({
      text: this.text,
      finishReason: "stop" as const,
      usage: { promptTokens: 3, completionTokens: 2 },
    })));
  }
}

Deno.test("playEpisodes() applies the format penalty to invalid answers and batches live episodes", async () => {
  const policy = new _FixedTextPolicy("I would go left");
  const specs = [0, 1, 2].map((s) => ({
    env: new FrozenLakeEnv({ mapName: "4x4", slippery: false, maxSteps: 5 }),
    initialStateSeed: s,
    dynamicsSeed: s,
  }));
  const { episodes, stats } = await playEpisodes(specs, policy, {
    temperature: 1,
    seed: 0,
    formatPenalty: 0.25,
  });
  // Invalid → default action (left) at the start corner: the agent stays until the step cap.
  for (const e of episodes) {
    assert.equal(e.steps.length, 5);
    assert.ok(e.steps.every((s) => !s.valid && s.reward === -0.25 && s.action === 0));
    assert.equal(e.success, false);
  }
  assert.deepEqual(policy.calls, [3, 3, 3, 3, 3]);
  assert.equal(stats.promptTokens, 45);
  assert.equal(stats.completionTokens, 30);
});

Deno.test("playEpisodes() with strictAnswers counts anything but the canonical answer as invalid", async () => {
  const play = (text: string, strictAnswers: boolean) =>
    playEpisodes(
      [{
        env: new FrozenLakeEnv({ mapName: "4x4", slippery: false, maxSteps: 5 }),
        initialStateSeed: 0,
        dynamicsSeed: 0,
      }],
      new _FixedTextPolicy(text),
      { temperature: 1, seed: 0, formatPenalty: 0.25, strictAnswers },
    );
  const junk = "<action>down</action>0right"; // the parser reads it as down
  // Lenient: down, down, down from S walks into the hole at row 4 (3 steps, valid, no penalty).
  const lenient = (await play(junk, false)).episodes[0];
  assert.deepEqual(lenient.steps.map((s) => [s.action, s.valid, s.reward]), [
    [1, true, 0],
    [1, true, 0],
    [1, true, 0],
  ]);
  // Strict: each answer is invalid, so the default action (left) keeps the agent at S until the
  // step cap, paying the penalty each step; the step records the answer as written.
  const strict = (await play(junk, true)).episodes[0];
  assert.equal(strict.steps.length, 5);
  assert.ok(strict.steps.every((s) => s.action === 0 && !s.valid && s.reward === -0.25));
  assert.equal(strict.steps[0].completionText, junk);
  assert.equal(strict.return, -1.25);
  // The canonical answer is valid either way.
  const canonical = (await play("<action>down</action>", true)).episodes[0];
  assert.deepEqual(canonical.steps.map((s) => [s.action, s.valid]), [[1, true], [1, true], [
    1,
    true,
  ]]);
});
