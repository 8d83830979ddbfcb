/**
 * Append-only, crash-safe Arrow tables for run directories.
 *
 * Each {@link TableWriter.append} (one call per iteration) writes its rows as one Arrow IPC part
 * file, atomically, into `DIR/<table>.parts/`, then rewrites the consolidated `DIR/<table>.arrow`
 * (Arrow IPC **file** format, readable by arquero, apache-arrow and pyarrow) atomically from the
 * record batches held in memory — no re-encoding of old rows, only a copy of their buffers.
 * A crash at any point loses at most the append in progress: the parts are the durable record,
 * {@link readTable} notices a consolidated file that lags its parts, and the next open rebuilds it.
 * When resuming from a checkpoint at iteration k, `truncateAfter: k` drops later rows so the
 * resumed run's tables equal those of an uninterrupted run.
 *
 * @module
 */

import { type Table, tableFromIPC, tableToIPC } from "@uwdata/flechette";
import type { ColumnsOf, RowOf, TableSchema } from "./columns.ts";
import {
  checkArrowSchema,
  concatToIPC,
  encodeRows,
  META_PARTS,
  META_TABLE,
  type TableInput,
} from "./arrow_codec.ts";
import { isAtomicTemp, writeFileAtomicSync } from "./atomic.ts";
import { listParts, type PartInfo, partName, readPart, tablePaths } from "./parts.ts";

/** Options of {@link TableWriter.open}. */
export interface TableWriterOptions {
  /**
   * Resume: drop every row whose iteration column is greater than this, right after opening
   * (needs a table with an iteration column).
   */
  truncateAfter?: number;
  /**
   * Minimum seconds between rewrites of the consolidated file (default 0: after every append).
   * The parts are always written at once; {@link TableWriter.close} consolidates.
   */
  consolidateEveryS?: number;
  /** Flush part files to disk before renaming them into place (default true). */
  fsync?: boolean;
  /** Clock for `consolidateEveryS`, in milliseconds (default `performance.now`). */
  now?: () => number;
}

interface _Part {
  info: PartInfo;
  table: Table;
  minIter: number;
  maxIter: number;
}

/** Rows accepted by a writer of schema `S`: row objects, column arrays or an arquero table. */
export type WriterInput<S extends TableSchema> =
  | readonly RowOf<S>[]
  | ColumnsOf<S>
  | { columnNames(): string[]; array(name: string): ArrayLike<unknown>; numRows(): number };

/**
 * Writer for one append-only table in a run directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { col, defineTable } from "./columns.ts";
 * import { TableWriter } from "./table_writer.ts";
 * import { readTable } from "./read.ts";
 * const T = defineTable("demo", "one row per iteration", {
 *   iteration: col.int32("iteration", { unit: "iteration" }),
 *   loss: col.float64("loss"),
 * });
 * const dir = Deno.makeTempDirSync();
 * const w = TableWriter.open(dir, T);
 * w.append([{ iteration: 1, loss: 0.5 }]);
 * w.append([{ iteration: 2, loss: 0.25 }]);
 * w.close();
 * assert.deepEqual(readTable(`${dir}/demo.arrow`).array("loss"), [0.5, 0.25]);
 * ```
 */
export class TableWriter<S extends TableSchema = TableSchema> {
  /** The table schema. */
  readonly schema: S;
  /** The consolidated Arrow IPC file, `DIR/<table>.arrow`. */
  readonly path: string;
  /** The parts directory, `DIR/<table>.parts`. */
  readonly partsDir: string;
  #parts: _Part[] = [];
  #opts: TableWriterOptions;
  #now: () => number;
  #lastConsolidated = -Infinity;
  #dirty = false;
  #closed = false;

  private constructor(dir: string, schema: S, opts: TableWriterOptions) {
    this.schema = schema;
    const { file, partsDir } = tablePaths(`${dir}/${schema.name}`);
    this.path = file;
    this.partsDir = partsDir;
    this.#opts = opts;
    this.#now = opts.now ?? (() => performance.now());
  }

