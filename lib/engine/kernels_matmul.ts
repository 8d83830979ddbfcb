/**
 * BLAS-backed `BatchMatMul` and `_FusedMatMul` kernels for the tfjs wasm backend. Transposes are
 * handed to sgemm (no copies), batch dimensions broadcast, and a batch-free right operand folds
 * the whole left batch into a single GEMM. A fused bias becomes the GEMM's starting output, and a
 * product with only a few rows (a decoding step) goes to sgemm four rows at a time.
 *
 * @module
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs-core";
import type { BlasLib } from "./blas.ts";
import { f32View, sizeOf, type WasmBackendLike } from "./wasm_heap.ts";

interface MatMulArgs {
  inputs: { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: WasmBackendLike;
  attrs: NamedAttrMap;
}

/** Rows per sgemm call when a product has only a few rows (see {@link SKINNY_MAX_ROWS}). */
export const SKINNY_ROWS = 4;
/** Products with at most this many rows (and more than SKINNY_ROWS) may be split into blocks. */
export const SKINNY_MAX_ROWS = 64;
/** Right operands up to this many elements (4 MiB of float32) count as cache-resident. */
export const SKINNY_CACHED_WEIGHTS = 1 << 20;

/**
 * Whether a product of `rows` rows with a `weights`-element right operand goes to sgemm in blocks
 * of {@link SKINNY_ROWS}: only while the weights stay in cache, since every block reads them all.
 * Measured on 2 cores: 8 rows × the 2.5M model's weights (≤ 128k elements each) took 0.55 ms
 * instead of 0.95 ms per decoding step; with a 0.5B model (weights from memory) blocks made
 * batch-8 decoding 1.7× slower and a 32-token prefill 3.5× slower.
 */
export function skinnyRows(rows: number, weights: number): boolean {
  return rows <= SKINNY_MAX_ROWS && weights <= SKINNY_CACHED_WEIGHTS;
}

/** Broadcast two batch shapes (numpy rules); throws naming both shapes on mismatch. */
export function broadcastBatch(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1, db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`matMul: batch dims [${a}] and [${b}] do not broadcast`);
    }
    out.push(Math.max(da, db));
  }
  return out;
}

/** Flat batch index of an operand for each flat output batch index (broadcast-aware). */
function batchIndexMap(opBatch: readonly number[], outBatch: readonly number[]): Int32Array {
  const total = sizeOf(outBatch);
  const map = new Int32Array(total);
  const n = outBatch.length, pad = n - opBatch.length;
  const strides = new Array<number>(n).fill(0);
  let s = 1;
  for (let i = n - 1; i >= pad; i--) {
    const d = opBatch[i - pad];
    strides[i] = d === 1 ? 0 : s;
    s *= d;
  }
  for (let flat = 0; flat < total; flat++) {
    let rem = flat, idx = 0;
    for (let i = n - 1; i >= 0; i--) {
      const c = rem % outBatch[i];
      rem = (rem - c) / outBatch[i];
      idx += c * strides[i];
    }
    map[flat] = idx;
  }
  return map;
}

/**
 * Compute `out = op(a)·op(b)` for rank ≥ 2 float32 tensors with broadcasting batch dims,
 * allocating the output. With `rowBias` (length N), when the product is a single GEMM, the output
 * starts as the bias in every row and sgemm adds the product to it (`beta = 1`); the caller is
 * told through `biasAdded` whether that happened.
 */
export function blasBatchMatMul(
  blas: BlasLib,
  backend: WasmBackendLike,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  rowBias?: TensorInfo,
  biasAdded?: { value: boolean },
): TensorInfo {
  if (a.dtype !== "float32" || b.dtype !== "float32") {
    throw new Error(`BatchMatMul: only float32 is supported, got ${a.dtype} and ${b.dtype}`);
  }
  const ra = a.shape.length, rb = b.shape.length;
  if (ra < 2 || rb < 2) throw new Error(`BatchMatMul: rank < 2 ([${a.shape}], [${b.shape}])`);
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) {
    throw new Error(
      `BatchMatMul: inner dims ${k} and ${kb} differ for [${a.shape}] x [${b.shape}] ` +
        `(transposeA=${transposeA}, transposeB=${transposeB})`,
    );
  }
  const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
  const outBatch = broadcastBatch(batchA, batchB);
  const out = backend.makeOutput([...outBatch, m, n], "float32");
  const total = sizeOf(outBatch), nb = sizeOf(batchB), na = sizeOf(batchA);
  const av = f32View(backend, a), bv = f32View(backend, b), cv = f32View(backend, out);
  if (m === 0 || n === 0 || total === 0) return out;
  if (k === 0) {
    cv.fill(0);
    return out;
  }
  const lda = transposeA ? m : k, ldb = transposeB ? k : n;
  if (nb === 1 && !transposeA && na === total) {
    // [batch·M, K] × [K, N] in one call.
    let beta = 0;
    if (rowBias && sizeOf(rowBias.shape) === n && biasAdded) {
      fillRows(cv, f32View(backend, rowBias));
      beta = 1;
      biasAdded.value = true;
    }
    const rows = total * m;
    if (!transposeB && rows > SKINNY_ROWS && skinnyRows(rows, k * n)) {
      // A few rows (decoding): OpenBLAS's small-matrix path is much faster on ≤ 4 rows than its
      // packed GEMM on 8–64 (measured: 8 rows × the 2.5M model's weights, 1.1 ms as one call,
      // 0.6 ms as two calls of 4), so the rows go in blocks of SKINNY_ROWS while the weights are
      // small enough to stay in cache (each block reads them all).
      for (let r0 = 0; r0 < rows; r0 += SKINNY_ROWS) {
        const r = Math.min(SKINNY_ROWS, rows - r0);
        blas.sgemm(
          false,
          false,
          r,
          n,
          k,
          1,
          av.subarray(r0 * k, (r0 + r) * k),
          lda,
          bv,
          ldb,
          beta,
          cv.subarray(r0 * n, (r0 + r) * n),
          n,
        );
      }
      return out;
    }
    blas.sgemm(false, transposeB, rows, n, k, 1, av, lda, bv, ldb, beta, cv, n);
    return out;
  }
  const ia = batchIndexMap(batchA, outBatch), ib = batchIndexMap(batchB, outBatch);
  const sa = m * k, sb = k * n, sc = m * n;
  for (let i = 0; i < total; i++) {
    blas.sgemm(
      transposeA,
      transposeB,
      m,
      n,
      k,
      1,
      av.subarray(ia[i] * sa, ia[i] * sa + sa),
      lda,
      bv.subarray(ib[i] * sb, ib[i] * sb + sb),
      ldb,
      0,
      cv.subarray(i * sc, i * sc + sc),
      n,
    );
  }
  return out;
}

