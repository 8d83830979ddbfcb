/**
 * The building blocks of the Qwen2 forward pass, in the shapes that run well (and differentiate)
 * on every backend: linear layers are 2-D matmuls over `[B·T, in]` against weights stored
 * `[in, out]`, the embedding lookup has its own gradient (the wasm backend has none for
 * `tf.gather`), and matmul gradients avoid transpose flags unless the engine's BLAS kernels make
 * them free. RMSNorm is the engine's fused op (one native kernel on the fast backend).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { blasKernelsActive } from "../engine/fast_state.ts";
import { rmsNorm as fusedRmsNorm } from "../engine/ops_norm.ts";

/** How an embedding table is laid out: `[V, H]` (rows are tokens) or `[H, V]` (columns). */
export type EmbeddingLayout = "VH" | "HV";

/**
 * Look up embedding vectors, with a gradient that scatters into the table (`tf.scatterND`
 * sums duplicate ids), so it works on backends where `tf.gather` has no gradient.
 *
 * @param table the embedding table, `[V, H]` or `[H, V]` as `layout` says.
 * @param ids int32 token ids `[N]`.
 * @param layout the table's layout; `"HV"` serves a tied LM head without a transpose.
 * @returns `[N, H]` embeddings.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-cpu";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { embedLookup } from "./layers.ts";
 * await tf.setBackend("cpu");
 * const e = embedLookup(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor1d([1], "int32"), "VH");
 * assert.deepEqual(Array.from(e.dataSync()), [3, 4]);
 * ```
 */
export function embedLookup(
  table: tf.Tensor2D,
  ids: tf.Tensor1D,
  layout: EmbeddingLayout,
): tf.Tensor2D {
  const [rows, cols] = table.shape;
  const f = tf.customGrad(
    (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [t, ix, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      save([ix]);
      const value = layout === "VH"
        ? tf.gather(t, ix as tf.Tensor1D, 0)
        : tf.transpose(tf.gather(t, ix as tf.Tensor1D, 1));
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const idx = tf.reshape(saved[0], [-1, 1]);
          const vocab = layout === "VH" ? rows : cols, hidden = layout === "VH" ? cols : rows;
          const g = tf.scatterND(idx, dy, [vocab, hidden]);
          return [layout === "VH" ? g : tf.transpose(g), tf.zerosLike(saved[0])];
        },
      };
    },
  );
  return f(table, ids) as tf.Tensor2D;
}

/**
 * Gather rows of a 2-D tensor (`x[idx]`), with a gradient that scatters back (`tf.scatterND`
 * sums repeated indices), so it differentiates on backends where `tf.gather` has no gradient.
 *
 * @param x `[M, K]`.
 * @param idx row indices in `[0, M)`.
 * @returns `[idx.length, K]`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-cpu";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { gatherRows } from "./layers.ts";
 * await tf.setBackend("cpu");
 * const y = gatherRows(tf.tensor2d([[1, 2], [3, 4]]), [1, 1, 0]);
 * assert.deepEqual(Array.from(y.dataSync()), [3, 4, 3, 4, 1, 2]);
 * ```
 */
export function gatherRows(x: tf.Tensor2D, idx: ArrayLike<number>): tf.Tensor2D {
  const m = x.shape[0];
  for (let i = 0; i < idx.length; i++) {
    if (!(idx[i] >= 0 && idx[i] < m)) {
      throw new Error(`gatherRows: index ${idx[i]} outside [0, ${m})`);
    }
  }
  const ix = tf.tensor1d(Int32Array.from(idx), "int32");
  const y = embedLookup(x, ix, "VH");
  ix.dispose();
  return y;
}

