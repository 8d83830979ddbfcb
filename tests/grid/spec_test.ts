import assert from "node:assert/strict";
import { join } from "node:path";
import {
  arrayScript,
  arraySpec,
  baseScript,
  collectRuns,
  expandGrid,
  gridArms,
  loadGrid,
  runArgs,
  shellQuote,
} from "../../lib/grid/mod.ts";
import { col, defineTable } from "../../lib/log/columns.ts";
import { TableWriter } from "../../lib/log/mod.ts";

const TMP = Deno.makeTempDirSync({ prefix: "msgrpo-grid-spec-" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

function gridFile(text: string, name = "g.yaml"): string {
  const file = join(Deno.makeTempDirSync({ dir: TMP }), name);
  Deno.writeTextFileSync(file, text);
  return file;
}

const ABLATION = `
script: experiments/sampling_ablation.ts
root: /scratch/grids
set: [msgrpo.iterations=5]
seeds: [1, 2]
arms: [[model.lr=1e-3], [model.lr=3e-4, msgrpo.groups=2]]
product:
  - [arm=aaw, arm=all]
bases:
  - key: base.path
    args: [--set, base.steps=7]
slurm: { cpus_per_task: 4, mem: 8G, time: "01:00:00", sbatch: [--account=abc] }
`;

Deno.test("expandGrid() crosses the arm list with each product axis, then seeds, in order", () => {
  const grid = loadGrid(gridFile(ABLATION, "abl.yaml"));
  assert.equal(grid.name, "abl"); // from the file name
  const runs = expandGrid(grid);
  assert.deepEqual(runs.map((r) => r.id), [
    "lr-1e-3_arm-aaw__s1",
    "lr-1e-3_arm-aaw__s2",
    "lr-1e-3_arm-all__s1",
    "lr-1e-3_arm-all__s2",
    "lr-3e-4_groups-2_arm-aaw__s1",
    "lr-3e-4_groups-2_arm-aaw__s2",
    "lr-3e-4_groups-2_arm-all__s1",
    "lr-3e-4_groups-2_arm-all__s2",
  ]);
  assert.deepEqual(runs.map((r) => r.index), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(runs[5].dir, "/scratch/grids/abl/lr-3e-4_groups-2_arm-aaw__s2");
  assert.deepEqual(runArgs(grid, runs[5]), [
    "--set",
    "msgrpo.iterations=5",
    "--set",
    "base.path=/scratch/grids/abl/bases/base",
    "--set",
    "model.lr=3e-4",
    "--set",
    "msgrpo.groups=2",
    "--set",
    "arm=aaw",
    "--set",
    "seed=2",
  ]);
});

Deno.test("gridArms() with no list and no axes is one empty arm", () => {
  assert.deepEqual(gridArms({ arms: [], product: [] }), [[]]);
  assert.deepEqual(gridArms({ arms: [], product: [["a=1", "a=2"], ["b=x"]] }), [
    ["a=1", "b=x"],
    ["a=2", "b=x"],
  ]);
});

Deno.test("expandGrid() rejects two arms that would share a run directory", () => {
  const grid = loadGrid(gridFile("script: x.ts\nproduct: [[model.lr=1, optim.lr=1]]\n"));
  assert.throws(
    () => expandGrid(grid),
    /\[model\.lr=1\] and \[optim\.lr=1\] both get the run id lr-1/,
  );
});

Deno.test("loadGrid() names the file, line and key of a bad field", () => {
  const file = gridFile("script: x.ts\nseeds: [1, two]\n");
  assert.throws(() => loadGrid(file), (e: Error) => {
    assert.match(e.message, /seeds\[1\]/);
    assert.match(e.message, new RegExp(`${file}:2`));
    return true;
  });
  assert.throws(() => loadGrid(gridFile("seeds: [1]\n")), /script/);
  assert.throws(() => loadGrid(gridFile("script: x.ts\nset: [noequals]\n")), /set\[0\]/);
  assert.throws(
    () => loadGrid(gridFile("script: x.ts\nseeds: [3, 3]\n")),
    /seed 3 is listed twice/,
  );
});

Deno.test("arraySpec() writes runs of consecutive indices as ranges", () => {
  assert.equal(arraySpec([0, 1, 2, 3]), "0-3");
  assert.equal(arraySpec([5, 1, 3, 2]), "1-3,5");
  assert.equal(arraySpec([4]), "4");
});

Deno.test("shellQuote() leaves plain words alone and quotes the rest", () => {
  assert.equal(shellQuote("--set"), "--set");
  assert.equal(shellQuote("a b"), "'a b'");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
});

Deno.test("arrayScript() has one task per unfinished run and the grid's resources", () => {
  const grid = loadGrid(gridFile(ABLATION, "abl.yaml"));
  const runs = expandGrid(grid);
  const cmd = { prefix: ["/bin/deno", "run", "-A", "/src/tools/grid.ts"], suffix: [], cwd: "/src" };
  const text = arrayScript(grid, [runs[1], runs[2], runs[6]], cmd);
  const lines = text.split("\n");
  assert.equal(lines[0], "#!/bin/bash");
  for (
    const want of [
      "#SBATCH --array=1-2,6",
      "#SBATCH --cpus-per-task=4",
      "#SBATCH --mem=8G",
      "#SBATCH --time=01:00:00",
      "#SBATCH --account=abc",
      "#SBATCH --output=/scratch/grids/abl/logs/slurm-%A_%a.out",
      "#SBATCH --chdir=/src",
      "#   6 lr-3e-4_groups-2_arm-all__s1",
      'export OPENBLAS_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"',
    ]
  ) assert.ok(lines.includes(want), `${want} missing from\n${text}`);
  assert.ok(!text.includes("--partition"));
  const exec = lines.find((l) => l.startsWith("exec "))!;
  assert.equal(
    exec,
    `exec /bin/deno run -A /src/tools/grid.ts task ${grid.file} --index "\${SLURM_ARRAY_TASK_ID}"`,
  );
  assert.match(baseScript(grid, cmd), /\nexec \/bin\/deno run -A \/src\/tools\/grid.ts bases /);
});

const T = defineTable("updates", "test", {
  iteration: col.int32("iteration"),
  loss: col.float64("loss"),
});

Deno.test("collectRuns() stacks the runs' tables with run, seed and override columns", () => {
  const root = Deno.makeTempDirSync({ dir: TMP });
  const grid = loadGrid(
    gridFile(`script: x.ts\nroot: ${root}\nseeds: [1, 2]\narms: [[arm=a], [arm=b, lr=2]]\n`),
  );
  const runs = expandGrid(grid);
  runs.forEach((r, i) => {
    if (i === 3) return; // never ran
    const w = TableWriter.open(r.dir, T);
    w.append([{ iteration: 1, loss: i }, { iteration: 2, loss: i + 0.5 }]);
    w.close();
  });
  const got = collectRuns(runs, ["updates", "eval"]);
  assert.deepEqual(Object.keys(got.tables), ["updates"]);
  assert.deepEqual(got.missing, ["arm-b_lr-2__s2"]);
  const rows = got.tables.updates.objects() as Record<string, unknown>[];
  assert.deepEqual(got.tables.updates.columnNames(), [
    "run",
    "run_seed",
    "arm",
    "lr",
    "iteration",
    "loss",
  ]);
  assert.equal(rows.length, 6);
  assert.deepEqual(rows[4], {
    run: "arm-b_lr-2__s1",
    run_seed: 1,
    arm: "b",
    lr: "2",
    iteration: 1,
    loss: 2,
  });
  assert.equal(rows[0].lr, null);
});