/** Fill `c` with copies of `row` (c.length a multiple of row.length), doubling the copied span. */
function fillRows(c: Float32Array, row: Float32Array): void {
  c.set(row, 0);
  for (let filled = row.length; filled < c.length;) {
    const len = Math.min(filled, c.length - filled);
    c.copyWithin(filled, 0, len);
    filled += len;
  }
}

/** Add `bias` (broadcast to `shape`) into `c` in place. */
function addBias(c: Float32Array, shape: readonly number[], bias: Float32Array, bShape: number[]) {
  const n = shape[shape.length - 1];
  if (bias.length === 1) {
    const v = bias[0];
    for (let i = 0; i < c.length; i++) c[i] += v;
  } else if (bias.length === n && bShape[bShape.length - 1] === n) {
    for (let r = 0; r < c.length; r += n) for (let j = 0; j < n; j++) c[r + j] += bias[j];
  } else {
    const map = batchIndexMap(bShape, [...shape]);
    for (let i = 0; i < c.length; i++) c[i] += bias[map[i]];
  }
}

/** Apply a fused activation in place (tfjs `_FusedMatMul` semantics). */
function activate(
  c: Float32Array,
  shape: readonly number[],
  activation: string,
  alpha: number,
  prelu: { v: Float32Array; shape: number[] } | null,
): void {
  switch (activation) {
    case "linear":
      return;
    case "relu":
      for (let i = 0; i < c.length; i++) if (c[i] < 0) c[i] = 0;
      return;
    case "relu6":
      for (let i = 0; i < c.length; i++) c[i] = Math.min(6, Math.max(0, c[i]));
      return;
    case "elu":
      for (let i = 0; i < c.length; i++) if (c[i] < 0) c[i] = Math.exp(c[i]) - 1;
      return;
    case "sigmoid":
      for (let i = 0; i < c.length; i++) c[i] = 1 / (1 + Math.exp(-c[i]));
      return;
    case "leakyrelu":
      for (let i = 0; i < c.length; i++) if (c[i] < 0) c[i] *= alpha;
      return;
    case "prelu": {
      if (prelu === null) throw new Error("_FusedMatMul: prelu needs preluActivationWeights");
      const map = batchIndexMap(prelu.shape, [...shape]);
      for (let i = 0; i < c.length; i++) if (c[i] < 0) c[i] *= prelu.v[map[i]];
      return;
    }
    default:
      throw new Error(`_FusedMatMul: unsupported activation "${activation}"`);
  }
}

/** Kernel configs for `BatchMatMul` and `_FusedMatMul` on the wasm backend backed by `blas`. */
export function blasMatMulKernels(blas: BlasLib): KernelConfig[] {
  const batchMatMul = (args: MatMulArgs): TensorInfo => {
    const { a, b } = args.inputs;
    return blasBatchMatMul(
      blas,
      args.backend,
      a,
      b,
      !!args.attrs.transposeA,
      !!args.attrs.transposeB,
    );
  };
  const fused = (args: MatMulArgs): TensorInfo => {
    const { a, b, bias, preluActivationWeights } = args.inputs;
    const backend = args.backend;
    const biasAdded = { value: false };
    const out = blasBatchMatMul(
      blas,
      backend,
      a,
      b,
      !!args.attrs.transposeA,
      !!args.attrs.transposeB,
      bias?.dtype === "float32" ? bias : undefined,
      biasAdded,
    );
    const activation = (args.attrs.activation as string | undefined) ?? "linear";
    if ((bias == null || biasAdded.value) && activation === "linear") return out;
    const c = f32View(backend, out);
    if (bias != null && !biasAdded.value) {
      addBias(c, out.shape, f32View(backend, bias), bias.shape);
    }
    const prelu = preluActivationWeights == null ? null : {
      v: f32View(backend, preluActivationWeights),
      shape: preluActivationWeights.shape,
    };
    activate(c, out.shape, activation, Number(args.attrs.leakyreluAlpha ?? 0.2), prelu);
    return out;
  };
  return [
    {
      kernelName: "BatchMatMul",
      backendName: "wasm",
      kernelFunc: batchMatMul as unknown as KernelFunc,
    },
    { kernelName: "_FusedMatMul", backendName: "wasm", kernelFunc: fused as unknown as KernelFunc },
  ];
}
