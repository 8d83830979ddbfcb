/**
 * A tiny grid (2 arms × 2 seeds of the sampling ablation, 6 iterations from a ~20k-parameter base
 * that the grid builds once, trained just enough to make some valid moves so that updates happen) run for real: through the local back-end, and through a one-node
 * Slurm cluster started here, where one array task is cancelled after its first checkpoint and the
 * grid command is simply run again. All three collected tables must be the same.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readTable } from "../../lib/log/mod.ts";
import { clusterUnavailable, startCluster } from "./_cluster.ts";

const ROOT = join(import.meta.dirname!, "..", "..");
const GRID_TOOL = join(ROOT, "tools", "grid.ts");

const GRID = `
name: tiny
script: experiments/sampling_ablation.ts
set:
  - msgrpo.iterations=6
  - msgrpo.groups=2
  - msgrpo.group_size=4
  - eval.every=3
  - eval.episodes=2
  - checkpoint.every=2
  - model.backend=wasm
seeds: [1, 2]
product:
  - [arm=aaw, arm=uniform]
bases:
  - name: tiny
    key: base.path
    script: tools/build_base.ts
    args: [--backend, wasm, --set, base.episodes=80, --set, base.steps=60,
           --set, base.oracle_fraction=0.5, --set, base.hidden=32, --set, base.layers=1,
           --set, base.heads=2, --set, base.kv_heads=1, --set, base.intermediate=64,
           --set, base.merges=64, --set, base.lr=3.0e-3]
slurm:
  cpus_per_task: 1
`;

const IDS = ["arm-aaw__s1", "arm-aaw__s2", "arm-uniform__s1", "arm-uniform__s2"];

async function grid(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string; seconds: number }> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", GRID_TOOL, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The collected tables, without the columns that measure time. */
async function collected(file: string, root: string): Promise<Record<string, unknown[]>> {
  const r = await grid(["collect", file, "--root", root, "--tables", "[eval, updates, steps]"]);
  assert.equal(r.code, 0, r.stderr);
  const out: Record<string, unknown[]> = {};
  for (const t of ["eval", "updates", "steps"]) {
    const table = readTable(join(root, "tiny", `${t}.arrow`));
    const keep = table.columnNames().filter((c) => !TIMING.has(c));
    out[t] = table.select(keep).objects();
  }
  return out;
}

async function done(root: string, id: string): Promise<{ resumed: boolean } | null> {
  try {
    return JSON.parse(await Deno.readTextFile(join(root, "tiny", id, "grid_done.json")));
  } catch {
    return null;
  }
}

const tmp = await Deno.makeTempDir({ prefix: "msgrpo-grid-run-" });
const file = join(tmp, "tiny.yaml");
await Deno.writeTextFile(file, GRID);
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));
let localTables: Promise<Record<string, unknown[]>> | undefined;

/** Run the grid locally once per process (both tests compare against it). */
function localGrid(): Promise<Record<string, unknown[]>> {
  localTables ??= (async () => {
    const root = join(tmp, "local");
    const r = await grid(["run", file, "--root", root, "--jobs", "2"]);
    assert.equal(r.code, 0, r.stderr);
    console.log(`local grid (2 at once): ${r.seconds.toFixed(1)} s`);
    return await collected(file, root);
  })();
  return localTables;
}

/** Columns that time the run (they differ between any two runs). */
const TIMING = new Set(["wall_s", "tokens_per_s", "rollout_s", "update_s", "eval_s"]);

