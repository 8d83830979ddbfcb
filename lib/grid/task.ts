/**
 * One grid task: build the grid's bases if they are missing, then bring one run to its end. This
 * is what a Slurm array task and a local worker both execute, so a run behaves the same wherever
 * it lands:
 *
 * - a run with `grid_done.json` is finished: it is skipped;
 * - a run directory holding a training checkpoint was interrupted: the script continues it with
 *   `--run-dir DIR --resume`;
 * - otherwise (no directory, or one that died before its first checkpoint) the directory is
 *   cleared and the run starts afresh with `--run-dir DIR`.
 *
 * A run is held under an exclusive file lock (`GRID/locks/<run id>.lock`) meanwhile, so two grid
 * commands on one machine never run it at once: the second waits, then finds it done.
 *
 * When the script exits 0 its last stdout line (the experiments print one JSON summary) is stored
 * in `grid_done.json` with the wall time. A base step runs under an exclusive file lock
 * (`GRID/bases/NAME.lock`), so concurrent tasks on one machine build a base once and never into
 * the same folder; the step's script writes its folder atomically, and an existing folder counts
 * as built.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { writeJsonAtomic } from "../log/atomic.ts";
import { findTrainingCheckpoint } from "../train/checkpoint.ts";
import { baseDir, type GridRun, runArgs } from "./expand.ts";
import type { BaseStep, GridSpec } from "./spec.ts";
import { pathExists } from "../util/fs.ts";

/** The marker a finished run holds. */
export const DONE_FILE = "grid_done.json";

/** Where a run stands. */
export type RunState = "done" | "resumable" | "fresh";

/** Contents of `grid_done.json`. */
export interface RunDone {
  /** The run id. */
  id: string;
  /** Wall time of the last process, in seconds. */
  seconds: number;
  /** Whether the last process resumed from a checkpoint. */
  resumed: boolean;
  /** The script's last stdout line, parsed when it is JSON. */
  summary: unknown;
}

/**
 * Where a run stands: finished, interrupted after a checkpoint, or to start.
 *
 * @param run the run.
 * @returns its state.
 */
export async function runState(run: GridRun): Promise<RunState> {
  if (pathExists(join(run.dir, DONE_FILE))) return "done";
  if (pathExists(run.dir) && await findTrainingCheckpoint(run.dir) !== null) return "resumable";
  return "fresh";
}

/** How processes are started (tests and the local back-end pass their own output paths). */
export interface SpawnOptions {
  /** The Deno executable (default: this process's). */
  deno?: string;
  /** Log file for the child's stdout and stderr (default: inherit). */
  log?: string;
  /** Extra environment variables of the child (over this process's). */
  env?: Record<string, string>;
}

async function _spawn(
  args: string[],
  opts: SpawnOptions,
): Promise<{ code: number; lastLine: string }> {
  const deno = opts.deno ?? Deno.execPath();
  const file = opts.log
    ? await Deno.open(opts.log, { append: true, create: true, write: true })
    : undefined;
  const child = new Deno.Command(deno, {
    args,
    env: opts.env,
    stdin: "null",
    stdout: "piped",
    stderr: file ? "piped" : "inherit",
  }).spawn();
  let last = "";
  const enc = new TextEncoder(), dec = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>, keep: boolean) => {
    for await (const chunk of s) {
      if (keep) {
        const lines = (last + dec.decode(chunk, { stream: true })).split("\n");
        last = lines.slice(-2).join("\n");
      }
      if (file) await file.write(chunk);
      else if (keep) await Deno.stdout.write(chunk);
    }
  };
  await Promise.all([
    pump(child.stdout, true),
    file ? pump(child.stderr as ReadableStream<Uint8Array>, false) : Promise.resolve(),
  ]);
  const status = await child.status;
  if (file) {
    await file.write(enc.encode(`\n[grid] exit ${status.code}\n`));
    file.close();
  }
  const lines = last.split("\n").filter((l) => l.trim() !== "");
  return { code: status.code, lastLine: lines.at(-1) ?? "" };
}

/**
 * Build one base step unless its folder exists, holding `NAME.lock` meanwhile.
 *
 * @param grid the grid.
 * @param base the step.
 * @param opts Deno executable and log file.
 * @returns whether it was built now (false: it existed).
 * @throws {Error} when the script fails or leaves no folder.
 */
export async function buildBase(
  grid: GridSpec,
  base: BaseStep,
  opts: SpawnOptions = {},
): Promise<boolean> {
  const dir = baseDir(grid, base);
  if (pathExists(dir)) return false;
  await Deno.mkdir(dirname(dir), { recursive: true });
  const lock = await Deno.open(`${dir}.lock`, { create: true, write: true });
  try {
    await lock.lock(true);
    if (pathExists(dir)) return false; // built while we waited
    const { code } = await _spawn(["run", "-A", base.script, ...base.args, "--out", dir], opts);
    if (code !== 0) throw new Error(`base ${base.name}: ${base.script} exited with ${code}`);
    if (!pathExists(dir)) {
      throw new Error(`base ${base.name}: ${base.script} exited 0 but wrote no ${dir}`);
    }
    return true;
  } finally {
    await lock.unlock().catch(() => {});
    lock.close();
  }
}

/**
 * Build every base step of a grid that is missing.
 *
 * @param grid the grid.
 * @param opts Deno executable and log file.
 * @returns the names of the bases built now.
 */
export async function buildBases(grid: GridSpec, opts: SpawnOptions = {}): Promise<string[]> {
  const built: string[] = [];
  for (const b of grid.bases) if (await buildBase(grid, b, opts)) built.push(b.name);
  return built;
}

/**
 * Bring one run to its end (see the module doc): skip, resume or start it.
 *
 * @param grid the grid.
 * @param run the run.
 * @param opts Deno executable and log file.
 * @returns the state the run was found in, and the exit code (0 when skipped).
 */
export async function runTask(
  grid: GridSpec,
  run: GridRun,
  opts: SpawnOptions = {},
): Promise<{ state: RunState; code: number }> {
  await buildBases(grid, opts);
  const locks = join(dirname(run.dir), "locks");
  await Deno.mkdir(locks, { recursive: true });
  const lock = await Deno.open(join(locks, `${run.id}.lock`), { create: true, write: true });
  try {
    await lock.lock(true);
    return await _runLocked(grid, run, opts);
  } finally {
    await lock.unlock().catch(() => {});
    lock.close();
  }
}

async function _runLocked(
  grid: GridSpec,
  run: GridRun,
  opts: SpawnOptions,
): Promise<{ state: RunState; code: number }> {
  const state = await runState(run);
  if (state === "done") return { state, code: 0 };
  if (state === "fresh" && pathExists(run.dir)) await Deno.remove(run.dir, { recursive: true });
  await Deno.mkdir(dirname(run.dir), { recursive: true });
  const args = ["run", "-A", grid.script, ...runArgs(grid, run), "--run-dir", run.dir];
  if (state === "resumable") args.push("--resume");
  const t0 = performance.now();
  const { code, lastLine } = await _spawn(args, opts);
  if (code === 0) {
    let summary: unknown = lastLine;
    try {
      summary = JSON.parse(lastLine);
    } catch { /* not JSON: keep the text */ }
    const done: RunDone = {
      id: run.id,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
      resumed: state === "resumable",
      summary,
    };
    await writeJsonAtomic(join(run.dir, DONE_FILE), done);
  }
  return { state, code };
}
