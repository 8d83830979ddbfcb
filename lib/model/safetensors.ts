/**
 * Reading and writing the safetensors format: an 8-byte little-endian header length N, N bytes
 * of JSON (`{name: {dtype, shape, data_offsets}, "__metadata__": {...}}`), then the raw tensor
 * bytes, row-major little-endian, fully covered with no overlaps.
 *
 * Headers are validated completely before any tensor data is read. Tensors are returned as
 * `Float32Array`; BF16 and F16 convert to f32 exactly.
 *
 * @module
 */
import { dirname } from "node:path";
import { decodeTensorBytes, type DType, DTYPE_SIZE, encodeTensorBytes } from "./dtype.ts";

export { decodeTensorBytes, type DType, DTYPE_SIZE, encodeTensorBytes };

/** Where one tensor lives in a safetensors file. */
export interface TensorEntry {
  /** Tensor name as stored (e.g. `model.embed_tokens.weight`). */
  name: string;
  /** Storage dtype. */
  dtype: DType;
  /** Shape, row-major. */
  shape: number[];
  /** Absolute byte offset of the first byte in `file`. */
  begin: number;
  /** Absolute byte offset one past the last byte in `file`. */
  end: number;
  /** Path of the safetensors file. */
  file: string;
}

/** A named f32 tensor to write. */
export interface TensorData {
  /** Shape, row-major. */
  shape: number[];
  /** Values, `prod(shape)` of them. */
  data: Float32Array;
}

/** Parsed header of one safetensors file. */
export interface SafetensorsHeader {
  /** Tensors by name, in header order. */
  entries: Map<string, TensorEntry>;
  /** The `__metadata__` string map (empty when absent). */
  metadata: Record<string, string>;
}

const _KNOWN_UNSUPPORTED = new Set([
  "F64",
  "I64",
  "I32",
  "I16",
  "I8",
  "U64",
  "U32",
  "U16",
  "U8",
  "BOOL",
  "F8_E4M3",
  "F8_E5M2",
  "F8_E8M0",
  "F6_E2M3",
  "F6_E3M2",
  "F4",
  "C64",
]);

/** Header JSON larger than this is rejected before it is allocated. */
const _MAX_HEADER = 100 * 1024 * 1024;

async function _readExact(f: Deno.FsFile, buf: Uint8Array, pos: number, path: string) {
  await f.seek(pos, Deno.SeekMode.Start);
  let off = 0;
  while (off < buf.length) {
    const n = await f.read(buf.subarray(off));
    if (n === null) {
      throw new Error(`${path}: unexpected end of file at byte ${pos + off} (file truncated?)`);
    }
    off += n;
  }
}

async function _open(path: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`${path}: file not found`);
    throw new Error(`${path}: cannot open (${(e as Error).message})`);
  }
}

