/**
 * Rotary position embeddings exactly as in transformers' Qwen2: `inv_freq_i = theta^(-2i/D)`,
 * `emb = concat(freqs, freqs)`, `x' = x·cos + rotate_half(x)·sin` with
 * `rotate_half(x) = concat(-x2, x1)`. The cos/sin tables are built on the CPU for the exact
 * positions of a batch (so left-padded rows and KV-cache continuation get their own positions).
 *
 * The model uses {@link ropeHalfTables} with {@link applyRotary} (the engine's fused RoPE: one
 * native kernel on the fast backend, on the projections' `[N, heads·D]` layout).
 * {@link applyRope} is the matrix formulation (`rotate_half` as a signed permutation matmul).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { rope } from "../engine/ops_rope.ts";
import { matMul } from "./layers.ts";

/** cos/sin tables for a flat list of positions, each `[N, 1, D]` (broadcast over heads). */
export interface RopeTables {
  /** cos(pos · inv_freq), duplicated over both halves. */
  cos: tf.Tensor3D;
  /** sin(pos · inv_freq), duplicated over both halves. */
  sin: tf.Tensor3D;
}

/**
 * The `[D, D]` matrix R with `x R = rotate_half(x) = concat(-x[D/2:], x[:D/2])`.
 *
 * @param headDim even head width D.
 * @returns a float32 `[D, D]` tensor (the caller owns it).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { rotateHalfMatrix } from "./rope.ts";
 * await tf.setBackend("cpu");
 * const r = rotateHalfMatrix(4);
 * assert.deepEqual(Array.from(tf.matMul(tf.tensor2d([[1, 2, 3, 4]]), r).dataSync()), [-3, -4, 1, 2]);
 * ```
 */
export function rotateHalfMatrix(headDim: number): tf.Tensor2D {
  if (headDim % 2 !== 0) throw new Error(`rotateHalfMatrix: head dim ${headDim} must be even`);
  const h = headDim / 2;
  const m = new Float32Array(headDim * headDim);
  for (let j = 0; j < h; j++) {
    m[(j + h) * headDim + j] = -1; // out[j] = -x[j+h]
    m[j * headDim + (j + h)] = 1; // out[j+h] = x[j]
  }
  return tf.tensor2d(m, [headDim, headDim]);
}

/**
 * Compute the RoPE tables for the given positions (float64 angles, rounded to float32).
 *
 * @param positions one position per token (flattened `[B·T]`).
 * @param headDim even head width D.
 * @param theta RoPE base frequency (`rope_theta`).
 * @param scale factor folded into both tables (e.g. `1/sqrt(D)` for queries; default 1).
 * @returns `{cos, sin}`, each `[N, 1, D]` (the caller owns them).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-cpu";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { ropeTables } from "./rope.ts";
 * await tf.setBackend("cpu");
 * const { cos, sin } = ropeTables([0, 1], 4, 10000);
 * assert.deepEqual([cos.shape, sin.dataSync()[0]], [[2, 1, 4], 0]);
 * ```
 */
export function ropeTables(
  positions: ArrayLike<number>,
  headDim: number,
  theta: number,
  scale = 1,
): RopeTables {
  const n = positions.length, d = headDim, h = d / 2;
  const invFreq = new Float64Array(h);
  for (let i = 0; i < h; i++) invFreq[i] = 1 / Math.pow(theta, (2 * i) / d);
  const cos = new Float32Array(n * d), sin = new Float32Array(n * d);
  for (let t = 0; t < n; t++) {
    const p = positions[t];
    for (let i = 0; i < h; i++) {
      const a = p * invFreq[i];
      const c = Math.cos(a) * scale, s = Math.sin(a) * scale;
      cos[t * d + i] = c;
      cos[t * d + i + h] = c;
      sin[t * d + i] = s;
      sin[t * d + i + h] = s;
    }
  }
  return { cos: tf.tensor3d(cos, [n, 1, d]), sin: tf.tensor3d(sin, [n, 1, d]) };
}

