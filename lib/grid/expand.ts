/**
 * Expanding a grid into its runs. The order is fixed — arms in list order, product axes varying
 * last-fastest, then seeds — so a run's index (a Slurm array task id) and its directory name are
 * stable: re-expanding the same file gives the same runs, and adding a seed adds runs without
 * renaming the others' folders.
 *
 * A run id is its arm's overrides, each written `<last key segment>-<value>` and joined by `_`
 * (`default` for an arm with no overrides), then `__s<seed>`: `arm-aaw__s1`. Characters outside
 * `[A-Za-z0-9.-]` in a value become `_`. Two arms with the same id are an error.
 *
 * @module
 */
import { join } from "node:path";
import type { BaseStep, GridSpec } from "./spec.ts";

/** One run of a grid. */
export interface GridRun {
  /** Position in the grid (the Slurm array task id). */
  readonly index: number;
  /** Stable id, also the run directory's name. */
  readonly id: string;
  /** The run seed. */
  readonly seed: number;
  /** The arm's overrides (`key.path=value`), without the grid-wide ones. */
  readonly overrides: readonly string[];
  /** The run directory. */
  readonly dir: string;
}

/** The folder of a grid: `ROOT/NAME`. */
export function gridDir(grid: GridSpec): string {
  return join(grid.root, grid.name);
}

/** The folder a base step builds: `GRID/bases/NAME`. */
export function baseDir(grid: GridSpec, base: BaseStep): string {
  return join(gridDir(grid), "bases", base.name);
}

function _part(override: string): string {
  const eq = override.indexOf("=");
  const key = override.slice(0, eq);
  const value = override.slice(eq + 1).trim().replace(/^["']|["']$/g, "");
  const last = key.slice(key.lastIndexOf(".") + 1);
  return `${last}-${value.replace(/[^A-Za-z0-9.-]+/g, "_") || "_"}`;
}

/**
 * The id of an arm: its overrides as `key-value` parts joined by `_`, or `default`.
 *
 * @param overrides the arm's overrides.
 * @returns the arm id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { armId } from "./expand.ts";
 * assert.deepEqual(armId(["arm=aaw", "msgrpo.groups=4"]), "arm-aaw_groups-4");
 * assert.deepEqual(armId([]), "default");
 * ```
 */
export function armId(overrides: readonly string[]): string {
  return overrides.length === 0 ? "default" : overrides.map(_part).join("_");
}

/**
 * The arms of a grid: `arms` (or one empty arm) crossed with each `product` axis in turn.
 *
 * @param grid the grid.
 * @returns each arm's overrides, in grid order.
 */
export function gridArms(grid: Pick<GridSpec, "arms" | "product">): string[][] {
  let arms: string[][] = grid.arms.length ? grid.arms.map((a) => [...a]) : [[]];
  for (const axis of grid.product) arms = arms.flatMap((a) => axis.map((v) => [...a, v]));
  return arms;
}

/**
 * Every run of a grid, in index order (arm-major, then seed).
 *
 * @param grid the grid.
 * @returns the runs.
 * @throws {Error} when two arms get the same id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expandGrid } from "./expand.ts";
 * import { loadGrid } from "./spec.ts";
 * const file = Deno.makeTempFileSync({ suffix: ".yaml" });
 * Deno.writeTextFileSync(file, "name: g\nscript: x.ts\nseeds: [1, 2]\nproduct: [[arm=a, arm=b]]\n");
 * assert.deepEqual(expandGrid(loadGrid(file)).map((r) => r.id), [
 *   "arm-a__s1",
 *   "arm-a__s2",
 *   "arm-b__s1",
 *   "arm-b__s2",
 * ]);
 * ```
 */
export function expandGrid(grid: GridSpec): GridRun[] {
  const arms = gridArms(grid);
  const owner = new Map<string, string[]>();
  for (const arm of arms) {
    const id = armId(arm);
    const prev = owner.get(id);
    if (prev) {
      throw new Error(
        `${grid.file}: arms [${prev.join(", ")}] and [${arm.join(", ")}] both get the run id ` +
          `${id}; make their values differ`,
      );
    }
    owner.set(id, arm);
  }
  const runs: GridRun[] = [];
  const ids = new Set<string>();
  for (const arm of arms) {
    for (const seed of grid.seeds) {
      const id = runName(grid.run_name ?? "", arm, seed, grid.file);
      if (ids.has(id)) {
        throw new Error(`${grid.file}: run_name ${grid.run_name} gives two runs the name ${id}`);
      }
      ids.add(id);
      runs.push({ index: runs.length, id, seed, overrides: arm, dir: join(gridDir(grid), id) });
    }
  }
  return runs;
}

const _RESERVED = new Set(["bases", "logs", "locks", "slurm"]);

/**
 * The folder name of one run: the `run_name` template filled in, or `<arm id>__s<seed>`.
 *
 * @param template `{seed}`, `{id}` and `{KEY}` placeholders ("" = `{id}__s{seed}`).
 * @param arm the arm's overrides (`{KEY}` is the value of the one whose last segment is KEY).
 * @param seed the run seed.
 * @param file the grid file (names errors).
 * @returns the name.
 * @throws naming the file when a placeholder matches nothing, or the name is not a plain folder
 *   name or one of the grid's own folders.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runName } from "./expand.ts";
 * assert.deepEqual(runName("{arm}-{seed}", ["arm=aaw"], 3, "g.yaml"), "aaw-3");
 * assert.deepEqual(runName("seed{seed}", [], 2, "g.yaml"), "seed2");
 * assert.deepEqual(runName("", ["arm=all"], 1, "g.yaml"), "arm-all__s1");
 * ```
 */
export function runName(
  template: string,
  arm: readonly string[],
  seed: number,
  file: string,
): string {
  if (!template) return `${armId(arm)}__s${seed}`;
  const values = new Map<string, string>([["seed", String(seed)], ["id", armId(arm)]]);
  for (const o of arm) {
    const part = _part(o);
    const dash = part.indexOf("-");
    values.set(part.slice(0, dash), part.slice(dash + 1));
  }
  const name = template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, k: string) => {
    const v = values.get(k);
    if (v === undefined) {
      throw new Error(
        `${file}: run_name ${template}: {${k}} is neither seed, id nor a key of the arm ` +
          `[${arm.join(", ")}]`,
      );
    }
    return v;
  });
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) || _RESERVED.has(name)) {
    throw new Error(`${file}: run_name ${template} gives the folder name ${JSON.stringify(name)}`);
  }
  return name;
}

/**
 * The experiment arguments of a run (before `--run-dir`/`--resume`): the grid's `--config`,
 * its `set`, the bases' folders, the arm's overrides and the seed, each as `--set key=value`.
 *
 * @param grid the grid.
 * @param run the run.
 * @returns the arguments after the script.
 */
export function runArgs(grid: GridSpec, run: GridRun): string[] {
  const args: string[] = [];
  if (grid.config) args.push("--config", grid.config);
  for (const o of grid.set) args.push("--set", o);
  for (const b of grid.bases) args.push("--set", `${b.key}=${baseDir(grid, b)}`);
  for (const o of run.overrides) args.push("--set", o);
  args.push("--set", `${grid.seed_key}=${run.seed}`);
  return args;
}

/**
 * The arm's overrides as a record `key.path → value text` (for collected tables).
 *
 * @param run the run.
 * @returns keys and values as written.
 */
export function overrideRecord(run: GridRun): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of run.overrides) {
    const eq = o.indexOf("=");
    out[o.slice(0, eq)] = o.slice(eq + 1).trim();
  }
  return out;
}