function _isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * Read and validate the header of a safetensors file without reading tensor data.
 *
 * Checks: the header length fits in the file, the JSON parses, every entry has a supported dtype,
 * an integer shape and `data_offsets` inside the data section, byte sizes equal
 * `prod(shape) * itemsize`, entries do not overlap, and together they cover the data section.
 * Every error names the file, and the tensor where one is at fault.
 *
 * @param path file to read.
 * @returns the entries (absolute offsets) and metadata.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSafetensorsHeader, writeSafetensors } from "./safetensors.ts";
 * const p = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(p, new Map([["w", { shape: [2], data: new Float32Array([1, 2]) }]]));
 * const h = await readSafetensorsHeader(p);
 * assert.deepEqual(h.entries.get("w")?.shape, [2]);
 * ```
 */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const f = await _open(path);
  try {
    const size = (await f.stat()).size;
    if (size < 8) {
      throw new Error(`${path}: file is ${size} bytes, too short for a safetensors header`);
    }
    const lenBuf = new Uint8Array(8);
    await _readExact(f, lenBuf, 0, path);
    const n = new DataView(lenBuf.buffer).getBigUint64(0, true);
    if (n > BigInt(size - 8)) {
      throw new Error(
        `${path}: header length ${n} exceeds the ${
          size - 8
        } bytes after the length field (file truncated or not safetensors)`,
      );
    }
    if (n > BigInt(_MAX_HEADER)) {
      throw new Error(`${path}: header length ${n} exceeds ${_MAX_HEADER} bytes`);
    }
    const hlen = Number(n);
    const hbuf = new Uint8Array(hlen);
    await _readExact(f, hbuf, 8, path);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(hbuf));
    } catch (e) {
      throw new Error(`${path}: header is not valid UTF-8 JSON (${(e as Error).message})`);
    }
    if (!_isObj(json)) throw new Error(`${path}: header JSON is not an object`);
    const dataStart = 8 + hlen;
    const dataLen = size - dataStart;
    const entries = new Map<string, TensorEntry>();
    let metadata: Record<string, string> = {};
    for (const [name, raw] of Object.entries(json)) {
      if (name === "__metadata__") {
        if (!_isObj(raw)) throw new Error(`${path}: __metadata__ is not an object`);
        for (const [k, v] of Object.entries(raw)) {
          if (typeof v !== "string") {
            throw new Error(`${path}: __metadata__.${k} is not a string`);
          }
        }
        metadata = raw as Record<string, string>;
        continue;
      }
      entries.set(name, _parseEntry(path, name, raw, dataStart, dataLen));
    }
    _checkCoverage(path, [...entries.values()], dataStart, dataLen);
    return { entries, metadata };
  } finally {
    f.close();
  }
}

function _parseEntry(
  path: string,
  name: string,
  raw: unknown,
  dataStart: number,
  dataLen: number,
): TensorEntry {
  const at = `${path}: tensor "${name}"`;
  if (!_isObj(raw)) throw new Error(`${at}: header entry is not an object`);
  const dtype = raw.dtype;
  if (typeof dtype !== "string") throw new Error(`${at}: missing dtype`);
  if (!(dtype in DTYPE_SIZE)) {
    const why = _KNOWN_UNSUPPORTED.has(dtype) ? "is not supported" : "is unknown";
    throw new Error(`${at}: dtype ${JSON.stringify(dtype)} ${why} (supported: F32, BF16, F16)`);
  }
  const shape = raw.shape;
  if (
    !Array.isArray(shape) ||
    shape.some((d) => typeof d !== "number" || !Number.isInteger(d) || d < 0)
  ) {
    throw new Error(`${at}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  const offs = raw.data_offsets;
  if (
    !Array.isArray(offs) || offs.length !== 2 ||
    offs.some((d) => typeof d !== "number" || !Number.isSafeInteger(d) || d < 0)
  ) {
    throw new Error(`${at}: data_offsets ${JSON.stringify(offs)} is not [begin, end]`);
  }
  const [b, e] = offs as [number, number];
  if (e < b) throw new Error(`${at}: data_offsets [${b}, ${e}] end before begin`);
  if (e > dataLen) {
    throw new Error(
      `${at}: data_offsets [${b}, ${e}] run past the ${dataLen}-byte data section (file truncated?)`,
    );
  }
  const numel = (shape as number[]).reduce((a, d) => a * d, 1);
  const want = numel * DTYPE_SIZE[dtype as DType];
  if (e - b !== want) {
    throw new Error(
      `${at}: holds ${e - b} bytes but shape ${JSON.stringify(shape)} x ${dtype} needs ${want}`,
    );
  }
  return {
    name,
    dtype: dtype as DType,
    shape: [...(shape as number[])],
    begin: dataStart + b,
    end: dataStart + e,
    file: path,
  };
}

function _checkCoverage(path: string, list: TensorEntry[], dataStart: number, dataLen: number) {
  const sorted = [...list].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = dataStart;
  let prev: TensorEntry | undefined;
  for (const t of sorted) {
    if (t.begin < pos) {
      throw new Error(
        `${path}: tensor "${t.name}" (bytes ${t.begin - dataStart}..${
          t.end - dataStart
        }) overlaps tensor "${prev?.name}"`,
      );
    }
    if (t.begin > pos) {
      throw new Error(
        `${path}: data bytes ${pos - dataStart}..${
          t.begin - dataStart
        } belong to no tensor (gap before tensor "${t.name}")`,
      );
    }
    pos = t.end;
    prev = t;
  }
  if (pos !== dataStart + dataLen) {
    throw new Error(
      `${path}: data bytes ${pos - dataStart}..${dataLen} belong to no tensor (trailing bytes${
        prev ? ` after tensor "${prev.name}"` : ""
      })`,
    );
  }
}

