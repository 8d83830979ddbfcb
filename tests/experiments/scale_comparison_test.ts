import assert from "node:assert/strict";
import { join } from "node:path";
import { readTable } from "../../lib/log/mod.ts";
import { pickScenario } from "../../lib/env/mixed.ts";
import { TINY_FLAGS, TINY_LARGE_FLAGS } from "../../notebooks/make_sample.ts";
import { runScript, summaryOf } from "./_run.ts";

const FOUR = ["FrozenLake-NoSlip", "FrozenLake-Slippery", "Snake-8", "Snake-20"];

Deno.test("scale_comparison --setup cpu trains the small base and evaluates the large one on the same episodes", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "msgrpo-scale-" });
  const runDir = join(tmp, "run");
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
  const cmp = s.comparison as { scenario: string; baseline_success: number | null }[];
  assert.deepEqual(cmp.map((c) => c.scenario), FOUR);
  assert.ok(cmp.every((c) => c.baseline_success !== null));
  const ev = readTable(join(runDir, "eval.arrow")).objects() as {
    iteration: number;
    seed: number;
    scenario: string;
  }[];
  const base = readTable(join(runDir, "baseline", "eval.arrow")).objects() as typeof ev;
  assert.deepEqual([...new Set(ev.map((e) => e.iteration))], [0, 2]);
  const key = (e: { scenario: string; seed: number }) => `${e.scenario}/${e.seed}`;
  assert.deepEqual(base.map(key), ev.filter((e) => e.iteration === 0).map(key), "same episodes");
  assert.equal(base.length, 4 * 3);
  const meta = JSON.parse(await Deno.readTextFile(join(runDir, "baseline", "meta.json")));
  assert.equal(meta.role, "baseline");
  assert.match(await Deno.readTextFile(join(runDir, "config.yaml")), /^setup: cpu$/m);
  // Each step row names the scenario its group played (chosen by the group's seed).
  const steps = readTable(join(runDir, "steps.arrow")).objects() as {
    scenario: string;
    seed: number;
  }[];
  for (const x of steps) assert.equal(x.scenario, pickScenario(x.seed, FOUR));
  assert.ok(new Set(steps.map((x) => x.scenario)).size > 1, "a mix of scenarios was played");
  await Deno.remove(tmp, { recursive: true });
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
