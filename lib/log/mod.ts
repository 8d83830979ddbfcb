/**
 * Run logs: typed column schemas for the run tables, crash-safe append-only Arrow tables,
 * readers that merge run directories for analysis, run directories with `config.yaml` and
 * `meta.json`, atomic file writes, and a terminal progress bar.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openRunTables, readRunDirs } from "./mod.ts";
 * const dir = Deno.makeTempDirSync();
 * const tables = openRunTables(dir);
 * tables.updates.append([{
 *   iteration: 1, loss: 0.1, clip_frac: 0, approx_kl: 0, ref_kl: null, entropy: 1.2,
 *   grad_norm: 0.5, lr: 3e-4, reward_mean: 0.2, reward_std: 0.4, group_reward_std_mean: 0.3,
 *   zero_var_group_frac: 0.5, valid_rate: 0.97, tokens_per_s: 120, wall_s: 4.2, rollout_s: 3,
 *   update_s: 1, eval_s: 0, updated: true, idle_update: false, signal_episodes: 4,
 *   entropy_coef: 0, kl_probe: null, kl_rollback: false, kl_step_scale: null,
 * }]);
 * tables.updates.close();
 * const { updates } = readRunDirs([dir], { tables: ["updates"] });
 * assert.equal(updates.numRows(), 1);
 * ```
 *
 * @module
 */

export {
  type CellOf,
  col,
  type ColumnConstructor,
  type ColumnOptions,
  type ColumnsOf,
  type ColumnSpec,
  type ColumnSpecs,
  type ColumnType,
  defineTable,
  type RowOf,
  type TableSchema,
  type ValueOf,
} from "./columns.ts";
export {
  type EpisodeRow,
  EPISODES,
  EVAL,
  EVAL_USAGE,
  type EvalRow,
  type EvalUsageRow,
  RUN_TABLES,
  type StepRow,
  STEPS,
  type UpdateRow,
  UPDATES,
} from "./schemas.ts";
export { TableWriter, type TableWriterOptions, type WriterInput } from "./table_writer.ts";
export {
  closeRunTables,
  consolidateRunTables,
  openRunTables,
  type RunTableWriters,
} from "./run_tables.ts";
export { readArrowTable, readRunDirs, type ReadRunDirsOptions, readTable } from "./read.ts";
export {
  type AtomicWriteOptions,
  writeFileAtomic,
  writeFileAtomicSync,
  writeJsonAtomic,
} from "./atomic.ts";
export {
  collectRunMeta,
  createRunDir,
  type CreateRunDirOptions,
  type RunDir,
  runDirName,
  type RunMeta,
  runTimestamp,
} from "./run_dir.ts";
export {
  type Figure,
  formatDuration,
  ProgressBar,
  type ProgressBarOptions,
  type ProgressSink,
} from "./progress.ts";
export { runTablesMarkdown, tableSchemaMarkdown } from "./schema_doc.ts";
