/**
 * Run a grid of experiment runs (arms × seeds, see `lib/grid/spec.ts`) on this machine or on a
 * Slurm cluster, and collect their tables.
 *
 * ```sh
 * deno task grid run GRID.yaml [--backend local|slurm] [--jobs N] [--dry-run] [--wait] [--root DIR]
 * deno task grid status GRID.yaml         # each run: done / resumable / fresh
 * deno task grid collect GRID.yaml        # GRID/eval.arrow, GRID/updates.arrow
 * deno task grid bases GRID.yaml          # build the missing bases (the Slurm base job)
 * deno task grid task GRID.yaml --index I # bring run I to its end (one array task)
 * ```
 *
 * `run` is idempotent: finished runs are skipped and interrupted ones resume from their
 * checkpoints, so after a pre-emption, a failure or a `scancel` the same command finishes the grid.
 * With `--backend slurm` it writes `GRID/slurm/array.sbatch` (and `bases.sbatch` when bases are
 * missing) and submits them; `--dry-run` prints the scripts instead, `--wait` blocks until the
 * array ends.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { c, parseConfigArgs } from "../lib/config/mod.ts";
import { writeFileAtomic } from "../lib/log/atomic.ts";
import {
  arrayScript,
  baseDir,
  baseScript,
  buildBases,
  collectGrid,
  expandGrid,
  gridDir,
  type GridSpec,
  loadGrid,
  queuedJobs,
  runLocal,
  runState,
  runTask,
  sbatch,
  type SlurmCommand,
  waitForJobs,
} from "../lib/grid/mod.ts";

const flags = c.object({
  backend: c.enum(["local", "slurm"], { default: "local", doc: "where the runs execute" }),
  jobs: c.int({ default: 0, min: 0, doc: "local: runs at once (0 = from the grid file/cores)" }),
  "dry-run": c.bool({ default: false, doc: "slurm: print the job scripts, submit nothing" }),
  wait: c.bool({ default: false, doc: "slurm: block until the array job ends" }),
  root: c.string({ default: "", doc: 'parent folder of grids ("" = the grid file\'s root)' }),
  index: c.int({ default: -1, min: -1, doc: "task: the run index (array task id)" }),
  tables: c.array(c.string({ doc: "table" }), {
    default: ["eval", "updates"],
    doc: "collect: tables to gather",
  }),
});

const USAGE = "deno task grid run|status|collect|bases|task GRID.yaml";
const STEPS = ["run", "status", "collect", "bases", "task"];

async function _slurm(grid: GridSpec, opts: { dryRun: boolean; wait: boolean; root: string }) {
  const runs = expandGrid(grid);
  const todo: typeof runs = [];
  for (const r of runs) if (await runState(r) !== "done") todo.push(r);
  const cmd: SlurmCommand = {
    prefix: [Deno.execPath(), "run", "-A", resolve(import.meta.dirname!, "grid.ts")],
    suffix: opts.root ? ["--root", resolve(opts.root)] : [],
    cwd: Deno.cwd(),
  };
  const missingBases = grid.bases.filter((b) => {
    try {
      Deno.statSync(baseDir(grid, b));
      return false;
    } catch {
      return true;
    }
  });
  const scripts: [string, string][] = [];
  if (missingBases.length) scripts.push(["bases.sbatch", baseScript(grid, cmd)]);
  if (todo.length) scripts.push(["array.sbatch", arrayScript(grid, todo, cmd)]);
  if (opts.dryRun) {
    for (const [name, text] of scripts) console.log(`# ---- ${name}\n${text}`);
    if (!todo.length) console.error(`grid ${grid.name}: all ${runs.length} runs are done`);
    return 0;
  }
  if (!todo.length) {
    console.error(`grid ${grid.name}: all ${runs.length} runs are done`);
    return 0;
  }
  const names = [`grid-${grid.name}`, `grid-${grid.name}-bases`];
  const queued = await queuedJobs(names);
  if (queued.length) {
    throw new Error(
      `grid ${grid.name} has jobs in the queue (${queued.join(", ")}); re-run when they have ` +
        `ended, or scancel them first (two jobs must not run the same run)`,
    );
  }
  const dir = join(gridDir(grid), "slurm");
  await Deno.mkdir(join(gridDir(grid), "logs"), { recursive: true });
  const after: string[] = [];
  for (const [name, text] of scripts) {
    const file = join(dir, name);
    await writeFileAtomic(file, text, { mkdir: true });
    const isArray = name === "array.sbatch";
    const id = await sbatch(file, { after });
    console.error(
      isArray
        ? `grid ${grid.name}: array job ${id}, ${todo.length} of ${runs.length} runs` +
          (after.length ? ` (after job ${after[0]})` : "")
        : `grid ${grid.name}: base job ${id} (${missingBases.map((b) => b.name).join(", ")})`,
    );
    if (!isArray) after.push(id);
    else console.log(id);
    if (isArray && opts.wait) {
      await waitForJobs([...after, id]);
      let left = 0;
      for (const r of runs) if (await runState(r) !== "done") left++;
      console.error(
        `grid ${grid.name}: array job ${id} ended; ${runs.length - left}/${runs.length} runs done`,
      );
      return left ? 1 : 0;
    }
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  argv = argv.filter((a) => a !== "--");
  const [step, file, ...rest] = argv;
  if (step === undefined || step === "-h" || step === "--help" || !STEPS.includes(step)) {
    const help = parseConfigArgs(flags, ["--help"], { usage: USAGE }).help!;
    console.log(help);
    return step === undefined || step.startsWith("-") ? 0 : 2;
  }
  if (file === undefined || file.startsWith("-")) throw new Error(`${step}: give the grid file`);
  const parsed = parseConfigArgs(flags, rest, { usage: USAGE });
  if (parsed.help !== undefined) {
    console.log(parsed.help);
    return 0;
  }
  const o = parsed.config;
  const grid = loadGrid(file, o.root ? [`root=${o.root}`] : []);
  const runs = expandGrid(grid);
  switch (step) {
    case "run": {
      if (o.backend === "slurm") {
        return await _slurm(grid, { dryRun: o["dry-run"], wait: o.wait, root: o.root });
      }
      const t0 = performance.now();
      const results = await runLocal(grid, runs, { jobs: o.jobs || undefined });
      const failed = results.filter((r) => r.code !== 0);
      const skipped = results.filter((r) => r.state === "done").length;
      console.error(
        `grid ${grid.name}: ${results.length - failed.length}/${results.length} runs done ` +
          `(${skipped} skipped) in ${((performance.now() - t0) / 1000).toFixed(1)} s` +
          (failed.length
            ? `; failed: ${failed.map((r) => r.id).join(", ")} (see ${gridDir(grid)}/logs/)`
            : ""),
      );
      return failed.length ? 1 : 0;
    }
    case "status": {
      for (const r of runs) console.log(`${r.index}\t${await runState(r)}\t${r.id}`);
      return 0;
    }
    case "collect": {
      const got = await collectGrid(grid, runs, o.tables);
      for (const f of got.files) console.error(`wrote ${f}`);
      if (got.missing.length) console.error(`runs without tables: ${got.missing.join(", ")}`);
      return 0;
    }
    case "bases": {
      const built = await buildBases(grid);
      console.error(`grid ${grid.name}: bases built now: ${built.join(", ") || "none"}`);
      return 0;
    }
    default: {
      if (o.index < 0 || o.index >= runs.length) {
        throw new Error(`task: --index ${o.index} is not a run of ${file} (0…${runs.length - 1})`);
      }
      const r = await runTask(grid, runs[o.index]);
      console.error(`grid ${grid.name}: run ${runs[o.index].id} was ${r.state}, exit ${r.code}`);
      return r.code;
    }
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
