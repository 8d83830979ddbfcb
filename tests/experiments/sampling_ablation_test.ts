import assert from "node:assert/strict";
import { join } from "node:path";
import { readTable } from "../../lib/log/mod.ts";
import { TINY_FLAGS } from "../../notebooks/make_sample.ts";
import { runScript, summaryOf } from "./_run.ts";

Deno.test("sampling_ablation --arm all runs one seed with the registered recipe and records the arm", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "msgrpo-ablation-" });
  const runDir = join(tmp, "run");
  const r = await runScript("experiments/sampling_ablation.ts", [
    "--arm",
    "all",
    "--seed",
    "2",
    "--run-dir",
    runDir,
    "--cache_dir",
    join(tmp, "bases"),
    ...TINY_FLAGS,
    "--msgrpo.iterations",
    "2",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const s = summaryOf(r);
  assert.equal(s.arm, "all");
  assert.equal(s.seed, 2);
  const yaml = await Deno.readTextFile(join(runDir, "config.yaml"));
  assert.match(yaml, /^arm: all$/m);
  assert.match(yaml, /^ {2}sampling: all$/m);
  // the msgrpo and optim sections of registered_recipe.yaml, under the flags
  assert.match(yaml, /^ {2}replay_groups: 6$/m);
  assert.match(yaml, /^ {2}schedule: cosine$/m);
  assert.match(yaml, /^ {2}groups: 2$/m);
  const ev = readTable(join(runDir, "eval.arrow")).objects() as { scenario: string }[];
  assert.deepEqual([...new Set(ev.map((e) => e.scenario))], [
    "FrozenLake-NoSlip",
    "FrozenLake-Slippery",
  ]);
  assert.equal(JSON.parse(await Deno.readTextFile(join(runDir, "meta.json"))).arm, "all");
  const eps = readTable(join(runDir, "episodes.arrow")).objects() as {
    times_drawn: number;
    advantage: number;
  }[];
  assert.equal(eps.length, 2 * 2 * 4);
  // `all` uses each episode at most once, and every episode with a non-zero advantage once
  for (const e of eps) {
    assert.ok(e.times_drawn <= 1, `times_drawn ${e.times_drawn}`);
    if (e.advantage !== 0) assert.equal(e.times_drawn, 1);
  }
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("sampling_ablation rejects an msgrpo.sampling that contradicts --arm", async () => {
  const r = await runScript("experiments/sampling_ablation.ts", [
    "--arm",
    "aaw",
    "--msgrpo.sampling",
    "uniform",
    "--run-dir",
    "/tmp/msgrpo-never-created",
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /contradicts --arm aaw/);
});

Deno.test("sampling_ablation with another recipe: the arm sets the sampling, the rest is the recipe's", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "msgrpo-ablation-" });
  const runDir = join(tmp, "run");
  // a recipe that names its own sampling rule (as a screened variant of the main job's does)
  const recipe = join(tmp, "recipe.yaml");
  await Deno.writeTextFile(
    recipe,
    'msgrpo:\n  sampling: all\n  stop: ["</action>"]\n  entropy_coef: 0.01\noptim:\n  lr: 3.0e-4\n',
  );
  const r = await runScript("experiments/sampling_ablation.ts", [
    "--arm",
    "aaw",
    "--recipe",
    recipe,
    "--run-dir",
    runDir,
    "--cache_dir",
    join(tmp, "bases"),
    ...TINY_FLAGS,
    "--msgrpo.iterations",
    "1",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const yaml = await Deno.readTextFile(join(runDir, "config.yaml"));
  // the recipe says `sampling: all`; the arm wins over it, the recipe's other keys stay
  assert.match(yaml, /^ {2}sampling: aaw$/m);
  assert.match(yaml, /^ {2}stop:\n {4}- <\/action>$/m);
  await Deno.remove(tmp, { recursive: true });
});
