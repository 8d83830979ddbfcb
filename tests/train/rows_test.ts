import assert from "node:assert/strict";
import { episodeRows, updateRow } from "../../lib/train/rows.ts";
import type { UpdateOutcome } from "../../lib/train/update.ts";
import { makeEpisode } from "../msgrpo/fixtures.ts";

// group 0: a win in 2 steps and a loss in 1; the episodes' own `return` differs from the R used
const eps = [makeEpisode(0, 0, 1, 2, 4), { ...makeEpisode(0, 1, 0, 1, 4), scenario: "Snake-8" }];
eps[1].steps[0].valid = false;
const prepared = {
  returns: [0.9, -0.1],
  advantages: [1, -1],
  timesDrawn: [2, 0],
  meanGroupStd: 0.5,
  zeroVarianceFraction: 0,
  idle: false,
};

Deno.test("episodeRows() reports each episode's R, Â and draws on its episode and step rows", () => {
  const rows = episodeRows(eps, prepared, ["left", "down", "right", "up"]);
  assert.deepEqual(
    rows.episodes.map((
      e,
    ) => [e.iteration, e.group, e.episode, e.seed, e.return, e.length, e.success]),
    [[4, 0, 0, 7, 0.9, 2, true], [4, 0, 1, 7, -0.1, 1, false]],
  );
  assert.deepEqual(rows.episodes.map((e) => [e.advantage, e.times_drawn]), [[1, 2], [-1, 0]]);
  assert.deepEqual(
    rows.steps.map((s) => [s.episode, s.t, s.action, s.reward, s.done, s.advantage, s.times_drawn]),
    [[0, 0, "left", 0, false, 1, 2], [0, 1, "down", 1, true, 1, 2], [1, 0, null, 0, true, -1, 0]],
  );
  const s0 = rows.steps[0];
  assert.deepEqual([s0.scenario, s0.prompt_tokens, s0.completion_tokens, s0.completion], [
    "FrozenLake-NoSlip",
    2,
    2,
    "a0.0",
  ]);
  assert.ok(Math.abs(s0.logprob_sum - (-1 - 1.01)) < 1e-12);
  // each episode's own scenario and dynamics seed (a mixture's groups play different scenarios)
  assert.deepEqual(rows.episodes.map((e) => [e.scenario, e.dynamics_seed]), [
    ["FrozenLake-NoSlip", 1000],
    ["Snake-8", 1001],
  ]);
  assert.deepEqual(rows.steps.map((s) => s.scenario), [
    "FrozenLake-NoSlip",
    "FrozenLake-NoSlip",
    "Snake-8",
  ]);
});

Deno.test("updateRow() reports the update's statistics and the iteration's R and validity", () => {
  const outcome: UpdateOutcome = {
    updated: true,
    loss: 0.5,
    clipFrac: 0.25,
    approxKl: 0.01,
    refKl: null,
    entropy: 1.2,
    gradNorm: 3,
    tokens: 6,
    entropyCoef: 0.02,
    probeKl: null,
    stepScale: null,
    rolledBack: false,
  };
  const row = updateRow(4, eps, prepared, outcome, {
    lr: 1e-3,
    generatedTokens: 60,
    rolloutSeconds: 2,
    rolloutWallSeconds: 3,
    updateSeconds: 4,
    evalSeconds: 0,
    wallSeconds: 7,
  });
  assert.deepEqual(row, {
    iteration: 4,
    loss: 0.5,
    clip_frac: 0.25,
    approx_kl: 0.01,
    ref_kl: null,
    entropy: 1.2,
    grad_norm: 3,
    lr: 1e-3,
    reward_mean: 0.4, // (0.9 − 0.1) / 2 from the prepared R, not the episodes' own return
    reward_std: 0.5,
    group_reward_std_mean: 0.5,
    zero_var_group_frac: 0,
    valid_rate: 2 / 3,
    tokens_per_s: 30,
    wall_s: 7,
    rollout_s: 3,
    update_s: 4,
    eval_s: 0,
    updated: true,
    idle_update: false,
    signal_episodes: 2,
    entropy_coef: 0.02,
    kl_probe: null,
    kl_rollback: false,
    kl_step_scale: null,
  });
});