  /**
   * Open (or create) table `schema.name` in `dir`, recovering every completed append: stray temp
   * files are removed, superseded parts deleted, each part's schema checked, and the consolidated
   * file rebuilt.
   *
   * @param dir the run directory (created if missing).
   * @param schema the table schema; existing parts must match it exactly.
   * @param opts resume (`truncateAfter`), consolidation and fsync options.
   * @throws if an existing part's columns differ from the schema (naming table, column, file).
   */
  static open<S extends TableSchema>(
    dir: string,
    schema: S,
    opts: TableWriterOptions = {},
  ): TableWriter<S> {
    const w = new TableWriter(dir, schema, opts);
    w.#recover();
    if (opts.truncateAfter !== undefined) w.truncateAfter(opts.truncateAfter);
    else w.consolidate();
    return w;
  }

  /** Number of rows written so far. */
  get numRows(): number {
    return this.#parts.reduce((n, p) => n + p.info.rows, 0);
  }

  /** Largest value of the iteration column so far (undefined if empty or no such column). */
  get lastIteration(): number | undefined {
    const last = this.#parts.at(-1);
    return last && this.schema.iterationColumn !== undefined ? last.maxIter : undefined;
  }

  /** Whether rows were appended since the consolidated file was last written. */
  get pending(): boolean {
    return this.#dirty;
  }

  /** Number of part files (completed appends that held rows). */
  get numParts(): number {
    return this.#parts.length;
  }

