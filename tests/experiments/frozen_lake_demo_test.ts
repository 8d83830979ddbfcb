/**
 * The main job killed with `kill -9` at any point continues with `--resume` and writes the same
 * tables as a run that was never interrupted (a tiny budget: a 7k-parameter base, 12 iterations).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readTable } from "../../lib/log/mod.ts";
import { ROOT, runScript } from "./_run.ts";

const SCRIPT = "experiments/frozen_lake_demo.ts";
const TINY = [
  ...["--base.episodes", "60", "--base.steps", "250", "--base.hidden", "16", "--base.layers", "1"],
  ...["--base.heads", "2", "--base.kv_heads", "1", "--base.intermediate", "32"],
  ...["--base.merges", "16", "--base.batch_size", "8", "--msgrpo.iterations", "12"],
  ...["--msgrpo.groups", "1", "--msgrpo.group_size", "4", "--msgrpo.minibatches", "1"],
  ...["--eval.every", "4", "--eval.episodes", "4", "--checkpoint.every", "3"],
];
const TABLES = ["steps", "episodes", "updates", "eval"];
const TIMING = new Set(["wall_s", "tokens_per_s", "rollout_s", "update_s", "eval_s"]);

function tables(dir: string): Record<string, unknown[]> {
  return Object.fromEntries(TABLES.map((t) => [
    t,
    readTable(join(dir, `${t}.arrow`)).objects().map((r) =>
      Object.fromEntries(
        Object.entries(r as Record<string, unknown>).filter(([k]) => !TIMING.has(k)),
      )
    ),
  ]));
}

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

/** Start the job and `kill -9` it once `when` holds; returns its stderr so far. */
async function killWhen(runDir: string, when: (stderr: string) => Promise<boolean>) {
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, SCRIPT), "--run-dir", runDir, ...TINY],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let err = "";
  const pump = (async () => {
    for await (const t of proc.stderr.pipeThrough(new TextDecoderStream())) err += t;
  })();
  let ended = false;
  const status = proc.status.then((s) => (ended = true, s));
  const t0 = performance.now();
  while (!ended && !(await when(err)) && performance.now() - t0 < 60_000) {
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!ended) proc.kill("SIGKILL");
  const s = await status;
  await pump;
  return { stderr: err, killed: s.signal === "SIGKILL" };
}

Deno.test("the main job resumes after kill -9 in stage 1 or stage 2 with the same tables", async () => {
  const root = await Deno.makeTempDir({ prefix: "msgrpo-demo-" });
  const whole = await runScript(SCRIPT, ["--run-dir", join(root, "whole"), ...TINY]);
  assert.equal(whole.code, 0, whole.stderr);
  const want = tables(join(root, "whole"));
  assert.equal(want.updates.length, 12);

  const points: [string, (dir: string) => (err: string) => Promise<boolean>][] = [
    // Stage 1: one second into building the base (it takes several).
    ["stage 1", () => {
      let seen = 0;
      return (err) => {
        if (err.includes("stage 1: building")) seen ||= performance.now();
        return Promise.resolve(seen > 0 && performance.now() - seen > 1000);
      };
    }],
    // Stage 2 before its first checkpoint: the iteration-0 evaluation has been logged.
    ["stage 2, no checkpoint yet", (dir) => () => exists(join(dir, "eval.arrow"))],
    // Stage 2 after a checkpoint.
    ["stage 2, checkpointed", (dir) => () => exists(join(dir, "checkpoint", "trainer_state.json"))],
  ];
  for (const [where, make] of points) {
    const dir = join(root, where.replaceAll(/[ ,]+/g, "_"));
    const k = await killWhen(dir, make(dir));
    assert.ok(k.killed, `${where}: the job ended before it was killed\n${k.stderr}`);
    if (where === "stage 1") {
      assert.doesNotMatch(k.stderr, /stage 1 done/);
      assert.equal(await exists(join(dir, "base")), false, "a half-built base looks finished");
    }
    const r = await runScript(SCRIPT, ["--run-dir", dir, "--resume", ...TINY]);
    assert.equal(r.code, 0, `${where}: resume failed\n${r.stderr}`);
    assert.deepEqual(tables(dir), want, `${where}: tables differ from the uninterrupted run`);
  }
  await Deno.remove(root, { recursive: true });
});
