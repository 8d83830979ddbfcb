/**
 * Grids of experiment runs (arms × seeds): the grid file, its expansion into runs with stable
 * directory names, one task (skip / resume / start a run), the local and Slurm back-ends, and the
 * collect step that stacks the runs' tables.
 *
 * @module
 */
export {
  type BaseStep,
  baseStepSchema,
  gridSchema,
  type GridSpec,
  loadGrid,
  slurmSchema,
} from "./spec.ts";
export {
  armId,
  baseDir,
  expandGrid,
  gridArms,
  gridDir,
  type GridRun,
  overrideRecord,
  runArgs,
} from "./expand.ts";
export {
  buildBase,
  buildBases,
  DONE_FILE,
  type RunDone,
  type RunState,
  runState,
  runTask,
  type SpawnOptions,
} from "./task.ts";
export { localJobs, type LocalOptions, type LocalResult, runLocal } from "./local.ts";
export {
  arrayScript,
  arraySpec,
  baseScript,
  queuedJobs,
  sbatch,
  type SbatchOptions,
  shellQuote,
  type SlurmCommand,
  waitForJobs,
} from "./slurm.ts";
export { type Collected, collectGrid, collectRuns } from "./collect.ts";
