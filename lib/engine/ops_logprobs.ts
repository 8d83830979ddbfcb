/**
 * Per-token log-probabilities `log softmax(logits)[target]` with a gradient, fused into one
 * native kernel pair on the fast backend (no [N, V] one-hot or log-softmax tensor is kept).
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
import { f32View, i32View, sizeOf, type WasmBackendLike } from "./wasm_heap.ts";

/** Composite {@link tokenLogprobs}: log-softmax times a one-hot mask. */
export function tokenLogprobsComposite(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  const v = logits.shape[logits.shape.length - 1];
  return tf.tidy(() => {
    const lsm = tf.logSoftmax(logits, -1);
    const oh = tf.cast(tf.oneHot(tf.cast(targets, "int32"), v), "float32");
    return tf.sum(tf.mul(lsm, oh), -1);
  });
}

/**
 * Log-probability of each target under `softmax(logits)` along the last axis.
 *
 * @param logits float32 [..., V].
 * @param targets int32 ids with shape `logits.shape[:-1]`, each in [0, V).
 * @returns float32 with the shape of `targets`.
 */
export function tokenLogprobs(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  if (!tf.util.arraysEqual(logits.shape.slice(0, -1), targets.shape)) {
    throw new Error(
      `tokenLogprobs: targets [${targets.shape}] must match logits [${logits.shape}] minus the last axis`,
    );
  }
  if (!fusedKernelActive("MgLogprobs") || logits.dtype !== "float32") {
    return tokenLogprobsComposite(logits, targets);
  }
  const t = targets.dtype === "int32" ? targets : tf.cast(targets, "int32");
  const out = tf.engine().runKernel("MgLogprobs", { logits, targets: t }, {}) as tf.Tensor;
  if (t !== targets) t.dispose();
  return out;
}

interface Args {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackendLike;
  attrs: NamedAttrMap;
}

function checkTargets(ids: Int32Array, v: number): void {
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] < 0 || ids[i] >= v) {
      throw new Error(`tokenLogprobs: target ${ids[i]} at flat index ${i} is outside [0, ${v})`);
    }
  }
}

/** Native wasm kernels behind {@link tokenLogprobs}. */
export function logprobsKernels(native: NativeLib): KernelConfig[] {
  const s = native.symbols;
  const fwd = ({ inputs: { logits, targets }, backend }: Args): TensorInfo => {
    const v = logits.shape[logits.shape.length - 1], rows = sizeOf(targets.shape);
    const out = backend.makeOutput(targets.shape, "float32");
    const ids = i32View(backend, targets);
    checkTargets(ids, v);
    s.mg_logprobs_fwd(f32View(backend, logits), ids, rows, v, f32View(backend, out));
    return out;
  };
  const bwd = ({ inputs: { logits, targets, dy }, backend }: Args): TensorInfo => {
    const v = logits.shape[logits.shape.length - 1], rows = sizeOf(targets.shape);
    const out = backend.makeOutput(logits.shape, "float32");
    s.mg_logprobs_bwd(
      f32View(backend, logits),
      i32View(backend, targets),
      f32View(backend, dy),
      rows,
      v,
      f32View(backend, out),
    );
    return out;
  };
  return [
    { kernelName: "MgLogprobs", backendName: "wasm", kernelFunc: fwd as unknown as KernelFunc },
    {
      kernelName: "MgLogprobsGrad",
      backendName: "wasm",
      kernelFunc: bwd as unknown as KernelFunc,
    },
  ];
}

/** Gradient config of `MgLogprobs`. */
export const logprobsGradConfig: GradConfig = {
  kernelName: "MgLogprobs",
  inputsToSave: ["logits", "targets"],
  gradFunc: (dy, saved) => {
    const [logits, targets] = saved;
    return {
      logits: () =>
        tf.engine().runKernel(
          "MgLogprobsGrad",
          { logits, targets, dy: dy as tf.Tensor },
          {},
        ) as tf.Tensor,
      targets: () => tf.zerosLike(targets),
    };
  },
};
