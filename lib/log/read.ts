/**
 * Read run tables for analysis: one table as an arquero table (recovering from the part files
 * when the consolidated file lags them), or the same table from many run directories merged with
 * a `run` column.
 *
 * @module
 */

import { Column, type Table, tableFromIPC } from "@uwdata/flechette";
import { type ColumnTable, fromArrow, table as aqTable } from "arquero";
import { META_PARTS } from "./arrow_codec.ts";
import { listParts, readPart, tablePaths } from "./parts.ts";
import { RUN_TABLES } from "./schemas.ts";
import { pathExists } from "../util/fs.ts";

function _concat(parts: Table[], where: string, empty = false): Table {
  const first = parts[0];
  const sig = (t: Table) => t.schema.fields.map((f) => `${f.name}:${f.type.typeId}`).join();
  for (const p of parts) {
    if (sig(p) !== sig(first)) throw new Error(`${where}: the part files differ in columns`);
  }
  const columns = first.schema.fields.map((f, k) =>
    new Column(empty ? [] : parts.flatMap((p) => p.children[k].data as never[]), f.type)
  );
  return new (first.constructor as typeof Table)(first.schema, columns);
}

/**
 * Read a table as a flechette (Arrow) table. `path` is `DIR/<table>.arrow` (or `DIR/<table>`).
 * When `DIR/<table>.parts/` exists and the consolidated file is missing, unreadable, or was built
 * from other parts (a crash between writing a part and consolidating), the table is rebuilt in
 * memory from the parts; nothing on disk is changed.
 *
 * @param path the table file.
 * @returns the Arrow table.
 * @throws if neither the file nor any part exists.
 */
export function readArrowTable(path: string): Table {
  const { file, partsDir } = tablePaths(path);
  const hasParts = pathExists(partsDir);
  if (!hasParts) {
    try {
      return tableFromIPC(Deno.readFileSync(file));
    } catch (e) {
      throw new Error(`cannot read table ${file}: ${(e as Error).message}`);
    }
  }
  const { live } = listParts(partsDir);
  const names = live.map((p) => p.name).join(",");
  let consolidated: Table | undefined;
  try {
    consolidated = tableFromIPC(Deno.readFileSync(file));
    if ((consolidated.schema.metadata?.get(META_PARTS) ?? "") === names) return consolidated;
  } catch {
    // missing or damaged consolidated file: rebuild from the parts below
  }
  if (live.length === 0) {
    // every part was truncated away: the file's schema with no rows
    if (consolidated) return _concat([consolidated], file, true);
    throw new Error(`table ${file} has no data (no file, no parts)`);
  }
  return _concat(live.map((p) => readPart(partsDir, p)), file);
}

/**
 * Read a table as an arquero table (see {@link readArrowTable} for crash recovery).
 *
 * @param path `DIR/<table>.arrow`.
 * @returns the arquero table, backed by the Arrow columns (no copy).
 *
 * @example
 * ```ts ignore
 * // not run as a test: it reads a run directory on disk
 * import { readTable } from "./read.ts";
 * const updates = readTable("runs/frozen_lake__1__20261101-120000/updates.arrow");
 * updates.select("iteration", "reward_mean").print();
 * ```
 */
export function readTable(path: string): ColumnTable {
  return fromArrow(readArrowTable(path) as unknown as Parameters<typeof fromArrow>[0]);
}

/** Options of {@link readRunDirs}. */
export interface ReadRunDirsOptions {
  /** Tables to read (default: the four run tables, `steps`, `episodes`, `updates`, `eval`). */
  tables?: readonly string[];
  /** Run name for each directory (default: the directory's base name). */
  names?: readonly string[];
}

function _baseName(dir: string): string {
  const trimmed = dir.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/**
 * Read the same tables from several run directories and stack them, with a leading `run` column
 * (the directory's base name). Directories lacking a table are skipped for that table; columns
 * missing from some runs are filled with null.
 *
 * @param dirs run directories.
 * @param opts which tables, and run names.
 * @returns one arquero table per table name that at least one directory has.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it reads run directories on disk
 * import { readRunDirs } from "./read.ts";
 * const { eval: ev } = readRunDirs(["runs/a__1__x", "runs/a__2__y"]);
 * ev.groupby("run", "iteration").rollup({ success: "mean(d.success)" }).print();
 * ```
 */
export function readRunDirs(
  dirs: readonly string[],
  opts: ReadRunDirsOptions = {},
): Record<string, ColumnTable> {
  const tables = opts.tables ?? Object.keys(RUN_TABLES);
  if (opts.names && opts.names.length !== dirs.length) {
    throw new Error(`readRunDirs: ${opts.names.length} names for ${dirs.length} directories`);
  }
  const out: Record<string, ColumnTable> = {};
  for (const name of tables) {
    const pieces: ColumnTable[] = [];
    dirs.forEach((dir, i) => {
      const { file, partsDir } = tablePaths(`${dir}/${name}`);
      if (!pathExists(file) && !pathExists(partsDir)) return;
      const t = readTable(file);
      const run = opts.names?.[i] ?? _baseName(dir);
      pieces.push(aqTable({ run: new Array(t.numRows()).fill(run) }).assign(t));
    });
    if (pieces.length === 0) continue;
    const names: string[] = [];
    for (const p of pieces) for (const c of p.columnNames()) if (!names.includes(c)) names.push(c);
    const aligned = pieces.map((p) => {
      const missing = names.filter((c) => !p.columnNames().includes(c));
      const filled = missing.length === 0 ? p : p.assign(
        Object.fromEntries(missing.map((c) => [c, new Array(p.numRows()).fill(null)])),
      );
      return filled.select(names);
    });
    out[name] = aligned[0].concat(...aligned.slice(1));
  }
  return out;
}