/**
 * Read one tensor's raw stored bytes.
 *
 * @param entry an entry from {@link readSafetensorsHeader}.
 * @returns `entry.end - entry.begin` bytes, in storage dtype, little-endian.
 */
export async function readTensorBytes(entry: TensorEntry): Promise<Uint8Array> {
  const f = await _open(entry.file);
  try {
    const buf = new Uint8Array(entry.end - entry.begin);
    await _readExact(f, buf, entry.begin, `${entry.file} (tensor "${entry.name}")`);
    return buf;
  } finally {
    f.close();
  }
}

/**
 * Read one tensor as f32 (BF16 and F16 are widened exactly).
 *
 * @param entry an entry from {@link readSafetensorsHeader}.
 * @returns the values, row-major.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSafetensorsHeader, readTensor, writeSafetensors } from "./safetensors.ts";
 * const p = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(p, new Map([["w", { shape: [2], data: new Float32Array([1.5, -2]) }]]), {
 *   dtype: "BF16",
 * });
 * const h = await readSafetensorsHeader(p);
 * assert.deepEqual(Array.from(await readTensor(h.entries.get("w")!) as Float32Array), [1.5, -2]);
 * ```
 */
export async function readTensor(entry: TensorEntry): Promise<Float32Array> {
  const bytes = await readTensorBytes(entry);
  return decodeTensorBytes(bytes, entry.dtype);
}

async function _writeAll(f: Deno.FsFile, buf: Uint8Array) {
  let off = 0;
  while (off < buf.length) off += await f.write(buf.subarray(off));
}

/**
 * Write tensors to a safetensors file atomically (a temporary file renamed into place).
 *
 * @param path destination.
 * @param tensors name → {shape, data}; written in map order.
 * @param opts `dtype` of storage (default F32; BF16/F16 round to nearest even) and extra
 *   `metadata` (`format: "pt"` is always set, as transformers requires).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeSafetensors } from "./safetensors.ts";
 * const p = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(p, new Map([["b", { shape: [1, 2], data: new Float32Array([3, 4]) }]]));
 * assert.deepEqual((await Deno.stat(p)).size > 8, true);
 * ```
 */
export async function writeSafetensors(
  path: string,
  tensors: Map<string, TensorData>,
  opts: { dtype?: DType; metadata?: Record<string, string> } = {},
): Promise<void> {
  const dtype = opts.dtype ?? "F32";
  if (!(dtype in DTYPE_SIZE)) throw new Error(`writeSafetensors: unsupported dtype ${dtype}`);
  const header: Record<string, unknown> = {
    __metadata__: { format: "pt", ...(opts.metadata ?? {}) },
  };
  let off = 0;
  for (const [name, t] of tensors) {
    if (name === "__metadata__") {
      throw new Error(`${path}: "__metadata__" is not a valid tensor name`);
    }
    const numel = t.shape.reduce((a, d) => a * d, 1);
    if (t.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new Error(`${path}: tensor "${name}" has invalid shape ${JSON.stringify(t.shape)}`);
    }
    if (numel !== t.data.length) {
      throw new Error(
        `${path}: tensor "${name}" has shape ${
          JSON.stringify(t.shape)
        } (${numel} values) but ${t.data.length} values`,
      );
    }
    const nb = numel * DTYPE_SIZE[dtype];
    header[name] = { dtype, shape: t.shape, data_offsets: [off, off + nb] };
    off += nb;
  }
  let hjson = JSON.stringify(header);
  const enc = new TextEncoder();
  let hbytes = enc.encode(hjson);
  const pad = (8 - (hbytes.length % 8)) % 8;
  if (pad) {
    hjson += " ".repeat(pad);
    hbytes = enc.encode(hjson);
  }
  const lenBuf = new Uint8Array(8);
  new DataView(lenBuf.buffer).setBigUint64(0, BigInt(hbytes.length), true);
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}-${Date.now().toString(36)}`;
  const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
  try {
    await _writeAll(f, lenBuf);
    await _writeAll(f, hbytes);
    for (const t of tensors.values()) {
      // Convert in chunks so a large tensor never needs a second full-size copy.
      const chunk = 1 << 22;
      for (let i = 0; i < t.data.length; i += chunk) {
        await _writeAll(f, encodeTensorBytes(t.data.subarray(i, i + chunk), dtype));
      }
    }
  } catch (e) {
    f.close();
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  f.close();
  await Deno.rename(tmp, path);
}
