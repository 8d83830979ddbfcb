import assert from "node:assert/strict";
import { join } from "node:path";
import { readTable } from "../../lib/log/mod.ts";
import type { ComputeStatement } from "../../lib/train/flops.ts";
import { TINY_FLAGS, TINY_LARGE_FLAGS } from "../../notebooks/make_sample.ts";
import { ROOT, runScript, summaryOf } from "./_run.ts";

const FOUR = ["FrozenLake-NoSlip", "FrozenLake-Slippery", "Snake-8", "Snake-20"];

Deno.test("scale_comparison --setup cpu trains the small base on NoSlip and evaluates both large ones on the same episodes", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "msgrpo-scale-" });
  const runDir = join(tmp, "seed3");
  const r = await runScript("experiments/scale_comparison.ts", [
    "--seed",
    "3",
    "--run-dir",
    runDir,
    "--cache_dir",
    join(tmp, "bases"),
    ...TINY_FLAGS,
    ...TINY_LARGE_FLAGS,
    "--msgrpo.iterations",
    "2",
    "--eval.every",
    "2",
    "--eval.episodes",
    "3",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const s = summaryOf(r);
  assert.equal(s.setup, "cpu");
  assert.equal(s.iterations, 2);
  assert.ok((s.large_parameters as number) >= 8 * (s.small_parameters as number));
  assert.equal(s.large_long_parameters, s.large_parameters);
  const cmp = s.comparison as { scenario: string; baseline_success: number | null }[];
  assert.deepEqual(cmp.map((c) => c.scenario), FOUR);
  assert.ok(cmp.every((c) => c.baseline_success !== null));
  type Ev = { iteration: number; seed: number; scenario: string };
  const ev = readTable(join(runDir, "eval.arrow")).objects() as Ev[];
  assert.deepEqual([...new Set(ev.map((e) => e.iteration))], [0, 2]);
  const key = (e: { scenario: string; seed: number }) => `${e.scenario}/${e.seed}`;
  for (const name of ["baseline", "baseline_long"]) {
    const base = readTable(join(runDir, name, "eval.arrow")).objects() as Ev[];
    assert.deepEqual(base.map(key), ev.filter((e) => e.iteration === 0).map(key), name);
    assert.equal(base.length, 4 * 3);
    const meta = JSON.parse(await Deno.readTextFile(join(runDir, name, "meta.json")));
    assert.equal(meta.role, "baseline");
    assert.equal(meta.policy.name, `lap:${name}`);
  }
  // the recipe's msgrpo/optim sections come from registered_recipe.yaml, flags win over them
  const yaml = await Deno.readTextFile(join(runDir, "config.yaml"));
  assert.match(yaml, /^setup: cpu$/m);
  assert.match(yaml, /^ {2}replay_groups: 6$/m);
  assert.match(yaml, /^ {2}schedule: cosine$/m);
  assert.match(yaml, /^ {2}groups: 2$/m);
  // training plays FrozenLake-NoSlip only
  const steps = readTable(join(runDir, "steps.arrow")).objects() as { scenario: string }[];
  assert.deepEqual([...new Set(steps.map((x) => x.scenario))], ["FrozenLake-NoSlip"]);
  // the compute statement: 6·P·T per model, B and C pre-trained on more tokens than the small base
  const compute: ComputeStatement = JSON.parse(
    await Deno.readTextFile(join(runDir, "compute.json")),
  );
  assert.deepEqual(s.compute, compute as unknown);
  const t = compute.tokens, p = compute.parameters;
  assert.equal(compute.small_pretrain_flops, 6 * p.small * t.small_pretrain);
  assert.ok(
    t.baseline_pretrain > t.small_pretrain && t.baseline_long_pretrain > t.baseline_pretrain,
  );
  assert.ok(t.msgrpo_update > 0 && t.msgrpo_rollout >= t.msgrpo_update / 4);
  assert.ok(compute.large_over_small.baseline_long > compute.large_over_small.baseline);
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("scale_cpu.yaml and ablation.yaml take the registered recipe's msgrpo and optim sections", async () => {
  const { recipeArgs } = await import("../../lib/train/cli.ts");
  const { parse } = await import("yaml");
  const configs = join(ROOT, "experiments", "configs");
  for (const file of ["scale_cpu.yaml", "ablation.yaml"]) {
    const doc = parse(await Deno.readTextFile(join(configs, file))) as Record<string, unknown>;
    assert.equal(doc.recipe, "registered_recipe.yaml", file);
    assert.equal(doc.msgrpo, undefined, `${file} must not repeat the recipe's msgrpo section`);
    assert.equal(doc.optim, undefined, `${file} must not repeat the recipe's optim section`);
  }
  const common = [
    "msgrpo.iterations=500",
    "msgrpo.groups=8",
    "msgrpo.group_size=8",
    "msgrpo.replay_groups=6",
    "msgrpo.replay_threshold=0.5",
    "msgrpo.minibatches=4",
    "msgrpo.entropy_coef=0.01",
    "optim.lr=0.0003",
    'optim.schedule="cosine"',
    "optim.min_lr_ratio=0",
  ];
  // the registered recipe is the main job's as both experiments ran it, pinned when it changes
  const registered = recipeArgs("registered_recipe.yaml", configs).filter((a) => a !== "--set");
  for (const want of [...common, 'msgrpo.sampling="aaw"', "msgrpo.stop=[]"]) {
    assert.ok(registered.includes(want), `the registered recipe lacks ${want}: ${registered}`);
  }
  const today = recipeArgs("frozen_lake_demo.yaml", configs).filter((a) => a !== "--set");
  for (const want of common) {
    assert.ok(today.includes(want), `the main job's recipe lacks ${want}: ${today}`);
  }
  assert.throws(() => recipeArgs("no_such_recipe.yaml", configs), /no_such_recipe\.yaml/);
});

Deno.test("scale_comparison --setup cpu refuses a large base under min_ratio × the small one", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "msgrpo-scale-ratio-" });
  const r = await runScript("experiments/scale_comparison.ts", [
    "--run-dir",
    join(tmp, "run"),
    "--cache_dir",
    join(tmp, "bases"),
    ...TINY_FLAGS,
    "--large.hidden",
    "32",
    "--large.layers",
    "2",
    "--large.heads",
    "2",
    "--large.kv_heads",
    "1",
    "--large.intermediate",
    "64",
    "--large.steps",
    "2",
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /min_ratio 8/);
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("scale_comparison --setup paper fails clearly without the model folder", async () => {
  const r = await runScript("experiments/scale_comparison.ts", [
    "--setup",
    "paper",
    "--model.path",
    "/nonexistent/Qwen2.5-3B-Instruct",
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /model\.path \/nonexistent\/Qwen2\.5-3B-Instruct is not a folder/);
  assert.match(r.stderr, /Qwen2\.5-3B-Instruct/);
  const empty = await runScript("experiments/scale_comparison.ts", ["--setup", "paper"]);
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /model\.path is empty/);
});

async function fakeModelFolder(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "msgrpo-fake-3b-" });
  for (const f of ["config.json", "tokenizer.json", "model.safetensors"]) {
    await Deno.writeTextFile(join(dir, f), "{}");
  }
  return dir;
}

Deno.test("scale_comparison --setup paper fails clearly when the baseline server is down or wrong", async () => {
  const dir = await fakeModelFolder();
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close(); // nothing listens there now
  const down = await runScript("experiments/scale_comparison.ts", [
    "--setup",
    "paper",
    "--model.path",
    dir,
    "--baseline.base_url",
    `http://127.0.0.1:${port}/v1`,
  ]);
  assert.equal(down.code, 1);
  assert.match(
    down.stderr,
    new RegExp(`does not answer GET http://127\\.0\\.0\\.1:${port}/v1/models`),
  );
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    () => Response.json({ object: "list", data: [{ id: "other-model" }] }),
  );
  const wrong = await runScript("experiments/scale_comparison.ts", [
    "--setup",
    "paper",
    "--model.path",
    dir,
    "--baseline.base_url",
    `http://127.0.0.1:${server.addr.port}/v1`,
  ]);
  ac.abort();
  await server.finished;
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /serves other-model, not Qwen2\.5-72B-Instruct/);
  await Deno.remove(dir, { recursive: true });
});