/**
 * Apply RoPE to `x` of shape `[N, heads, D]`: `x·cos + (x R)·sin`.
 *
 * @param x queries or keys, `[N, heads, D]`.
 * @param tables from {@link ropeTables} for the same N tokens.
 * @param rot the matrix from {@link rotateHalfMatrix}.
 * @returns the rotated tensor, same shape as `x`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-cpu";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { applyRope, ropeTables, rotateHalfMatrix } from "./rope.ts";
 * await tf.setBackend("cpu");
 * const x = tf.ones([1, 1, 4]) as tf.Tensor3D;
 * const y = applyRope(x, ropeTables([0], 4, 10000), rotateHalfMatrix(4));
 * assert.deepEqual(Array.from(y.dataSync()), [1, 1, 1, 1]); // position 0 is the identity
 * ```
 */
export function applyRope(x: tf.Tensor3D, tables: RopeTables, rot: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, heads, d] = x.shape;
    const rotated = tf.reshape(matMul(tf.reshape(x, [n * heads, d]), rot), [n, heads, d]);
    return tf.add(tf.mul(x, tables.cos), tf.mul(rotated, tables.sin)) as tf.Tensor3D;
  });
}

/** Half-width cos/sin tables, each `[N, D/2]` (the layout of the engine's fused RoPE). */
export interface RopeHalfTables {
  /** `cos(pos · inv_freq_i)` for i < D/2. */
  cos: tf.Tensor2D;
  /** `sin(pos · inv_freq_i)` for i < D/2. */
  sin: tf.Tensor2D;
}

/**
 * Compute half-width RoPE tables for the given positions (float64 angles, rounded to float32),
 * the same values as {@link ropeTables} without the duplicated second half.
 *
 * @param positions one position per token (flattened `[B·T]`).
 * @param headDim even head width D.
 * @param theta RoPE base frequency (`rope_theta`).
 * @returns `{cos, sin}`, each `[N, D/2]` (the caller owns them).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-cpu";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { ropeHalfTables } from "./rope.ts";
 * await tf.setBackend("cpu");
 * const { cos } = ropeHalfTables([0, 1], 4, 10000);
 * assert.deepEqual([cos.shape, cos.dataSync()[0]], [[2, 2], 1]);
 * ```
 */
export function ropeHalfTables(
  positions: ArrayLike<number>,
  headDim: number,
  theta: number,
): RopeHalfTables {
  if (headDim % 2 !== 0) throw new Error(`ropeHalfTables: head dim ${headDim} must be even`);
  const n = positions.length, h = headDim / 2;
  const invFreq = new Float64Array(h);
  for (let i = 0; i < h; i++) invFreq[i] = 1 / Math.pow(theta, (2 * i) / headDim);
  const cos = new Float32Array(n * h), sin = new Float32Array(n * h);
  for (let t = 0; t < n; t++) {
    const p = positions[t];
    for (let i = 0; i < h; i++) {
      const a = p * invFreq[i];
      cos[t * h + i] = Math.cos(a);
      sin[t * h + i] = Math.sin(a);
    }
  }
  return { cos: tf.tensor2d(cos, [n, h]), sin: tf.tensor2d(sin, [n, h]) };
}

/**
 * Apply RoPE to every head of `x` `[N, heads·D]` (one row per token) with the engine's fused op.
 *
 * @param x queries or keys in the projection layout, `[N, heads·D]`.
 * @param tables from {@link ropeHalfTables} for the same N tokens.
 * @returns the rotated tensor, `[N, heads·D]`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-cpu";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { applyRotary, ropeHalfTables } from "./rope.ts";
 * await tf.setBackend("cpu");
 * const y = applyRotary(tf.ones([1, 8]) as tf.Tensor2D, ropeHalfTables([0], 4, 10000));
 * assert.ok(Array.from(y.dataSync()).every((x) => x === 1)); // position 0 is the identity
 * ```
 */
export function applyRotary(x: tf.Tensor2D, tables: RopeHalfTables): tf.Tensor2D {
  return rope(x, tables.cos, tables.sin) as tf.Tensor2D;
}
