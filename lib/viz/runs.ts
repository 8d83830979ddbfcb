/**
 * Find and load run directories for analysis: a list of paths (each a run directory, or a folder
 * holding run directories), the environment variable that notebooks take it from, each run's
 * `meta.json` and `config.yaml`, and its tables merged across runs with a `run` column.
 *
 * A run's role: `baseline` for an evaluation-only run of a model that was not trained here
 * (`meta.role`, or a directory named `baseline` inside a training run), `trained` for a run with
 * an `updates` table, else `eval`. A nested baseline is named `<parent run>/baseline`.
 *
 * @module
 */
import type { ColumnTable } from "arquero";
import { parse } from "yaml";
import { readRunDirs } from "../log/read.ts";
import { isFile } from "../util/fs.ts";

/** What the analysis knows about one run directory. */
export interface RunInfo {
  /** Directory path. */
  path: string;
  /** Unique name (the `run` column of merged tables). */
  name: string;
  /** `trained`, `baseline` or `eval` (see the module doc). */
  role: "trained" | "baseline" | "eval";
  /** Name of the training run a nested baseline belongs to, else null. */
  parent: string | null;
  /** The parsed `meta.json`. */
  meta: Record<string, unknown>;
  /** The parsed `config.yaml`, or null. */
  config: Record<string, unknown> | null;
}

function _base(path: string): string {
  const p = path.replace(/\/+$/, "");
  return p.slice(p.lastIndexOf("/") + 1);
}

/**
 * The run paths a notebook analyses: the comma-separated list in `envVar` when it is set and not
 * empty, else `defaults`. Relative paths stay relative to the working directory.
 *
 * @param defaults paths used when the variable is unset.
 * @param envVar the variable (default `MSGRPO_RUNS`).
 * @returns the paths.
 */
export function runPathsFromEnv(defaults: readonly string[], envVar = "MSGRPO_RUNS"): string[] {
  let v: string | undefined;
  try {
    v = Deno.env.get(envVar);
  } catch { /* no env permission */ }
  const list = (v ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  return list.length > 0 ? list : [...defaults];
}

function _readRun(path: string, parent: RunInfo | null): RunInfo {
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(Deno.readTextFileSync(`${path}/meta.json`));
  } catch (e) {
    throw new Error(`run ${path}: cannot read meta.json: ${(e as Error).message}`);
  }
  let config: Record<string, unknown> | null = null;
  if (isFile(`${path}/config.yaml`)) {
    try {
      config = parse(Deno.readTextFileSync(`${path}/config.yaml`)) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`run ${path}: cannot parse config.yaml: ${(e as Error).message}`);
    }
  }
  const baseline = meta.role === "baseline" || (parent !== null && _base(path) === "baseline");
  const role = baseline ? "baseline" : _hasTable(path, "updates") ? "trained" : "eval";
  const name = parent ? `${parent.name}/${_base(path)}` : _base(path);
  return { path, name, role, parent: parent?.name ?? null, meta, config };
}

function _hasTable(dir: string, table: string): boolean {
  if (isFile(`${dir}/${table}.arrow`)) return true;
  try {
    return Deno.statSync(`${dir}/${table}.parts`).isDirectory;
  } catch {
    return false;
  }
}

function _subdirs(path: string): string[] {
  return [...Deno.readDirSync(path)].filter((e) => e.isDirectory).map((e) => e.name).sort();
}

/**
 * Find the runs under each path: a path with `meta.json` is a run (its sub-directories with a
 * `meta.json`, such as `baseline/`, are runs too); any other directory is searched two levels
 * deep. Names are made unique with a `~k` suffix.
 *
 * @param paths run directories or folders of runs.
 * @returns the runs found, in path order then name order.
 * @throws when a path does not exist or holds no run.
 */
export function discoverRuns(paths: readonly string[]): RunInfo[] {
  const out: RunInfo[] = [];
  const visit = (path: string, depth: number): number => {
    if (isFile(`${path}/meta.json`)) {
      const run = _readRun(path, null);
      out.push(run);
      let n = 1;
      for (const d of _subdirs(path)) {
        if (isFile(`${path}/${d}/meta.json`)) {
          out.push(_readRun(`${path}/${d}`, run));
          n++;
        }
      }
      return n;
    }
    if (depth === 0) return 0;
    let n = 0;
    for (const d of _subdirs(path)) n += visit(`${path.replace(/\/+$/, "")}/${d}`, depth - 1);
    return n;
  };
  for (const p of paths) {
    try {
      if (!Deno.statSync(p).isDirectory) throw new Error("not a directory");
    } catch (e) {
      throw new Error(`run path ${p}: ${(e as Error).message}`);
    }
    if (visit(p, 2) === 0) throw new Error(`run path ${p}: no run directory (meta.json) found`);
  }
  const seen = new Map<string, number>();
  for (const r of out) {
    const k = seen.get(r.name) ?? 0;
    seen.set(r.name, k + 1);
    if (k > 0) r.name = `${r.name}~${k}`;
  }
  return out;
}

/** Runs and their merged tables. */
export interface LoadedRuns {
  /** The runs, in discovery order. */
  runs: RunInfo[];
  /** Each table read from at least one run, stacked with a `run` column (the run's name). */
  tables: Record<string, ColumnTable>;
}

/**
 * Discover runs and read their tables (default `eval` and `updates`; `steps` is large, ask for it
 * only when needed).
 *
 * @param paths run directories or folders of runs.
 * @param tables table names to read.
 * @returns the runs and the merged tables.
 */
export function loadRuns(
  paths: readonly string[],
  tables: readonly string[] = ["eval", "updates"],
): LoadedRuns {
  const runs = discoverRuns(paths);
  const merged = readRunDirs(runs.map((r) => r.path), {
    tables,
    names: runs.map((r) => r.name),
  });
  return { runs, tables: merged };
}

/**
 * A value from a run's config by dotted path (`msgrpo.sampling`), or undefined.
 * @param run the run.
 * @param path dotted key path.
 * @returns the value.
 */
export function configValue(run: RunInfo, path: string): unknown {
  let v: unknown = run.config;
  for (const k of path.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/**
 * Rows of an arquero table as plain objects (an empty list for a missing table).
 * @param t the table or undefined.
 * @returns the rows.
 */
export function rowsOf<T = Record<string, unknown>>(t: ColumnTable | undefined): T[] {
  return t ? (t.objects() as T[]) : [];
}