Deno.test("grid run --backend local runs 2 arms × 2 seeds once; collect stacks them", async () => {
  const tables = await localGrid();
  const root = join(tmp, "local");
  for (const id of IDS) assert.ok(await done(root, id), `${id} not done`);
  // eval: iterations 0, 3, 6 × 2 scenarios × 2 episodes per run
  assert.equal(tables.eval.length, 4 * 3 * 2 * 2);
  assert.equal(tables.updates.length, 4 * 6);
  const first = tables.updates[0] as Record<string, unknown>;
  assert.deepEqual([first.run, first.run_seed, first.arm, first.iteration], [IDS[0], 1, "aaw", 1]);
  const runs = new Set(tables.updates.map((r) => (r as { run: string }).run));
  assert.deepEqual([...runs], IDS);
  // updates happened, and the two arms differ (they draw different episodes into the update)
  const loss = (id: string) =>
    tables.updates.filter((r) => (r as { run: string }).run === id).map((r) =>
      (r as { loss: number | null }).loss
    );
  assert.ok(IDS.every((id) => loss(id).some((x) => x !== null)), "no update in some run");
  assert.notDeepEqual(loss(IDS[0]), loss(IDS[2]));
  // a second run skips everything
  const again = await grid(["run", file, "--root", root]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /4\/4 runs done \(4 skipped\)/);
});

const why = clusterUnavailable();
if (why) console.log(`grid_run_test: Slurm test skipped: ${why}`);

Deno.test({
  name: "grid run --backend slurm gives the local table; a cancelled array task resumes to it",
  ignore: why !== null,
  fn: async () => {
    const want = await localGrid();
    const cluster = await startCluster(2);
    try {
      const env = cluster.env;
      // 1. the whole grid through Slurm
      const root = join(tmp, "slurm");
      const dry = await grid(["run", file, "--root", root, "--backend", "slurm", "--dry-run"], env);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /#SBATCH --array=0-3\n/);
      const r = await grid(["run", file, "--root", root, "--backend", "slurm", "--wait"], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /base job \d+ \(tiny\)/);
      assert.match(r.stderr, /array job \d+, 4 of 4 runs \(after job \d+\)/);
      console.log(`slurm grid (one node, 2 CPUs): ${r.seconds.toFixed(1)} s`);
      assert.deepEqual(await collected(file, root), want);

      // 2. cancel run 1's array task after its first checkpoint, then run the command again
      const root2 = join(tmp, "cancelled");
      await Deno.mkdir(join(root2, "tiny", "bases"), { recursive: true });
      const cp = ["-r", join(root, "tiny", "bases", "tiny"), join(root2, "tiny", "bases")];
      assert.ok((await new Deno.Command("cp", { args: cp }).output()).success);
      const sub = await grid(["run", file, "--root", root2, "--backend", "slurm"], env);
      assert.equal(sub.code, 0, sub.stderr);
      const job = sub.stdout.trim().split("\n").at(-1)!;
      const state = join(root2, "tiny", IDS[1], "checkpoint", "trainer_state.json");
      const t0 = Date.now();
      for (;;) {
        try {
          Deno.statSync(state);
          break;
        } catch {
          assert.ok(Date.now() - t0 < 120_000, "no checkpoint within 120 s");
          await new Promise((res) => setTimeout(res, 50));
        }
      }
      const cancel = await new Deno.Command("scancel", { args: [`${job}_1`], env }).output();
      assert.ok(cancel.success);
      // wait for the other tasks, then re-run: only run 1 is submitted, and it resumes
      for (let i = 0; i < 240; i++) {
        const q = await new Deno.Command("squeue", {
          args: ["-h", "-j", job],
          env,
          stdout: "piped",
        })
          .output();
        if (new TextDecoder().decode(q.stdout).trim() === "") break;
        await new Promise((res) => setTimeout(res, 500));
      }
      assert.equal(await done(root2, IDS[1]), null, "run 1 finished before the cancel");
      const again = await grid(["run", file, "--root", root2, "--backend", "slurm", "--wait"], env);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /1 of 4 runs/);
      assert.equal((await done(root2, IDS[1]))?.resumed, true);
      assert.equal((await done(root2, IDS[0]))?.resumed, false);
      assert.deepEqual(await collected(file, root2), want);
    } finally {
      await cluster.stop();
    }
  },
});
