import assert from "node:assert/strict";
import { join } from "node:path";
import { closeRunTables, openRunTables } from "../../lib/log/mod.ts";
import { runScript, summaryOf } from "./_run.ts";

/**
 * A run directory as `deno task demo -- --run-dir DIR` leaves it, without a model: the config,
 * the last checkpoint's state and the evaluation table (success 0.5 at iteration 0, then
 * `finals[k]` at iteration 10·(k+1)).
 */
function fakeRun(dir: string, iterations: number, checkpointAt: number, finals: number[]) {
  Deno.mkdirSync(join(dir, "checkpoint"), { recursive: true });
  Deno.writeTextFileSync(join(dir, "config.yaml"), `msgrpo:\n  iterations: ${iterations}\n`);
  Deno.writeTextFileSync(
    join(dir, "checkpoint", "trainer_state.json"),
    JSON.stringify({ iteration: checkpointAt, seed: 1 }),
  );
  const tables = openRunTables(dir);
  [0.5, ...finals].forEach((success, k) => {
    tables.eval.append(
      Array.from({ length: 10 }, (_, episode) => ({
        iteration: 10 * k,
        scenario: "FrozenLake-NoSlip",
        episode,
        seed: episode,
        return: episode < success * 10 ? 1 : 0,
        success: episode < success * 10,
        length: 6,
        valid_rate: 1,
        optimal_success: 1,
        greedy_success: null,
        greedy_return: null,
      })),
    );
  });
  closeRunTables(tables);
}

// Flags after `--` go to every run the sweep starts; this one makes such a run fail at once.
const FAIL_IF_RUN = ["--", "--no-such-flag", "1"];
const sweepSeed3 = (out: string) =>
  runScript("experiments/seed_sweep.ts", ["--seeds", "3", "--out", out, ...FAIL_IF_RUN]);

Deno.test("seed_sweep reads a run the main job finished on its own instead of resuming it", async () => {
  const out = Deno.makeTempDirSync({ prefix: "msgrpo-sweep-" });
  fakeRun(join(out, "seed3"), 30, 30, [0.8, 0.9, 1.0]);
  const r = await sweepSeed3(out);
  assert.equal(r.code, 0, r.stderr);
  const summary = summaryOf(r) as { seeds: Record<string, unknown>[] };
  const { seed, final, last3, best, base, seconds } = summary.seeds[0];
  assert.deepEqual({ seed, final, base, best, seconds }, {
    seed: 3,
    final: 1,
    base: 0.5,
    best: 1,
    seconds: null, // not run by the sweep: wall unknown
  });
  assert.ok(Math.abs((last3 as number) - 0.9) < 1e-12);
  assert.match(r.stderr, /seed 3: finished earlier/);
  assert.throws(() => Deno.statSync(join(out, "seed3", "sweep.json")), Deno.errors.NotFound);
  Deno.removeSync(out, { recursive: true });
});

Deno.test("seed_sweep resumes a run whose last checkpoint is before its last iteration", async () => {
  const out = Deno.makeTempDirSync({ prefix: "msgrpo-sweep-" });
  fakeRun(join(out, "seed3"), 30, 20, [0.8, 0.9]);
  Deno.writeTextFileSync(join(out, "seed3", "meta.json"), "{}");
  const r = await sweepSeed3(out);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /seed 3: the main job failed/);
  assert.match(Deno.readTextFileSync(join(out, "seed3.log")), /no-such-flag/);
  Deno.removeSync(out, { recursive: true });
});
