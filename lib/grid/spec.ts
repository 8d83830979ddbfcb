/**
 * The grid file: one YAML document that names an experiment script and the runs to make of it —
 * arms (a list and/or a product of `--set` overrides) × seeds — plus the shared base models the
 * runs need, and the resources of one run on a cluster.
 *
 * ```yaml
 * name: ablation                        # runs go to ROOT/ablation/<run id>/ (default: file name)
 * root: runs/grids                      # parent folder of grids
 * script: experiments/sampling_ablation.ts
 * config: ""                            # a --config file for every run ("" = the script's own)
 * set: [msgrpo.iterations=100]          # overrides of every run
 * seeds: [1, 2, 3, 4, 5]                # each arm runs once per seed (--set seed=S)
 * run_name: "{arm}-{seed}"              # run folders aaw-1, …  ("" = arm-aaw__s1, …)
 * arms: []                              # a list of arms, each a list of overrides
 * product:                              # crossed with the list: one axis per entry
 *   - [arm=aaw, arm=uniform, arm=all]
 * bases:                                # built once before the runs; runs get --set KEY=FOLDER
 *   - name: base
 *     key: base.path
 *     script: tools/build_base.ts
 *     args: [--set, base.steps=400]
 * slurm: { cpus_per_task: 2, mem: 4G, time: "04:00:00" }
 * ```
 *
 * Arms are the list (`arms`, or one empty arm when the list is empty) crossed with every `product`
 * axis, in order; each arm is run once per seed. Every override is one `key.path=value` string,
 * passed to the script as `--set key.path=value` after the grid-wide `set`.
 *
 * @module
 */
import { basename, extname } from "node:path";
import { c, type Infer, loadConfig } from "../config/mod.ts";

const _override = c.string({
  doc: "one override, key.path=value",
  pattern: /^[A-Za-z_][A-Za-z0-9_.-]*=[\s\S]*$/,
});

const _name = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Schema of a base-model step: a script run once that writes a folder. */
export const baseStepSchema = c.object({
  name: c.string({ default: "base", pattern: _name, doc: "folder name under GRID/bases/" }),
  key: c.string({
    default: "base.path",
    pattern: /^[A-Za-z_][A-Za-z0-9_.-]*$/,
    doc: "config key that receives the folder in every run (--set KEY=FOLDER)",
  }),
  script: c.string({
    default: "tools/build_base.ts",
    minLength: 1,
    doc: "Deno script that builds the folder given as --out DIR (atomically)",
  }),
  args: c.array(c.string({ doc: "argument" }), { default: [], doc: "the script's arguments" }),
});

/** Schema of the resources of one array task on Slurm. */
export const slurmSchema = c.object({
  cpus_per_task: c.int({ default: 2, min: 1, doc: "CPUs of one run (--cpus-per-task)" }),
  mem: c.string({ default: "", doc: 'memory of one run, e.g. 4G ("" = the cluster default)' }),
  time: c.string({ default: "", doc: 'time limit of one run, e.g. 04:00:00 ("" = default)' }),
  partition: c.string({ default: "", doc: 'partition ("" = the default one)' }),
  gpus: c.int({ default: 0, min: 0, doc: "GPUs of one run (--gpus-per-task; 0 = none)" }),
  max_parallel: c.int({ default: 0, min: 0, doc: "array tasks at once (%N; 0 = no limit)" }),
  sbatch: c.array(c.string({ doc: "option" }), {
    default: [],
    doc: "further sbatch options, one per line (e.g. --account=abc)",
  }),
  setup: c.array(c.string({ doc: "line" }), {
    default: [],
    doc: "shell lines run before each task (e.g. module load, cd)",
  }),
  deno: c.string({ default: "", doc: 'Deno on the compute nodes ("" = this process\'s)' }),
});

/** Schema of a grid file. */
export const gridSchema = c.object({
  name: c.string({ default: "", doc: 'grid name ("" = the file\'s base name)' }),
  root: c.string({ default: "runs/grids", minLength: 1, doc: "parent folder of grids" }),
  script: c.string({ minLength: 1, doc: "experiment script (run with deno run -A)" }),
  config: c.string({ default: "", doc: 'a --config file for every run ("" = none)' }),
  set: c.array(_override, { default: [], doc: "overrides of every run" }),
  seeds: c.array(c.int({ doc: "seed" }), { default: [1], minLength: 1, doc: "run seeds" }),
  seed_key: c.string({ default: "seed", doc: "config key of the run seed" }),
  run_name: c.string({
    default: "",
    doc: "run folder names: a template of {seed}, {id} (the arm id) and {KEY} (the value of the " +
      'arm\'s override whose last key segment is KEY), e.g. "{arm}-{seed}" ("" = {id}__s{seed})',
  }),
  arms: c.array(c.array(_override, { doc: "an arm's overrides" }), {
    default: [],
    doc: "a list of arms, each a list of overrides",
  }),
  product: c.array(c.array(_override, { minLength: 1, doc: "one axis" }), {
    default: [],
    doc: "axes crossed with the list of arms, one override per value",
  }),
  bases: c.array(baseStepSchema, { default: [], doc: "base models built once for all runs" }),
  slurm: slurmSchema,
  local: c.object({
    jobs: c.int({ default: 0, min: 0, doc: "runs at once (0 = cores / slurm.cpus_per_task)" }),
  }),
});

/** A resolved grid file. */
export type GridSpec = Infer<typeof gridSchema> & { readonly file: string };

/** A resolved base step. */
export type BaseStep = Infer<typeof baseStepSchema>;

/**
 * Read and validate a grid file. Errors name the file, line and key.
 *
 * @param file the YAML file.
 * @param overrides `key.path=value` overrides of the grid file itself (e.g. `root=/scratch`).
 * @returns the grid, with `name` filled in from the file name when empty.
 * @throws {Error} when the file cannot be read, or on any invalid field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadGrid } from "./spec.ts";
 * const file = Deno.makeTempFileSync({ suffix: ".yaml" });
 * Deno.writeTextFileSync(file, "script: x.ts\nseeds: [1, 2]\nproduct: [[arm=a, arm=b]]\n");
 * const grid = loadGrid(file);
 * assert.deepEqual([grid.seeds, grid.product[0]], [[ 1, 2 ], [ "arm=a", "arm=b" ]]);
 * ```
 */
export function loadGrid(file: string, overrides: readonly string[] = []): GridSpec {
  const spec = loadConfig(gridSchema, { file, overrides });
  const name = spec.name || basename(file, extname(file));
  if (!_name.test(name)) {
    throw new Error(
      `${file}: name ${JSON.stringify(name)} must match [A-Za-z0-9][A-Za-z0-9_.-]* ` +
        `(set name: in the file)`,
    );
  }
  const seen = new Set<string>();
  for (const s of spec.seeds) {
    if (seen.has(String(s))) throw new Error(`${file}: seeds: seed ${s} is listed twice`);
    seen.add(String(s));
  }
  const bases = new Set<string>();
  for (const b of spec.bases) {
    if (bases.has(b.name)) throw new Error(`${file}: bases: name ${b.name} is used twice`);
    bases.add(b.name);
  }
  return { ...spec, name, file };
}
