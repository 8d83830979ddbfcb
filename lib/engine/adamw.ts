/**
 * One AdamW update (decoupled weight decay, as `torch.optim.AdamW`). On the fast backend the
 * update is a single native pass that rewrites parameter and moments in place on the wasm heap;
 * on webgpu three WGSL kernels (`webgpu_kernels.ts`) whose outputs are assigned; elsewhere it is
 * the composite tfjs update with `assign`. A parameter whose buffer is shared
 * with another tensor first gets a private copy, so other tensors never change.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { nativeKernelsActive, webGpuKernelActive } from "./fast_state.ts";
import { f32View, refCountOf, sizeOf, type WasmBackendLike } from "./wasm_heap.ts";

/** AdamW hyper-parameters. */
export interface AdamWHyper {
  /** Learning rate. */
  lr: number;
  /** First-moment decay (default 0.9). */
  beta1?: number;
  /** Second-moment decay (default 0.999). */
  beta2?: number;
  /** Denominator epsilon (default 1e-8). */
  eps?: number;
  /** Decoupled weight decay (default 0). */
  weightDecay?: number;
}

/**
 * Give `variable` a buffer of its own (a copy) so that an in-place update cannot change other
 * tensors sharing its data (copy-free clones, the tensor it was created from).
 */
function ownBuffer(be: WasmBackendLike, variable: tf.Variable): void {
  const out = be.makeOutput(variable.shape, "float32");
  f32View(be, out).set(f32View(be, variable));
  const fresh = tf.engine().makeTensorFromTensorInfo(out);
  variable.assign(fresh);
  fresh.dispose();
}

/**
 * Apply one AdamW step to `param` with gradient `grad`, moments `m`, `v` (same shape, float32),
 * at 1-based `step` (for bias correction). Returns true when the native in-place path ran.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "./backend.ts";
 * import { adamwUpdate } from "./adamw.ts";
 * await initBackend("cpu");
 * const w = tf.variable(tf.tensor1d([1, -1])), g = tf.tensor1d([0.5, -2]);
 * const m = tf.variable(tf.zerosLike(w)), v = tf.variable(tf.zerosLike(w));
 * adamwUpdate(w, g, m, v, 1, { lr: 0.1 });
 * // Adam's first step moves every weight by lr against the sign of its gradient
 * assert.deepEqual(Array.from(w.dataSync(), (x) => +x.toFixed(5)), [0.9, -0.9]);
 * ```
 */
export function adamwUpdate(
  param: tf.Variable,
  grad: tf.Tensor,
  m: tf.Variable,
  v: tf.Variable,
  step: number,
  hp: AdamWHyper,
): boolean {
  const b1 = hp.beta1 ?? 0.9, b2 = hp.beta2 ?? 0.999, eps = hp.eps ?? 1e-8;
  const wd = hp.weightDecay ?? 0, lr = hp.lr;
  for (const [name, t] of [["grad", grad], ["m", m], ["v", v]] as const) {
    if (!tf.util.arraysEqual(t.shape, param.shape)) {
      throw new Error(
        `adamwUpdate: ${name} shape [${t.shape}] differs from param [${param.shape}]`,
      );
    }
  }
  if (!(step >= 1)) throw new Error(`adamwUpdate: step must be ≥ 1, got ${step}`);
  const bc1 = 1 - b1 ** step, bc2 = 1 - b2 ** step;
  const native = nativeKernelsActive();
  if (native !== null && grad.dtype === "float32") {
    const be = tf.backend() as unknown as WasmBackendLike;
    for (const t of [param, m, v]) if (refCountOf(be, t) !== 1) ownBuffer(be, t);
    native.symbols.mg_adamw(
      f32View(be, param),
      f32View(be, grad),
      f32View(be, m),
      f32View(be, v),
      sizeOf(param.shape),
      lr,
      b1,
      b2,
      eps,
      wd,
      bc1,
      bc2,
    );
    return true;
  }
  if (grad.dtype === "float32" && webGpuKernelActive("MgAdamW")) {
    // webgpu: one WGSL kernel per moment and the parameter (webgpu_kernels.ts)
    tf.tidy(() => {
      const [p1, m1, v1] = tf.engine().runKernel("MgAdamW", { param, grad, m, v }, {
        lr,
        beta1: b1,
        beta2: b2,
        eps,
        weightDecay: wd,
        bc1,
        bc2,
      }) as tf.Tensor[];
      m.assign(m1);
      v.assign(v1);
      param.assign(p1);
    });
    return false;
  }
  tf.tidy(() => {
    const m1 = tf.add(tf.mul(m, b1), tf.mul(grad, 1 - b1));
    const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(grad), 1 - b2));
    const denom = tf.add(tf.div(tf.sqrt(v1), Math.sqrt(bc2)), eps);
    const p1 = tf.sub(tf.mul(param, 1 - lr * wd), tf.mul(tf.div(m1, denom), lr / bc1));
    m.assign(m1);
    v.assign(v1);
    param.assign(p1);
  });
  return false;
}
