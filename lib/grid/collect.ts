/**
 * Collecting a grid: the same table from every run directory, stacked into one Arrow table per
 * grid with the run's identity in front — `run` (the run id), `run_seed`, and one column per
 * override key of the arms (`arm`, `msgrpo.lr`, … holding the value as written; null for runs
 * whose arm does not set it). Written to `GRID/<table>.arrow` for the notebooks.
 *
 * @module
 */
import { join } from "node:path";
import { table as aqTable, toArrowIPC } from "arquero";
import type { ColumnTable } from "arquero";
import { writeFileAtomic } from "../log/atomic.ts";
import { readRunDirs } from "../log/read.ts";
import { gridDir, type GridRun, overrideRecord } from "./expand.ts";
import type { GridSpec } from "./spec.ts";

/** The result of {@link collectGrid}. */
export interface Collected {
  /** One stacked table per table name that at least one run has. */
  tables: Record<string, ColumnTable>;
  /** Ids of the runs that have none of the tables (not started, or failed early). */
  missing: string[];
}

/**
 * Read tables of the grid's runs into one table each, with `run`, `run_seed` and the override
 * columns first.
 *
 * @param runs the grid's runs.
 * @param tables table names (default `eval`, `updates`).
 * @returns the stacked tables and the runs that had none.
 * @throws {Error} when an override key clashes with a column of the table.
 */
export function collectRuns(
  runs: readonly GridRun[],
  tables: readonly string[] = ["eval", "updates"],
): Collected {
  const keys: string[] = [];
  for (const r of runs) {
    for (const k of Object.keys(overrideRecord(r))) if (!keys.includes(k)) keys.push(k);
  }
  const out: Record<string, ColumnTable> = {};
  const present = new Set<string>();
  for (const name of tables) {
    const have = runs.filter((r) => _hasTable(r.dir, name));
    if (have.length === 0) continue;
    const stacked = readRunDirs(have.map((r) => r.dir), {
      tables: [name],
      names: have.map((r) => r.id),
    })[name];
    for (const r of have) present.add(r.id);
    for (const k of [...keys, "run_seed"]) {
      if (stacked.columnNames().includes(k)) {
        throw new Error(`collect: override key ${k} clashes with a column of the ${name} table`);
      }
    }
    const byId = new Map(have.map((r) => [r.id, r]));
    const ids = stacked.array("run") as string[];
    const extra: Record<string, unknown[]> = {
      run_seed: ids.map((id) => byId.get(id)!.seed),
    };
    for (const k of keys) extra[k] = ids.map((id) => overrideRecord(byId.get(id)!)[k] ?? null);
    const rest = stacked.columnNames().filter((c) => c !== "run");
    out[name] = aqTable({ run: ids, ...extra }).assign(stacked.select(rest));
  }
  return { tables: out, missing: runs.filter((r) => !present.has(r.id)).map((r) => r.id) };
}

function _hasTable(dir: string, name: string): boolean {
  for (const p of [join(dir, `${name}.arrow`), join(dir, `${name}.parts`)]) {
    try {
      Deno.statSync(p);
      return true;
    } catch { /* next */ }
  }
  return false;
}

/**
 * Collect a grid and write each table to `GRID/<table>.arrow` (Arrow IPC file format).
 *
 * @param grid the grid.
 * @param runs its runs.
 * @param tables table names (default `eval`, `updates`).
 * @returns the tables, the files written and the runs without tables.
 */
export async function collectGrid(
  grid: GridSpec,
  runs: readonly GridRun[],
  tables: readonly string[] = ["eval", "updates"],
): Promise<Collected & { files: string[] }> {
  const got = collectRuns(runs, tables);
  const files: string[] = [];
  for (const [name, t] of Object.entries(got.tables)) {
    const file = join(gridDir(grid), `${name}.arrow`);
    await writeFileAtomic(file, toArrowIPC(t, { format: "file" }) as Uint8Array);
    files.push(file);
  }
  return { ...got, files };
}
