/**
 * Open the four run tables of a run directory at once.
 *
 * @module
 */

import { EPISODES, EVAL, STEPS, UPDATES } from "./schemas.ts";
import { TableWriter, type TableWriterOptions } from "./table_writer.ts";

/** Writers for `steps`, `episodes`, `updates` and `eval`. */
export interface RunTableWriters {
  /** One row per training step. */
  readonly steps: TableWriter<typeof STEPS>;
  /** One row per training episode. */
  readonly episodes: TableWriter<typeof EPISODES>;
  /** One row per iteration. */
  readonly updates: TableWriter<typeof UPDATES>;
  /** One row per evaluation episode. */
  readonly eval: TableWriter<typeof EVAL>;
}

/**
 * Open (or create) the four run tables in `dir`. When resuming from a checkpoint taken after
 * iteration k, pass `{ truncateAfter: k }` so later rows from the interrupted run are dropped.
 *
 * @param dir the run directory.
 * @param opts writer options, shared by the four tables.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closeRunTables, openRunTables } from "./run_tables.ts";
 * const dir = Deno.makeTempDirSync();
 * const tables = openRunTables(dir);
 * assert.deepEqual(tables.updates.path.endsWith("/updates.arrow"), true);
 * closeRunTables(tables);
 * ```
 */
export function openRunTables(dir: string, opts: TableWriterOptions = {}): RunTableWriters {
  return {
    steps: TableWriter.open(dir, STEPS, opts),
    episodes: TableWriter.open(dir, EPISODES, opts),
    updates: TableWriter.open(dir, UPDATES, opts),
    eval: TableWriter.open(dir, EVAL, opts),
  };
}

/**
 * Rewrite the consolidated file of each table that has rows pending (see
 * {@link TableWriterOptions.consolidateEveryS}); the parts already hold every row.
 *
 * @param tables the four writers.
 * @returns the names of the tables that were rewritten.
 */
export function consolidateRunTables(tables: RunTableWriters): string[] {
  const done: string[] = [];
  for (const w of _writers(tables)) {
    if (!w.pending) continue;
    w.consolidate();
    done.push(w.schema.name);
  }
  return done;
}

/** Close the four writers (consolidating whatever is pending). */
export function closeRunTables(tables: RunTableWriters): void {
  for (const w of _writers(tables)) w.close();
}

/** The four writers, in a fixed order. */
function _writers(tables: RunTableWriters): TableWriter[] {
  return [tables.steps, tables.episodes, tables.updates, tables.eval];
}
