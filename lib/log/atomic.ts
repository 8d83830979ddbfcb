/**
 * Atomic file writes: write to a temporary file in the same directory, flush it to disk, then
 * rename it over the target, so a reader (or a crash) sees either the old file or the new one,
 * never a half-written one. Used for log parts, consolidated tables, meta files and checkpoints.
 *
 * @module
 */

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /**
   * Flush the data (and the directory entry) to disk before and after the rename (default true).
   * Without it the write is still atomic against a crashing process, not against power loss.
   */
  fsync?: boolean;
  /** Create missing parent directories (default false). */
  mkdir?: boolean;
}

let _counter = 0;

function _split(path: string): { dir: string; base: string } {
  const i = path.lastIndexOf("/");
  return i < 0
    ? { dir: ".", base: path }
    : { dir: path.slice(0, i) || "/", base: path.slice(i + 1) };
}

/** The temporary name used next to `path` (hidden, unique per process and call). */
function _tmpName(path: string): string {
  const { dir, base } = _split(path);
  return `${dir}/.${base}.tmp-${Deno.pid}-${++_counter}`;
}

/** True for the temporary files {@link writeFileAtomic} leaves behind if a process dies. */
export function isAtomicTemp(name: string): boolean {
  return /^\..+\.tmp-\d+-\d+$/.test(name);
}

function _syncDir(dir: string): void {
  try {
    const d = Deno.openSync(dir, { read: true });
    try {
      d.syncSync();
    } finally {
      d.close();
    }
  } catch {
    // some file systems cannot fsync a directory; the rename is still atomic
  }
}

/**
 * Write bytes or text to `path` atomically (temp file + fsync + rename), synchronously.
 *
 * @param path target file.
 * @param data bytes, or text (written as UTF-8).
 * @param opts fsync and mkdir options.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomicSync } from "./atomic.ts";
 * const dir = Deno.makeTempDirSync();
 * writeFileAtomicSync(`${dir}/meta.json`, JSON.stringify({ ok: true }));
 * assert.deepEqual(JSON.parse(Deno.readTextFileSync(`${dir}/meta.json`)), { ok: true });
 * ```
 */
export function writeFileAtomicSync(
  path: string,
  data: Uint8Array | string,
  opts: AtomicWriteOptions = {},
): void {
  const { dir } = _split(path);
  if (opts.mkdir) Deno.mkdirSync(dir, { recursive: true });
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const tmp = _tmpName(path);
  try {
    const f = Deno.openSync(tmp, { write: true, createNew: true });
    try {
      let off = 0;
      while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
      if (opts.fsync !== false) f.syncDataSync();
    } finally {
      f.close();
    }
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* already gone */ }
    throw new Error(`writeFileAtomic ${path}: ${(e as Error).message}`);
  }
  if (opts.fsync !== false) _syncDir(dir);
}

/**
 * Write bytes or text to `path` atomically (temp file + fsync + rename).
 *
 * @param path target file.
 * @param data bytes, or text (written as UTF-8).
 * @param opts fsync and mkdir options.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  opts: AtomicWriteOptions = {},
): Promise<void> {
  const { dir } = _split(path);
  if (opts.mkdir) await Deno.mkdir(dir, { recursive: true });
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const tmp = _tmpName(path);
  try {
    const f = await Deno.open(tmp, { write: true, createNew: true });
    try {
      let off = 0;
      while (off < bytes.length) off += await f.write(bytes.subarray(off));
      if (opts.fsync !== false) await f.syncData();
    } finally {
      f.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`writeFileAtomic ${path}: ${(e as Error).message}`);
  }
  if (opts.fsync !== false) _syncDir(dir);
}

/**
 * Write a value as pretty JSON (2-space indent, trailing newline) atomically.
 *
 * @param path target file.
 * @param value any JSON-serialisable value.
 * @param opts fsync and mkdir options.
 */
export function writeJsonAtomic(
  path: string,
  value: unknown,
  opts: AtomicWriteOptions = {},
): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n", opts);
}
