import assert from "node:assert/strict";
import { FrozenLakeEnv } from "../../lib/env/frozen_lake.ts";
import { SCENARIOS } from "../../lib/env/scenarios.ts";
import { oracleAction } from "../../lib/env/scripted.ts";
import { domainTokenizerFiles } from "../../lib/model/domain_tokenizer.ts";
import { writeTokenizerFiles } from "../../lib/model/byte_tokenizer.ts";
import { Tokenizer } from "../../lib/model/tokenizer.ts";
import { renderTranscripts } from "../../lib/train/transcripts.ts";
import { hurriedOracleAction, plannerAction } from "../../lib/env/scripted.ts";
import { MixedScenarioEnv } from "../../lib/env/mixed.ts";
import { deriveSeed } from "../../lib/util/rng.ts";
import { TRAINING_SEED_BASE, trainingStateSeed } from "../../lib/util/seeds.ts";

const lake = () =>
  new FrozenLakeEnv({
    randomMap: { size: 4, p: 0.8 },
    slippery: false,
    maxSteps: 8,
    renderStyle: "compact",
  });

Deno.test("renderTranscripts() follows the oracle when oracleFraction is 1 and plays randomly at 0", () => {
  const oracle = renderTranscripts(lake, { episodes: 20, seed: 1, oracleFraction: 1 });
  const env = lake();
  // Replay: each answer is the oracle's action for the state rendered in the prompt.
  let i = 0;
  for (let e = 0; e < 20; e++) {
    env.reset(trainingStateSeed(1, e));
    while (!env.done) {
      assert.equal(oracle[i].user, env.observe().user);
      const a = hurriedOracleAction(env);
      assert.equal(oracle[i].answer, env.formatAction(a));
      env.step([a]);
      i++;
    }
  }
  assert.equal(i, oracle.length);
  // Shortest paths: 20 random 4x4 maps, 6 moves from S to G each (no step wasted).
  assert.equal(oracle.length, 20 * 6);
  const random = renderTranscripts(lake, { episodes: 50, seed: 1 });
  assert.equal(new Set(random.map((x) => x.answer)).size, 4);
  assert.deepEqual(random, renderTranscripts(lake, { episodes: 50, seed: 1 }));
  assert.throws(
    () => renderTranscripts(lake, { episodes: 1, seed: 0, oracleFraction: 2 }),
    /oracleFraction/,
  );
});

Deno.test("hurriedOracleAction() takes a shortest path where the plain optimum dawdles", () => {
  const env = new FrozenLakeEnv({
    desc: ["SFF", "FHF", "FFG"],
    slippery: false,
    maxSteps: 8,
    renderStyle: "compact",
  });
  env.reset(0);
  // With 8 steps for a 4-step path, "left" (a wall bump) is optimal too, and the plain oracle
  // takes the lowest optimal index; the hurried one moves down (action 1) at once.
  assert.equal(oracleAction(env), 0);
  const path: number[] = [];
  while (!env.done) {
    const a = hurriedOracleAction(env);
    path.push(a);
    env.step([a]);
  }
  assert.deepEqual(path, [1, 1, 2, 2]);
  assert.equal(env.state, 8);
  // Slippery: the hurried action keeps the optimal success probability at every step count.
  const slip = new FrozenLakeEnv({ mapName: "4x4", slippery: true, maxSteps: 12 });
  let mean = 0;
  for (let e = 0; e < 400; e++) {
    slip.reset(0, e + 1);
    let won = 0;
    while (!slip.done) won += slip.step([hurriedOracleAction(slip)]).rewards[0];
    mean += won / 400;
  }
  const best = slip.optimum().successProbability;
  assert.ok(Math.abs(mean - best) < 0.07, `hurried ${mean} vs optimum ${best}`);
  assert.throws(() => hurriedOracleAction({ name: "Snake" } as never), /needs a FrozenLakeEnv/);
});

Deno.test("trainingStateSeed() stays clear of the evaluation seeds", () => {
  const evalSeeds = Object.values(SCENARIOS).flatMap((sc) => [...sc.episodeSeeds]);
  const evalMax = Math.max(...evalSeeds);
  assert.ok(
    evalSeeds.length > 0 && evalMax < TRAINING_SEED_BASE,
    `largest evaluation seed ${evalMax}`,
  );
  const evalSet = new Set(evalSeeds);
  for (let i = 0; i < 1000; i++) {
    for (const g of [0, 3]) {
      const s = trainingStateSeed(7, i, g);
      assert.ok(s >= TRAINING_SEED_BASE && s < 2 * TRAINING_SEED_BASE, `${s}`);
      assert.ok(!evalSet.has(s), `training seed ${s} is an evaluation seed`);
    }
  }
});

Deno.test("domainTokenizerFiles() makes answers 3 tokens and round-trips any text", async () => {
  const ex = renderTranscripts(lake, { episodes: 30, seed: 2 });
  const files = domainTokenizerFiles({
    corpus: ex.flatMap((e) => [e.system, e.user, e.answer]),
    merges: 64,
  });
  assert.deepEqual(
    files,
    domainTokenizerFiles({ corpus: ex.flatMap((e) => [e.system, e.user, e.answer]), merges: 64 }),
  );
  const dir = await Deno.makeTempDir({ prefix: "msgrpo-domtok-" });
  await writeTokenizerFiles(dir, files);
  const tok = await Tokenizer.load(dir);
  for (const a of ["left", "down", "right", "up"]) {
    const ids = tok.encode(`<action>${a}</action>`);
    assert.equal(ids.length, 3, `${a}: ${ids}`);
  }
  // Board rows stay one token per cell.
  assert.equal(tok.encode("P__O\n").length, 5);
  // ... also where letters meet (P, O and G are letters; such runs must not be merged).
  for (const row of ["PO_G\n", "_OPG\n", "OOOO\n", "_OG_\n"]) {
    assert.deepEqual(tok.encode(row).map((id) => tok.decode([id])), [...row], row);
  }
  for (
    const s of ["héllo wörld", "世界 🙂", "<action>LEFT</action> P__O", "random ascii !@#$%^&*()"]
  ) {
    assert.equal(tok.decode(tok.encode(s)), s);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("renderTranscripts() asks the current scenario's planner through a MixedScenarioEnv", () => {
  const scenarios = ["FrozenLake-NoSlip", "Snake-8"];
  const make = () => new MixedScenarioEnv(scenarios, { renderStyle: "compact" });
  const hinted = renderTranscripts(make, { episodes: 30, seed: 2, oracleFraction: 1 });
  const env = make();
  let i = 0, lakes = 0, snakes = 0;
  for (let e = 0; e < 30; e++) {
    env.reset(trainingStateSeed(2, e), deriveSeed(2, e, 1));
    while (!env.done) {
      assert.equal(hinted[i].user, env.observe().user);
      const sub = env.current, a = plannerAction(sub)!;
      const unified = env.actionNames.indexOf(sub.actionNames[a]);
      assert.equal(hinted[i].answer, env.formatAction(unified));
      if (env.scenario.startsWith("Snake")) snakes++;
      else lakes++;
      env.step([unified]);
      i++;
    }
  }
  assert.equal(i, hinted.length);
  assert.ok(lakes > 0 && snakes > 0, `both games played (${lakes} lake, ${snakes} snake moves)`);
});
