/**
 * Fused RMSNorm and SwiGLU with gradients. On the fast backend they run as single native
 * kernels; elsewhere they are the composite tfjs expressions (identical maths).
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

interface Args {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackendLike;
  attrs: NamedAttrMap;
}

const kernel = (name: string, f: (a: Args) => TensorInfo | TensorInfo[]): KernelConfig => ({
  kernelName: name,
  backendName: "wasm",
  kernelFunc: f as unknown as KernelFunc,
});

/** Composite RMSNorm: `x * rsqrt(mean(x², -1) + eps) * weight`. */
export function rmsNormComposite(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const ms = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), weight);
  });
}

/**
 * RMSNorm over the last axis: `x * rsqrt(mean(x², -1) + eps) * weight` (no `1 + w` offset).
 *
 * @param x float32 tensor [..., H].
 * @param weight float32 [H].
 * @param eps variance epsilon (Qwen2: `rms_norm_eps`).
 */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  const h = x.shape[x.shape.length - 1];
  if (weight.shape.length !== 1 || weight.shape[0] !== h) {
    throw new Error(`rmsNorm: weight shape [${weight.shape}] does not match x [${x.shape}]`);
  }
  if (!fusedKernelActive("MgRmsNorm") || x.dtype !== "float32") {
    return rmsNormComposite(x, weight, eps);
  }
  return tf.engine().runKernel("MgRmsNorm", { x, weight }, { eps }) as tf.Tensor;
}

/** Composite SwiGLU: `silu(gate) * up`. */
export function swigluComposite(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(gate, tf.sigmoid(gate)), up));
}

/**
 * SwiGLU activation `silu(gate) * up` (same shapes).
 *
 * @param gate float32 tensor.
 * @param up float32 tensor of the same shape.
 */
export function swiglu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  if (!tf.util.arraysEqual(gate.shape, up.shape)) {
    throw new Error(`swiglu: gate [${gate.shape}] and up [${up.shape}] differ in shape`);
  }
  if (!fusedKernelActive("MgSwiGlu") || gate.dtype !== "float32") {
    return swigluComposite(gate, up);
  }
  return tf.engine().runKernel("MgSwiGlu", { gate, up }, {}) as tf.Tensor;
}

/** Native wasm kernels behind {@link rmsNorm} and {@link swiglu}. */
export function normKernels(native: NativeLib): KernelConfig[] {
  const s = native.symbols;
  return [
    kernel("MgRmsNorm", ({ inputs: { x, weight }, backend, attrs }) => {
      const h = x.shape[x.shape.length - 1], rows = sizeOf(x.shape) / h;
      const y = backend.makeOutput(x.shape, "float32");
      s.mg_rmsnorm_fwd(
        f32View(backend, x),
        f32View(backend, weight),
        rows,
        h,
        Number(attrs.eps),
        f32View(backend, y),
      );
      return y;
    }),
    kernel("MgRmsNormGrad", ({ inputs: { dy, x, weight }, backend, attrs }) => {
      const h = x.shape[x.shape.length - 1], rows = sizeOf(x.shape) / h;
      const dx = backend.makeOutput(x.shape, "float32");
      const dw = backend.makeOutput([h], "float32");
      s.mg_rmsnorm_bwd(
        f32View(backend, dy),
        f32View(backend, x),
        f32View(backend, weight),
        rows,
        h,
        Number(attrs.eps),
        f32View(backend, dx),
        f32View(backend, dw),
      );
      return [dx, dw];
    }),
    kernel("MgSwiGlu", ({ inputs: { gate, up }, backend }) => {
      const y = backend.makeOutput(gate.shape, "float32");
      s.mg_swiglu_fwd(
        f32View(backend, gate),
        f32View(backend, up),
        sizeOf(gate.shape),
        f32View(backend, y),
      );
      return y;
    }),
    kernel("MgSwiGluGrad", ({ inputs: { dy, gate, up }, backend }) => {
      const dg = backend.makeOutput(gate.shape, "float32");
      const du = backend.makeOutput(gate.shape, "float32");
      s.mg_swiglu_bwd(
        f32View(backend, dy),
        f32View(backend, gate),
        f32View(backend, up),
        sizeOf(gate.shape),
        f32View(backend, dg),
        f32View(backend, du),
      );
      return [dg, du];
    }),
  ];
}

/**
 * Gradient configs of the fused norm kernels (backend-independent registry entries). The
 * gradient kernel runs once, eagerly, for all inputs: the tape calls each input's thunk inside
 * its own tidy, which would otherwise dispose the sibling gradients.
 */
export const normGradConfigs: GradConfig[] = [
  {
    kernelName: "MgRmsNorm",
    inputsToSave: ["x", "weight"],
    gradFunc: (dy, saved, attrs) => {
      const [x, weight] = saved;
      const [dx, dw] = tf.engine().runKernel(
        "MgRmsNormGrad",
        { dy: dy as tf.Tensor, x, weight },
        attrs as NamedAttrMap,
      ) as tf.Tensor[];
      return { x: () => dx, weight: () => dw };
    },
  },
  {
    kernelName: "MgSwiGlu",
    inputsToSave: ["gate", "up"],
    gradFunc: (dy, saved) => {
      const [gate, up] = saved;
      const [dg, du] = tf.engine().runKernel(
        "MgSwiGluGrad",
        { dy: dy as tf.Tensor, gate, up },
        {},
      ) as tf.Tensor[];
      return { gate: () => dg, up: () => du };
    },
  },
];