/**
 * RMSNorm without offset: `x · rsqrt(mean(x²) + eps) · w` over the last axis (the engine's fused
 * op: one native kernel on the fast backend, the composite expression elsewhere).
 *
 * @param x `[N, H]`.
 * @param w `[H]` weight.
 * @param eps `rms_norm_eps`.
 * @returns `[N, H]`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-cpu";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { rmsNorm } from "./layers.ts";
 * await tf.setBackend("cpu");
 * const y = rmsNorm(tf.tensor2d([[3, 4]]), tf.tensor1d([1, 2]), 0);
 * assert.deepEqual(Array.from(y.dataSync()).map((v) => v.toFixed(3)), ["0.849", "2.263"]);
 * ```
 */
export function rmsNorm(x: tf.Tensor2D, w: tf.Tensor1D, eps: number): tf.Tensor2D {
  return fusedRmsNorm(x, w, eps) as tf.Tensor2D;
}

/** How {@link matMul} forms its gradients; see {@link setMatMulGradMode}. */
export type MatMulGradMode = "auto" | "explicit-transpose" | "transpose-flags";

let _gradMode: MatMulGradMode = "auto";

/**
 * Choose how {@link matMul} computes its gradients: `"explicit-transpose"` transposes operands
 * with `tf.transpose` and then multiplies without flags — on the stock wasm backend flagged
 * matmuls are about 10× slower; `"transpose-flags"` uses `tf.matMul`'s transpose flags (best for
 * kernels that handle them natively, such as the engine's BLAS kernels); `"auto"` (default) picks
 * `"transpose-flags"` while the engine's BLAS matmul kernels are active and
 * `"explicit-transpose"` otherwise.
 *
 * @param mode the gradient formulation.
 * @returns the previous mode.
 */
export function setMatMulGradMode(mode: MatMulGradMode): MatMulGradMode {
  if (mode !== "auto" && mode !== "explicit-transpose" && mode !== "transpose-flags") {
    throw new Error(`setMatMulGradMode: unknown mode "${mode}"`);
  }
  const prev = _gradMode;
  _gradMode = mode;
  return prev;
}

/** Whether {@link matMul} currently differentiates through transpose flags (see the modes). */
export function matMulUsesFlags(): boolean {
  return _gradMode === "transpose-flags" || (_gradMode === "auto" && blasKernelsActive());
}

function _swapLast(x: tf.Tensor): tf.Tensor {
  const r = x.rank;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm);
}

/**
 * `a @ b` over the last two axes (equal batch axes, no broadcasting), whose gradient avoids
 * transpose flags unless {@link setMatMulGradMode} says otherwise.
 *
 * @param a `[..., M, K]`.
 * @param b `[..., K, N]`.
 * @returns `[..., M, N]`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-cpu";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { matMul } from "./layers.ts";
 * await tf.setBackend("cpu");
 * assert.deepEqual(matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0], 11);
 * ```
 */
export function matMul<T extends tf.Tensor>(a: T, b: tf.Tensor): T {
  if (isFrozen(b) && !isFrozen(a)) return _matMulFrozen(a, b) as T;
  if (matMulUsesFlags()) return tf.matMul(a, b) as T;
  const f = tf.customGrad(
    (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [x, y, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      save([x, y]);
      return {
        value: tf.matMul(x, y),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, ys] = saved;
          return [tf.matMul(dy, _swapLast(ys)), tf.matMul(_swapLast(xs), dy)];
        },
      };
    },
  );
  return f(a, b) as T;
}

/**
 * Whether `t` is a frozen parameter: a `tf.Variable` with `trainable` false (the base weights
 * under LoRA, a reference model). {@link matMul} and {@link linear} compute no gradient for a
 * frozen right operand — tfjs's `customGrad` (and its fused matmul) would otherwise compute
 * every input's gradient, a weight-sized `xᵀ dy` per projection per step that is then dropped.
 *
 * @param t a tensor.
 * @returns true for a non-trainable variable.
 */
export function isFrozen(t: tf.Tensor): boolean {
  return t instanceof tf.Variable && !t.trainable;
}

