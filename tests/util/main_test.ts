/**
 * Every tool and experiment reports a bad config, flag or file as one message and a non-zero
 * exit status, without a stack trace (which `MSGRPO_DEBUG=1` adds back).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { failureOf } from "../../lib/util/main.ts";
import { ROOT } from "../experiments/_run.ts";

async function run(script: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, script), ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", MSGRPO_DEBUG: "", ...env },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function assertClean(r: { code: number; stderr: string }, what: string) {
  assert.notEqual(r.code, 0, `${what}: exit status 0`);
  assert.doesNotMatch(r.stderr, /Uncaught|^\s+at /m, `${what} printed a trace:\n${r.stderr}`);
}

Deno.test("failureOf() names the script and gives usage errors status 2", () => {
  const cfg = Object.assign(new Error("invalid config: x"), { name: "ConfigError" });
  assert.deepEqual(failureOf(cfg), { message: "invalid config: x", code: 2 });
  assert.deepEqual(failureOf(new Error("gone"), "serve"), { message: "serve: gone", code: 1 });
  assert.deepEqual(failureOf("text"), { message: "text", code: 1 });
});

Deno.test("a YAML key typo is the only output of the main job; MSGRPO_DEBUG=1 adds the trace", async () => {
  const dir = await Deno.makeTempDir({ prefix: "msgrpo-main-" });
  const file = join(dir, "typo.yaml");
  await Deno.writeTextFile(file, "msgrpo:\n  group_sise: 4\n");
  const r = await run("experiments/frozen_lake_demo.ts", ["--config", file]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.equal(
    r.stderr,
    `invalid config: ${file}:2:3: msgrpo.group_sise: unknown key; did you mean msgrpo.group_size?\n`,
  );
  const d = await run("experiments/frozen_lake_demo.ts", ["--config", file], { MSGRPO_DEBUG: "1" });
  assert.equal(d.code, 2);
  assert.match(d.stderr, /group_sise/);
  assert.match(d.stderr, /^\s+at /m);
  const missing = await run("experiments/frozen_lake_demo.ts", ["--config", join(dir, "no.yaml")]);
  assertClean(missing, "missing config file");
  assert.match(missing.stderr, /no\.yaml/);
  assert.equal(missing.stderr.trim().split("\n").length, 1, missing.stderr);
  const resume = await run("experiments/frozen_lake_demo.ts", ["--resume", "--run-dir", file]);
  assertClean(resume, "--resume on a file");
  assert.match(resume.stderr, /not a run directory/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("every tool and experiment refuses an unknown flag with a message, not a trace", async () => {
  const scripts = [
    "experiments/frozen_lake_demo.ts",
    "experiments/sampling_ablation.ts",
    "experiments/scale_comparison.ts",
    "tools/evaluate.ts",
    "tools/export_gguf.ts",
    "tools/make_model.ts",
    "tools/score.ts",
    "tools/serve.ts",
    "tools/setup.ts",
  ];
  const results = await Promise.all(scripts.map((s) => run(s, ["--no-such-flag", "1"])));
  results.forEach((r, i) => {
    assertClean(r, scripts[i]);
    assert.match(r.stderr, /no-such-flag/, `${scripts[i]}:\n${r.stderr}`);
  });
});
