/**
 * The Slurm back-end: one `sbatch --array` job whose task `i` runs the grid's run `i` (through
 * the grid command's `task` step, see `task.ts`), with the per-task resources of the grid file's
 * `slurm` section. When the grid has bases that are not built yet, a base job builds them first
 * and the array waits for it (`--dependency=afterok:ID`), so no two tasks build the same base.
 *
 * Only unfinished runs are submitted: re-running the grid command after a pre-emption, a failure
 * or a `scancel` submits what is left, and each task resumes its run from its checkpoint.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { gridDir } from "./expand.ts";
import type { GridSpec } from "./spec.ts";

/** What a job script runs: the grid command and its arguments, and where. */
export interface SlurmCommand {
  /** The grid command up to the step name, e.g. `[deno, run, -A, /abs/tools/grid.ts]`. */
  prefix: readonly string[];
  /** Arguments after the step's own (e.g. `--set root=/scratch`). */
  suffix: readonly string[];
  /** Working directory of the jobs (absolute). */
  cwd: string;
}

/**
 * Quote a word for bash (single quotes unless it is plainly safe).
 *
 * @param word the word.
 * @returns the quoted word.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellQuote } from "./slurm.ts";
 * assert.deepEqual([shellQuote("a=b"), shellQuote("it's")], ["a=b", `'it'\\''s'`]);
 * ```
 */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_.,:/=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A Slurm array spec for a set of indices, as ranges: `[0, 1, 2, 5, 7, 8]` → `0-2,5,7-8`.
 *
 * @param indices array task ids (any order, no duplicates needed).
 * @returns the spec.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { arraySpec } from "./slurm.ts";
 * assert.deepEqual(arraySpec([7, 0, 1, 2, 5, 8]), "0-2,5,7-8");
 * ```
 */
export function arraySpec(indices: readonly number[]): string {
  const xs = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    parts.push(j === i ? `${xs[i]}` : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

function _header(grid: GridSpec, cmd: SlurmCommand, job: string, output: string): string[] {
  const s = grid.slurm;
  const lines = [
    "#!/bin/bash",
    `#SBATCH --job-name=${shellQuote(job)}`,
    `#SBATCH --cpus-per-task=${s.cpus_per_task}`,
    "#SBATCH --ntasks=1",
  ];
  if (s.mem) lines.push(`#SBATCH --mem=${s.mem}`);
  if (s.time) lines.push(`#SBATCH --time=${s.time}`);
  if (s.partition) lines.push(`#SBATCH --partition=${s.partition}`);
  if (s.gpus > 0) lines.push(`#SBATCH --gpus-per-task=${s.gpus}`);
  lines.push(`#SBATCH --output=${resolve(cmd.cwd, output)}`);
  lines.push(`#SBATCH --chdir=${cmd.cwd}`);
  for (const o of s.sbatch) lines.push(`#SBATCH ${o}`);
  return lines;
}

function _body(grid: GridSpec, cmd: SlurmCommand, step: string[]): string[] {
  const prefix = [...cmd.prefix];
  if (grid.slurm.deno) prefix[0] = grid.slurm.deno;
  return [
    "set -euo pipefail",
    "# BLAS threads: the task's CPUs, not the node's",
    'export OPENBLAS_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"',
    ...grid.slurm.setup,
    `exec ${[...prefix, ...step, ...cmd.suffix].map(shellQuote).join(" ")}`,
  ];
}

/**
 * The array job script: task `i` runs the grid's run `i`.
 *
 * @param grid the grid.
 * @param runs the runs to submit (id and index).
 * @param cmd the grid command and working directory.
 * @returns the script text.
 */