/** `x @ w` (or `x @ w + bias` fused) with a gradient for x only: `dx = dy wᵀ`. */
function _matMulFrozen(x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor1D): tf.Tensor {
  // Transpose flags where the kernel handles them (BLAS, WebGPU); stock wasm/cpu transpose first.
  const flags = matMulUsesFlags() || tf.getBackend() === "webgpu";
  const f = tf.customGrad(
    (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const xs = args[0] as tf.Tensor;
      const value = bias ? tf.fused.matMul({ a: xs, b: w, bias }) : tf.matMul(xs, w);
      return {
        value,
        gradFunc: (dy: tf.Tensor) =>
          flags ? tf.matMul(dy, w, false, true) : tf.matMul(dy, _swapLast(w)),
      };
    },
  );
  return f(x);
}

/**
 * A linear layer as one 2-D matmul: `x W (+ b)` with W stored `[in, out]`.
 *
 * @param x `[N, in]`.
 * @param w `[in, out]`.
 * @param b optional `[out]` bias.
 * @returns `[N, out]`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-cpu";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { linear } from "./layers.ts";
 * await tf.setBackend("cpu");
 * const y = linear(tf.tensor2d([[1, 2]]), tf.tensor2d([[1], [1]]), tf.tensor1d([0.5]));
 * assert.deepEqual(y.dataSync()[0], 3.5);
 * ```
 */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  // On the BLAS kernels the bias is the GEMM's starting output (one kernel instead of two).
  if (b && blasKernelsActive()) {
    if (isFrozen(w) && isFrozen(b) && !isFrozen(x)) return _matMulFrozen(x, w, b) as tf.Tensor2D;
    return tf.fused.matMul({ a: x, b: w, bias: b }) as tf.Tensor2D;
  }
  const y = matMul(x, w);
  if (!b) return y;
  return tf.tidy(() => tf.add(y, b)) as tf.Tensor2D;
}

/**
 * SiLU (swish): `x · sigmoid(x)`.
 *
 * @param x any tensor.
 * @returns same shape.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-cpu";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { silu } from "./layers.ts";
 * await tf.setBackend("cpu");
 * assert.deepEqual(silu(tf.scalar(0)).dataSync()[0], 0);
 * ```
 */
export function silu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x))) as T;
}

/**
 * Grouped-query attention over a (possibly cached) key/value sequence.
 *
 * Query heads are grouped consecutively: kv head j serves query heads `j·rep … j·rep+rep−1`.
 * Queries must already be rotated and scaled by `1/sqrt(D)`.
 *
 * @param q `[B, T, heads, D]` queries.
 * @param k `[B, kvHeads, S, D]` rotated keys (cache + new).
 * @param v `[B, kvHeads, S, D]` values.
 * @param bias `[B, 1, T, S]` additive mask (0 = attend, large negative = masked).
 * @returns `[B·T, heads·D]` attention output, ready for `o_proj`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-cpu";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { attention } from "./layers.ts";
 * await tf.setBackend("cpu");
 * const v = tf.ones([1, 1, 1, 2]) as tf.Tensor4D;
 * const o = attention(tf.ones([1, 1, 2, 2]) as tf.Tensor4D, v, v, tf.zeros([1, 1, 1, 1]) as tf.Tensor4D);
 * assert.deepEqual(o.shape, [1, 4]);
 * ```
 */
export function attention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  bias: tf.Tensor4D,
): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, t, heads, d] = q.shape;
    const kvHeads = k.shape[1], s = k.shape[2];
    const rep = heads / kvHeads;
    // [B, T, H, D] → [B, H, T, D] → [B, kvH, rep·T, D] (consecutive query heads share a kv head).
    const qg = tf.reshape(tf.transpose(q, [0, 2, 1, 3]), [b, kvHeads, rep * t, d]);
    const kt = tf.transpose(k, [0, 1, 3, 2]);
    const scores = tf.reshape(matMul(qg, kt), [b, heads, t, s]);
    const p = tf.reshape(tf.softmax(tf.add(scores, bias)), [b, kvHeads, rep * t, s]);
    const o = tf.reshape(matMul(p, v), [b, heads, t, d]);
    return tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [b * t, heads * d]) as tf.Tensor2D;
  });
}
