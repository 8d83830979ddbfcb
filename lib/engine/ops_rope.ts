/**
 * Rotary position embedding (the `rotate_half` form of Llama/Qwen2) as one op with a gradient:
 * a single native kernel pair on the fast backend, slices and concats elsewhere.
 *
 * Layout: x `[..., M]` with M = heads·D (the projections' natural layout, no reshapes), one row
 * per token; `cos`/`sin` `[rows, D/2]` hold `cos(pos·θ_i)`/`sin(pos·θ_i)` of each row's token.
 * For every head slice, `(a, b) = (x[i], x[i + D/2])` becomes `(a·c − b·s, b·c + a·s)`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type {
  GradConfig,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  TensorInfo,
} from "@tensorflow/tfjs-core";
import { fusedKernelActive } from "./fast_state.ts";
import type { NativeLib } from "./native.ts";
import { f32View, sizeOf, type WasmBackendLike } from "./wasm_heap.ts";

function ropeDims(x: number[], c: number[], s: number[]) {
  if (x.length < 1 || c.length !== 2 || !tf.util.arraysEqual(c, s)) {
    throw new Error(`rope: x [${x}], cos [${c}], sin [${s}]: need cos = sin [rows, D/2]`);
  }
  const m = x[x.length - 1], rows = m === 0 ? 0 : sizeOf(x) / m, half = c[1];
  if (half <= 0 || m % (2 * half) !== 0 || rows !== c[0]) {
    throw new Error(
      `rope: x [${x}] does not fit cos/sin [${c}] (need x [..., heads·D] with ${
        c[0]
      } rows and D = ${2 * half})`,
    );
  }
  return { rows, m, half };
}

/** Composite (pure tfjs) {@link rope}; same contract. */
export function ropeComposite(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  const { rows, m, half } = ropeDims(x.shape, cos.shape, sin.shape);
  return tf.tidy(() => {
    const heads = m / (2 * half);
    const xr = tf.reshape(x, [rows, heads, 2 * half]);
    const a = tf.slice(xr, [0, 0, 0], [rows, heads, half]);
    const b = tf.slice(xr, [0, 0, half], [rows, heads, half]);
    const c = tf.reshape(cos, [rows, 1, half]), s = tf.reshape(sin, [rows, 1, half]);
    const ya = tf.sub(tf.mul(a, c), tf.mul(b, s));
    const yb = tf.add(tf.mul(b, c), tf.mul(a, s));
    return tf.reshape(tf.concat([ya, yb], 2), x.shape);
  });
}

/**
 * Rotate the head slices of `x` by the per-row angles whose cosines and sines are given.
 *
 * @param x float32 `[..., heads·D]` (rows = every axis but the last).
 * @param cos float32 `[rows, D/2]`.
 * @param sin float32 `[rows, D/2]`.
 * @returns the rotated tensor, shaped like `x`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "./backend.ts";
 * import { rope } from "./ops_rope.ts";
 * await initBackend("cpu");
 * // one row, one head of D = 2: a quarter turn maps (1, 0) to (0, 1)
 * const y = rope(tf.tensor2d([[1, 0]]), tf.tensor2d([[0]]), tf.tensor2d([[1]]));
 * assert.deepEqual(Array.from(y.dataSync()), [0, 1]);
 * ```
 */
export function rope(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  ropeDims(x.shape, cos.shape, sin.shape);
  if (!fusedKernelActive("MgRope") || x.dtype !== "float32") {
    return ropeComposite(x, cos, sin);
  }
  return tf.engine().runKernel("MgRope", { x, cos, sin }, { sign: 1 }) as tf.Tensor;
}

interface Args {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackendLike;
  attrs: NamedAttrMap;
}

/** Native wasm kernel behind {@link rope} (its gradient is the same kernel with `sign = −1`). */
export function ropeKernels(native: NativeLib): KernelConfig[] {
  const fwd = ({ inputs: { x, cos, sin }, backend, attrs }: Args): TensorInfo => {
    const { rows, m, half } = ropeDims(x.shape, cos.shape, sin.shape);
    const y = backend.makeOutput(x.shape, "float32");
    native.symbols.mg_rope(
      f32View(backend, x),
      f32View(backend, cos),
      f32View(backend, sin),
      rows,
      m,
      half,
      Number(attrs.sign),
      f32View(backend, y),
    );
    return y;
  };
  return [{ kernelName: "MgRope", backendName: "wasm", kernelFunc: fwd as unknown as KernelFunc }];
}

/** Gradient config of `MgRope`: the inverse rotation of `dy` (tables get no gradient). */
export const ropeGradConfig: GradConfig = {
  kernelName: "MgRope",
  inputsToSave: ["cos", "sin"],
  gradFunc: (dy, saved, attrs) => {
    const [cos, sin] = saved;
    return {
      x: () =>
        tf.engine().runKernel(
          "MgRope",
          { x: dy as tf.Tensor, cos, sin },
          { sign: -Number((attrs as NamedAttrMap).sign) },
        ) as tf.Tensor,
      cos: () => tf.zerosLike(cos),
      sin: () => tf.zerosLike(sin),
    };
  },
};
