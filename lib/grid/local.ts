/**
 * The local back-end: the grid's runs as processes on this machine, `jobs` at a time (default:
 * the cores divided by `slurm.cpus_per_task`, at least 1), with a progress bar of finished runs.
 * The bases are built first, once; each run then goes through {@link runTask}, so finished runs
 * are skipped and interrupted ones resume. Each run's output goes to `GRID/logs/<run id>.log`.
 * The bases are built `jobs` at a time too (each under its own lock, log
 * `GRID/logs/base-<name>.log`); every base build and run gets `OPENBLAS_NUM_THREADS` = cores / jobs (at
 * least 1) unless the variable is set already, so `jobs` processes do not oversubscribe the cores.
 *
 * @module
 */
import { join } from "node:path";
import { ProgressBar, type ProgressSink } from "../log/progress.ts";
import { gridDir, type GridRun } from "./expand.ts";
import type { GridSpec } from "./spec.ts";
import { buildBase, type RunState, runTask } from "./task.ts";

/** Options of {@link runLocal}. */
export interface LocalOptions {
  /** Runs at once (default: from the grid file, else cores / cpus_per_task). */
  jobs?: number;
  /** Progress output (default standard error). */
  sink?: ProgressSink;
  /** Deno executable for the runs (default this process's). */
  deno?: string;
}

/** The outcome of one run of {@link runLocal}. */
export interface LocalResult {
  /** The run id. */
  id: string;
  /** State the run was found in. */
  state: RunState;
  /** Exit code of its process (0 when skipped). */
  code: number;
}

/**
 * How many runs go at once: the explicit number, else the grid's `local.jobs`, else the cores
 * divided by `slurm.cpus_per_task`; at least 1.
 *
 * @param grid the grid.
 * @param jobs an explicit number (0 or undefined: derive it).
 * @param cores the machine's cores.
 * @returns the number of concurrent runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localJobs } from "./local.ts";
 * const grid = { local: { jobs: 0 }, slurm: { cpus_per_task: 2 } };
 * assert.deepEqual([localJobs(grid, undefined, 8), localJobs(grid, 3, 8)], [4, 3]);
 * ```
 */
export function localJobs(
  grid: { local: { jobs: number }; slurm: { cpus_per_task: number } },
  jobs: number | undefined,
  cores: number,
): number {
  if (jobs) return jobs;
  if (grid.local.jobs) return grid.local.jobs;
  return Math.max(1, Math.floor(cores / grid.slurm.cpus_per_task));
}

/**
 * Run a grid's runs locally.
 *
 * @param grid the grid.
 * @param runs the runs to bring to their end (usually all of {@link expandGrid}).
 * @param opts concurrency, progress output and Deno executable.
 * @returns one result per run, in run order.
 */
export async function runLocal(
  grid: GridSpec,
  runs: readonly GridRun[],
  opts: LocalOptions = {},
): Promise<LocalResult[]> {
  const logs = join(gridDir(grid), "logs");
  await Deno.mkdir(logs, { recursive: true });
  const cores = navigator.hardwareConcurrency || 1;
  const jobs = localJobs(grid, opts.jobs, cores);
  const env: Record<string, string> = Deno.env.get("OPENBLAS_NUM_THREADS") !== undefined
    ? {}
    : { OPENBLAS_NUM_THREADS: String(Math.max(1, Math.floor(cores / jobs))) };
  const pending = [...grid.bases];
  const builder = async () => {
    for (let b = pending.shift(); b !== undefined; b = pending.shift()) {
      await buildBase(grid, b, { deno: opts.deno, log: join(logs, `base-${b.name}.log`), env });
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, grid.bases.length) }, builder));
  const bar = new ProgressBar({ total: runs.length, label: grid.name, sink: opts.sink });
  const results: LocalResult[] = new Array(runs.length);
  let next = 0, finished = 0, running = 0, failed = 0;
  const show = () => bar.update(finished, { running, failed });
  const worker = async () => {
    while (next < runs.length) {
      const i = next++;
      running++;
      show();
      const log = join(logs, `${runs[i].id}.log`);
      const r = await runTask(grid, runs[i], { deno: opts.deno, log, env });
      running--;
      finished++;
      if (r.code !== 0) failed++;
      results[i] = { id: runs[i].id, ...r };
      show();
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, runs.length) }, worker));
  bar.done();
  return results;
}
