/**
 * Part files of an append-only table: `DIR/<table>.parts/part-<seq>-<rows>.arrow`, one Arrow IPC
 * file per append, written atomically. The part files are the durable record of a table; the
 * consolidated `DIR/<table>.arrow` is rebuilt from them.
 *
 * A part's name carries its row count, so any rewrite (truncation on resume) changes the name.
 * Truncation writes the shortened part under its new name before deleting the old one; if both
 * survive a crash, the one with fewer rows is the newer and wins.
 *
 * @module
 */

import { type Table, tableFromIPC } from "@uwdata/flechette";

/** One part file. */
export interface PartInfo {
  /** File name, `part-<seq>-<rows>.arrow`. */
  readonly name: string;
  /** Append sequence number (1, 2, …). */
  readonly seq: number;
  /** Number of rows in the part. */
  readonly rows: number;
}

const _PART = /^part-(\d+)-(\d+)\.arrow$/;

/** File name of a part: `part-000012-512.arrow`. */
export function partName(seq: number, rows: number): string {
  return `part-${String(seq).padStart(6, "0")}-${rows}.arrow`;
}

/** Parse a part file name, or undefined if it is not one. */
export function parsePartName(name: string): PartInfo | undefined {
  const m = _PART.exec(name);
  return m ? { name, seq: Number(m[1]), rows: Number(m[2]) } : undefined;
}

/** The parts directory and consolidated file of a table path (`DIR/x.arrow` or `DIR/x`). */
export function tablePaths(path: string): { file: string; partsDir: string } {
  const base = path.endsWith(".arrow") ? path.slice(0, -".arrow".length) : path;
  return { file: `${base}.arrow`, partsDir: `${base}.parts` };
}

/**
 * The live parts of a parts directory, in append order, and the superseded ones (an older,
 * longer twin of a truncated part left by a crash).
 *
 * @param partsDir the `<table>.parts` directory (missing = no parts).
 */
export function listParts(partsDir: string): { live: PartInfo[]; superseded: PartInfo[] } {
  const bySeq = new Map<number, PartInfo[]>();
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(partsDir)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { live: [], superseded: [] };
    throw e;
  }
  for (const e of entries) {
    const p = e.isFile ? parsePartName(e.name) : undefined;
    if (!p) continue;
    const list = bySeq.get(p.seq) ?? [];
    list.push(p);
    bySeq.set(p.seq, list);
  }
  const live: PartInfo[] = [];
  const superseded: PartInfo[] = [];
  for (const seq of [...bySeq.keys()].sort((a, b) => a - b)) {
    const list = bySeq.get(seq)!.sort((a, b) => a.rows - b.rows);
    live.push(list[0]);
    superseded.push(...list.slice(1));
  }
  return { live, superseded };
}

/**
 * Read and decode one part, checking its row count against its name.
 *
 * @param partsDir the parts directory.
 * @param part the part to read.
 */
export function readPart(partsDir: string, part: PartInfo): Table {
  const path = `${partsDir}/${part.name}`;
  let t: Table;
  try {
    t = tableFromIPC(Deno.readFileSync(path));
  } catch (e) {
    throw new Error(`cannot read log part ${path}: ${(e as Error).message}`);
  }
  if (t.numRows !== part.rows) {
    throw new Error(`log part ${path} holds ${t.numRows} rows, its name says ${part.rows}`);
  }
  return t;
}