  #iterRange(t: Table): [number, number] {
    const name = this.schema.iterationColumn;
    if (name === undefined) return [NaN, NaN];
    let lo = Infinity, hi = -Infinity;
    const values = t.getChild(name).toArray() as ArrayLike<number>;
    for (let i = 0; i < values.length; i++) {
      if (values[i] < lo) lo = values[i];
      if (values[i] > hi) hi = values[i];
    }
    return [lo, hi];
  }

  #recover(): void {
    Deno.mkdirSync(this.partsDir, { recursive: true });
    const dir = this.partsDir.slice(0, this.partsDir.lastIndexOf("/")) || ".";
    const stem = this.path.slice(this.path.lastIndexOf("/") + 1);
    for (const e of Deno.readDirSync(this.partsDir)) {
      if (isAtomicTemp(e.name)) Deno.removeSync(`${this.partsDir}/${e.name}`);
    }
    for (const e of Deno.readDirSync(dir)) {
      if (isAtomicTemp(e.name) && e.name.startsWith(`.${stem}.tmp-`)) {
        Deno.removeSync(`${dir}/${e.name}`);
      }
    }
    const { live, superseded } = listParts(this.partsDir);
    for (const p of superseded) Deno.removeSync(`${this.partsDir}/${p.name}`);
    if (live.length === 0) {
      this.#adoptConsolidated();
      return;
    }
    for (const info of live) {
      const table = readPart(this.partsDir, info);
      checkArrowSchema(this.schema, table.schema.fields, `${this.partsDir}/${info.name}`);
      this.#push(info, table);
    }
  }

  /** A consolidated file without parts (e.g. copied alone): make it part 1. */
  #adoptConsolidated(): void {
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(this.path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    const table = tableFromIPC(bytes);
    checkArrowSchema(this.schema, table.schema.fields, this.path);
    if (table.numRows === 0) return;
    const info = { name: partName(1, table.numRows), seq: 1, rows: table.numRows };
    writeFileAtomicSync(`${this.partsDir}/${info.name}`, bytes, { fsync: this.#opts.fsync });
    this.#push(info, table);
  }

  #push(info: PartInfo, table: Table): void {
    const [minIter, maxIter] = this.#iterRange(table);
    const prev = this.#parts.at(-1);
    if (prev && minIter < prev.maxIter) {
      throw new Error(
        `table ${this.schema.name}: ${info.name} starts at iteration ${minIter}, before ` +
          `iteration ${prev.maxIter} of the part before it`,
      );
    }
    this.#parts.push({ info, table, minIter, maxIter });
  }

  /**
   * Append rows (one call per iteration): validated against the schema, written as one part
   * file atomically, then consolidated (see {@link TableWriterOptions.consolidateEveryS}).
   * An empty input writes nothing.
   *
   * @param input row objects, column arrays, or an arquero table.
   * @throws naming the table and column for an unknown, missing or mistyped column, or when the
   *   rows go back in iteration (use {@link TableWriter.truncateAfter} when resuming).
   */
  append(input: WriterInput<S>): void {
    if (this.#closed) throw new Error(`table ${this.schema.name}: append after close()`);
    const table = encodeRows(this.schema, input as TableInput);
    if (table.numRows === 0) return;
    const [minIter] = this.#iterRange(table);
    const last = this.lastIteration;
    if (last !== undefined && minIter < last) {
      throw new Error(
        `table ${this.schema.name}: rows for iteration ${minIter} appended after iteration ` +
          `${last}; appends must not go back in iteration (truncateAfter when resuming)`,
      );
    }
    const seq = (this.#parts.at(-1)?.info.seq ?? 0) + 1;
    const info = { name: partName(seq, table.numRows), seq, rows: table.numRows };
    const bytes = tableToIPC(table, { format: "file" })!;
    writeFileAtomicSync(`${this.partsDir}/${info.name}`, bytes, { fsync: this.#opts.fsync });
    this.#push(info, table);
    this.#dirty = true;
    const every = this.#opts.consolidateEveryS ?? 0;
    if (every <= 0 || this.#now() - this.#lastConsolidated >= every * 1000) this.consolidate();
  }

  /**
   * Drop every row whose iteration is greater than `iteration` (on disk and in memory), then
   * consolidate. Whole parts are deleted from the end; a part that straddles the cut is
   * rewritten under its new row count before the old file is deleted.
   *
   * @param iteration last iteration to keep.
   * @throws if the table has no iteration column.
   */
  truncateAfter(iteration: number): void {
    const col = this.schema.iterationColumn;
    if (col === undefined) {
      throw new Error(`table ${this.schema.name} has no iteration column to truncate by`);
    }
    while (this.#parts.length) {
      const p = this.#parts.at(-1)!;
      if (p.maxIter <= iteration) break;
      if (p.minIter > iteration) {
        Deno.removeSync(`${this.partsDir}/${p.info.name}`);
        this.#parts.pop();
        continue;
      }
      const iters = p.table.getChild(col).toArray() as ArrayLike<number>;
      const keep: number[] = [];
      for (let i = 0; i < iters.length; i++) if (iters[i] <= iteration) keep.push(i);
      const cols: Record<string, unknown[]> = {};
      for (const name of Object.keys(this.schema.columns)) {
        const values = p.table.getChild(name).toArray() as ArrayLike<unknown>;
        cols[name] = keep.map((i) => values[i]);
      }
      const table = encodeRows(this.schema, cols);
      const info = { name: partName(p.info.seq, keep.length), seq: p.info.seq, rows: keep.length };
      writeFileAtomicSync(`${this.partsDir}/${info.name}`, tableToIPC(table, { format: "file" })!, {
        fsync: this.#opts.fsync,
      });
      Deno.removeSync(`${this.partsDir}/${p.info.name}`);
      this.#parts.pop();
      this.#push(info, table);
      break;
    }
    this.consolidate();
  }

  /** Rewrite the consolidated `DIR/<table>.arrow` now, from the parts in memory. */
  consolidate(): void {
    const meta = new Map([
      [META_TABLE, this.schema.name],
      [META_PARTS, this.#parts.map((p) => p.info.name).join(",")],
    ]);
    const bytes = concatToIPC(this.schema, this.#parts.map((p) => p.table), meta);
    // the parts are the durable record: the consolidated file needs no fsync
    writeFileAtomicSync(this.path, bytes, { fsync: false });
    this.#lastConsolidated = this.#now();
    this.#dirty = false;
  }

  /** Consolidate if anything is pending, and refuse further appends. */
  close(): void {
    if (this.#closed) return;
    if (this.#dirty) this.consolidate();
    this.#closed = true;
  }
}
