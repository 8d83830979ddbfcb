/**
 * Bit-exact conversions between f32 and the 16-bit float formats stored in checkpoints:
 * bfloat16 (f32 bits >> 16) and IEEE half (F16). Widening is exact; narrowing rounds to nearest,
 * ties to even, like PyTorch and numpy.
 *
 * @module
 */

/** Storage dtypes the checkpoint readers and writers support. */
export type DType = "F32" | "BF16" | "F16";

/** Bytes per element of each supported dtype. */
export const DTYPE_SIZE: Readonly<Record<DType, number>> = { F32: 4, BF16: 2, F16: 2 };

/**
 * Widen bfloat16 bit patterns to f32 (exact: f32 bits = bf16 bits << 16).
 *
 * @param src bf16 bit patterns.
 * @returns f32 values.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bf16ToF32 } from "./dtype.ts";
 * assert.deepEqual(bf16ToF32(new Uint16Array([0x3fc0]))[0], 1.5);
 * ```
 */
export function bf16ToF32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) u[i] = src[i] << 16;
  return out;
}

/**
 * Narrow f32 to bfloat16 bit patterns, rounding to nearest even (NaN stays a quiet NaN).
 *
 * @param src f32 values.
 * @returns bf16 bit patterns.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { f32ToBf16 } from "./dtype.ts";
 * assert.deepEqual(f32ToBf16(new Float32Array([1.5]))[0].toString(16), "3fc0");
 * ```
 */
export function f32ToBf16(src: Float32Array): Uint16Array {
  const copy = src.byteOffset % 4 === 0 ? src : src.slice();
  const u = new Uint32Array(copy.buffer, copy.byteOffset, copy.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < u.length; i++) {
    const b = u[i];
    if ((b & 0x7fffffff) > 0x7f800000) {
      out[i] = (b >>> 16) | 0x0040; // quiet NaN, sign kept
    } else {
      out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    }
  }
  return out;
}

let _f16Table: Float32Array | undefined;

function _f16Bits(h: number): number {
  const s = (h & 0x8000) ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * Widen IEEE half-precision bit patterns to f32 (exact).
 *
 * @param src f16 bit patterns.
 * @returns f32 values.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { f16ToF32 } from "./dtype.ts";
 * assert.deepEqual(f16ToF32(new Uint16Array([0x3e00]))[0], 1.5);
 * ```
 */
export function f16ToF32(src: Uint16Array): Float32Array {
  if (!_f16Table) {
    _f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) _f16Table[h] = _f16Bits(h);
  }
  const t = _f16Table;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = t[src[i]];
  return out;
}

/**
 * Narrow one f32 bit pattern to f16 bits, rounding to nearest even (numpy's algorithm):
 * overflow gives ±Inf, tiny values become subnormals or ±0, NaN stays NaN.
 */
function _f32BitsToF16(f: number): number {
  const sgn = (f >>> 16) & 0x8000;
  const fexp = f & 0x7f800000;
  let fsig = f & 0x007fffff;
  if (fexp >= 0x47800000) {
    if (fexp === 0x7f800000 && fsig !== 0) {
      let r = 0x7c00 + (fsig >>> 13);
      if (r === 0x7c00) r++;
      return sgn | r | 0x0200;
    }
    return sgn | 0x7c00;
  }
  if (fexp <= 0x38000000) {
    if (fexp < 0x33000000) return sgn;
    const e = fexp >>> 23;
    fsig = 0x00800000 + fsig;
    const lost = f & 0x7ff;
    fsig >>>= 113 - e;
    if ((fsig & 0x3fff) !== 0x1000 || lost) fsig += 0x1000;
    return sgn + (fsig >>> 13);
  }
  const hexp = (fexp - 0x38000000) >>> 13;
  if ((fsig & 0x3fff) !== 0x1000) fsig += 0x1000;
  return sgn + hexp + (fsig >>> 13);
}

/**
 * Narrow f32 to IEEE half-precision bit patterns, rounding to nearest even.
 *
 * @param src f32 values.
 * @returns f16 bit patterns.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { f32ToF16 } from "./dtype.ts";
 * assert.deepEqual(f32ToF16(new Float32Array([1.5]))[0].toString(16), "3e00");
 * ```
 */
export function f32ToF16(src: Float32Array): Uint16Array {
  const copy = src.byteOffset % 4 === 0 ? src : src.slice();
  const u = new Uint32Array(copy.buffer, copy.byteOffset, copy.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < u.length; i++) out[i] = _f32BitsToF16(u[i]);
  return out;
}

/**
 * Convert stored little-endian bytes of `dtype` to f32.
 *
 * @param bytes raw bytes (length a multiple of the item size).
 * @param dtype storage dtype.
 * @returns a new `Float32Array`.
 */
export function decodeTensorBytes(bytes: Uint8Array, dtype: DType): Float32Array {
  _assertLittleEndian();
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  if (dtype === "F32") {
    return new Float32Array(
      aligned.buffer.slice(aligned.byteOffset, aligned.byteOffset + aligned.byteLength),
    );
  }
  const u16 = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2);
  return dtype === "BF16" ? bf16ToF32(u16) : f16ToF32(u16);
}

/**
 * Encode f32 values as little-endian bytes of `dtype` (BF16/F16 round to nearest even).
 *
 * @param data values.
 * @param dtype storage dtype.
 * @returns the bytes.
 */
export function encodeTensorBytes(data: Float32Array, dtype: DType): Uint8Array {
  _assertLittleEndian();
  if (dtype === "F32") return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const u16 = dtype === "BF16" ? f32ToBf16(data) : f32ToF16(data);
  return new Uint8Array(u16.buffer, u16.byteOffset, u16.byteLength);
}

let _leChecked = false;
function _assertLittleEndian() {
  if (_leChecked) return;
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error("safetensors: big-endian hosts are not supported");
  }
  _leChecked = true;
}