export function arrayScript(
  grid: GridSpec,
  runs: readonly { index: number; id: string }[],
  cmd: SlurmCommand,
): string {
  const limit = grid.slurm.max_parallel ? `%${grid.slurm.max_parallel}` : "";
  const file = resolve(cmd.cwd, grid.file);
  return [
    ..._header(grid, cmd, `grid-${grid.name}`, join(gridDir(grid), "logs", "slurm-%A_%a.out")),
    `#SBATCH --array=${arraySpec(runs.map((r) => r.index))}${limit}`,
    `# grid ${file}: array task = run index`,
    ...runs.map((r) => `#   ${r.index} ${r.id}`),
    ..._body(grid, cmd, ["task", file, "--index", "${SLURM_ARRAY_TASK_ID}"]),
    "",
  ].join("\n").replace("'${SLURM_ARRAY_TASK_ID}'", '"${SLURM_ARRAY_TASK_ID}"');
}

/**
 * The base job script: builds the grid's missing bases, once.
 *
 * @param grid the grid.
 * @param cmd the grid command and working directory.
 * @returns the script text.
 */
export function baseScript(grid: GridSpec, cmd: SlurmCommand): string {
  const file = resolve(cmd.cwd, grid.file);
  return [
    ..._header(grid, cmd, `grid-${grid.name}-bases`, join(gridDir(grid), "logs", "slurm-%j.out")),
    `# grid ${file}: build the bases ${grid.bases.map((b) => b.name).join(", ")}`,
    ..._body(grid, cmd, ["bases", file]),
    "",
  ].join("\n");
}

/** Options of {@link sbatch}. */
export interface SbatchOptions {
  /** Job ids this job waits for (`afterok`). */
  after?: readonly string[];
}

/**
 * Submit a script file with `sbatch --parsable`.
 *
 * @param scriptFile the job script.
 * @param opts dependencies.
 * @returns the job id.
 * @throws {Error} with sbatch's message when submission fails.
 */
export async function sbatch(scriptFile: string, opts: SbatchOptions = {}): Promise<string> {
  const args = ["--parsable"];
  if (opts.after?.length) {
    // a failed base job cancels the array instead of leaving it pending for ever
    args.push(`--dependency=afterok:${opts.after.join(":")}`, "--kill-on-invalid-dep=yes");
  }
  args.push(scriptFile);
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("sbatch", { args, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    throw new Error(`sbatch could not be started (is Slurm installed?): ${(e as Error).message}`);
  }
  const text = new TextDecoder().decode(out.stdout).trim();
  const id = text.split("\n")[0].split(";")[0].trim();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim();
    throw new Error(
      `sbatch ${scriptFile} failed (exit ${out.code})${id ? ` for job ${id}` : ""}: ${err}`,
    );
  }
  return id;
}

/**
 * Wait until none of the jobs is queued or running any more (polls `squeue`; a job that squeue
 * no longer knows has ended). Unlike `sbatch --wait`, whose polling interval grows to tens of
 * seconds, this notices the end within `intervalMs`.
 *
 * @param ids job ids (array jobs wait for all their tasks).
 * @param intervalMs polling interval (default 1000).
 */
export async function waitForJobs(ids: readonly string[], intervalMs = 1000): Promise<void> {
  for (;;) {
    const out = await new Deno.Command("squeue", {
      args: ["-h", "-o", "%i", "-j", ids.join(",")],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr);
      if (!/Invalid job id/i.test(err)) throw new Error(`squeue failed: ${err.trim()}`);
      return;
    }
    if (text === "") return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Ids of this user's queued or running jobs with one of the given names (`squeue --me`).
 *
 * @param names job names.
 * @returns the job ids (array tasks as `JOB_TASK`), empty when none.
 */
export async function queuedJobs(names: readonly string[]): Promise<string[]> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("squeue", {
      args: ["--me", "-h", "-o", "%i", "-n", names.join(",")],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    throw new Error(`squeue could not be started (is Slurm installed?): ${(e as Error).message}`);
  }
  if (!out.success) {
    throw new Error(`squeue failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout).split("\n").map((l) => l.trim()).filter((l) => l);
}
