import assert from "node:assert/strict";
import { join } from "node:path";
import { expandGrid, loadGrid, runArgs } from "../../lib/grid/mod.ts";
import { ROOT } from "./_run.ts";

const grid = (name: string) => loadGrid(join(ROOT, "experiments", "grids", `${name}.yaml`));

Deno.test("grids/ablation.yaml: 3 arms × 5 seeds into <arm>-<seed>/ from one base", () => {
  const g = grid("ablation");
  const runs = expandGrid(g);
  const ids = ["aaw", "uniform", "all"].flatMap((a) => [1, 2, 3, 4, 5].map((s) => `${a}-${s}`));
  assert.deepEqual(runs.map((r) => r.id), ids);
  const args = runArgs(g, runs[7]).join(" ");
  assert.match(args, /--set base\.path=runs\/grids\/ablation\/bases\/base --set arm=uniform/);
  assert.match(args, /--set seed=3$/);
});

Deno.test("grids/scale_cpu.yaml: 5 seeds into seed<S>/ with the small, large and large_long bases", () => {
  const g = grid("scale_cpu");
  const runs = expandGrid(g);
  assert.deepEqual(runs.map((r) => r.id), ["seed1", "seed2", "seed3", "seed4", "seed5"]);
  assert.deepEqual(g.bases.map((b) => [b.name, b.key]), [
    ["small", "base.path"],
    ["large", "large.path"],
    ["large_long", "large_long.path"],
  ]);
  assert.deepEqual(g.bases[2].args.slice(-4), [
    "--shape-from",
    "large",
    "--budget-from",
    "large_long",
  ]);
  assert.match(runArgs(g, runs[0]).join(" "), /--set setup=cpu .*--set seed=1$/);
});
