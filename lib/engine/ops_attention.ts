/**
 * Causal grouped-query attention as one op with a gradient: a single native kernel pair on the
 * fast backend, WGSL kernels on webgpu (`webgpu_attention.ts`), the composite tfjs expression
 * elsewhere.
 *
 * Layout: q [B, T, NH·D], k and v [B, S, KV·D] (the projections' natural layout, no
 * transposes); query t sits at absolute position S − T + t and sees keys 0..S − T + t, so the
 * same op serves training (S = T) and KV-cache decoding (T new tokens after S − T cached).
 * Query head h reads kv head ⌊h / (NH / KV)⌋. A KV cache with spare capacity passes its whole
 * buffers `[B, capacity, KV·D]` and `keyLength` S: only positions 0..S − 1 are read, so decoding
 * needs no copy of the cache.
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
import { f32View, type WasmBackendLike } from "./wasm_heap.ts";

/** Options of {@link causalAttention}. */
export interface AttentionOptions {
  /** Query heads NH. */
  numHeads: number;
  /** Key/value heads KV (divides NH). */
  numKvHeads: number;
  /** Optional float32 [B, S]: 1 keeps a key, 0 hides it (left padding). */
  keyMask?: tf.Tensor;
  /** Score scale (default 1/√D). */
  scale?: number;
  /**
   * Keys in use S when k and v are buffers with spare capacity `[B, capacity, KV·D]`
   * (default: all of them, `k.shape[1]`). Positions S and later are never read.
   */
  keyLength?: number;
}

interface Dims {
  B: number;
  T: number;
  /** Keys in use. */
  S: number;
  /** Key positions allocated in k and v (≥ S). */
  cap: number;
  NH: number;
  KV: number;
  D: number;
}

function dimsOf(
  q: number[],
  k: number[],
  v: number[],
  nh: number,
  kv: number,
  keyLength?: number,
): Dims {
  if (q.length !== 3 || k.length !== 3 || v.length !== 3) {
    throw new Error(`causalAttention: q [${q}], k [${k}], v [${v}] must be rank 3`);
  }
  if (nh % kv !== 0) {
    throw new Error(`causalAttention: numHeads ${nh} not divisible by numKvHeads ${kv}`);
  }
  const [B, T, qd] = q, [kb, cap, kd] = k;
  const S = keyLength ?? cap;
  if (!Number.isInteger(S) || S > cap) {
    throw new Error(
      `causalAttention: keyLength ${S} must be an integer ≤ the ${cap} key positions`,
    );
  }
  const D = qd / nh;
  if (!Number.isInteger(D) || kd !== kv * D || kb !== B || !tf.util.arraysEqual(k, v) || S < T) {
    throw new Error(
      `causalAttention: shapes q [${q}], k [${k}], v [${v}] (keys in use ${S}) do not fit ${nh} ` +
        `heads / ${kv} kv heads (need q [B,T,NH·D], k = v [B,S,KV·D], S ≥ T)`,
    );
  }
  return { B, T, S, cap, NH: nh, KV: kv, D };
}

/** Composite (pure tfjs) causal GQA attention; same contract as {@link causalAttention}. */
export function causalAttentionComposite(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  opts: AttentionOptions,
): tf.Tensor {
  const { B, T, S, cap, NH, KV, D } = dimsOf(
    q.shape,
    k.shape,
    v.shape,
    opts.numHeads,
    opts.numKvHeads,
    opts.keyLength,
  );
  const rep = NH / KV, scale = opts.scale ?? 1 / Math.sqrt(D);
  return tf.tidy(() => {
    if (S < cap) {
      k = tf.slice(k, [0, 0, 0], [B, S, KV * D]);
      v = tf.slice(v, [0, 0, 0], [B, S, KV * D]);
    }
    const qh = tf.reshape(
      tf.transpose(tf.reshape(q, [B, T, KV, rep, D]), [0, 2, 3, 1, 4]),
      [B, KV, rep * T, D],
    );
    const kh = tf.transpose(tf.reshape(k, [B, S, KV, D]), [0, 2, 1, 3]);
    const vh = tf.transpose(tf.reshape(v, [B, S, KV, D]), [0, 2, 1, 3]);
    const scores = tf.reshape(
      tf.mul(tf.matMul(qh, tf.transpose(kh, [0, 1, 3, 2])), scale),
      [B, KV, rep, T, S],
    );
    const off = S - T;
    const causal = new Float32Array(T * S);
    for (let t = 0; t < T; t++) for (let j = 0; j <= off + t && j < S; j++) causal[t * S + j] = 1;
    let allowed: tf.Tensor = tf.tensor(causal, [T, S]);
    if (opts.keyMask) allowed = tf.mul(allowed, tf.reshape(opts.keyMask, [B, 1, 1, 1, S]));
    const masked = tf.add(scores, tf.mul(tf.sub(allowed, 1), 1e9));
    const p = tf.mul(
      tf.softmax(masked, -1),
      tf.cast(tf.greater(tf.max(allowed, -1, true), 0), "float32"),
    );
    const o = tf.matMul(tf.reshape(p, [B, KV, rep * T, S]), vh);
    return tf.reshape(
      tf.transpose(tf.reshape(o, [B, KV, rep, T, D]), [0, 3, 1, 2, 4]),
      [B, T, NH * D],
    );
  });
}

/**
 * Causal grouped-query attention `softmax(q kᵀ·scale + causal + mask) v` per head.
 * Query rows that see no key give zeros.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "./backend.ts";
 * import { causalAttention } from "./ops_attention.ts";
 * await initBackend("cpu");
 * const [B, T, D] = [1, 3, 2];
 * const q = tf.ones([B, T, 4 * D]), k = tf.ones([B, T, 2 * D]);
 * const v = tf.tensor3d([[[1, 1, 1, 1], [3, 3, 3, 3], [5, 5, 5, 5]]]);
 * const o = causalAttention(q, k, v, { numHeads: 4, numKvHeads: 2 });
 * assert.deepEqual(o.shape, [B, T, 4 * D]);
 * // equal scores: row t averages the values of keys 0 … t
 * assert.deepEqual(Array.from(o.dataSync()).filter((_, i) => i % 8 === 0), [1, 2, 3]);
 * ```
 */
export function causalAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  opts: AttentionOptions,
): tf.Tensor {
  const d = dimsOf(q.shape, k.shape, v.shape, opts.numHeads, opts.numKvHeads, opts.keyLength);
  if (opts.keyMask && !tf.util.arraysEqual(opts.keyMask.shape, [d.B, d.S])) {
    throw new Error(`causalAttention: keyMask [${opts.keyMask.shape}] must be [${d.B}, ${d.S}]`);
  }
  if (!fusedKernelActive("MgAttention")) return causalAttentionComposite(q, k, v, opts);
  const attrs = {
    numHeads: d.NH,
    numKvHeads: d.KV,
    scale: opts.scale ?? 1 / Math.sqrt(d.D),
    hasMask: opts.keyMask ? 1 : 0,
    keyLength: d.S,
  };
  const given = opts.keyMask;
  const mask = given === undefined
    ? tf.zeros([1])
    : given.dtype === "float32"
    ? given
    : tf.cast(given, "float32");
  const out = tf.engine().runKernel("MgAttention", { q, k, v, mask }, attrs) as tf.Tensor;
  if (mask !== given) mask.dispose();
  return out;
}

interface Args {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackendLike;
  attrs: NamedAttrMap;
}

function kernelDims(a: Args): Dims & { scale: number } {
  const d = dimsOf(
    a.inputs.q.shape,
    a.inputs.k.shape,
    a.inputs.v.shape,
    Number(a.attrs.numHeads),
    Number(a.attrs.numKvHeads),
    a.attrs.keyLength === undefined ? undefined : Number(a.attrs.keyLength),
  );
  return { ...d, scale: Number(a.attrs.scale) };
}

/** Native wasm kernels behind {@link causalAttention}. */
export function attentionKernels(native: NativeLib): KernelConfig[] {
  const s = native.symbols;
  const fwd = (a: Args): TensorInfo => {
    const { B, T, S, cap, NH, KV, D, scale } = kernelDims(a);
    const be = a.backend;
    const o = be.makeOutput(a.inputs.q.shape, "float32");
    s.mg_attention_fwd(
      f32View(be, a.inputs.q),
      f32View(be, a.inputs.k),
      f32View(be, a.inputs.v),
      a.attrs.hasMask ? f32View(be, a.inputs.mask) : null,
      B,
      T,
      S,
      cap,
      NH,
      KV,
      D,
      scale,
      f32View(be, o),
    );
    return o;
  };
  const bwd = (a: Args): TensorInfo[] => {
    const { B, T, S, cap, NH, KV, D, scale } = kernelDims(a);
    if (cap !== S) throw new Error("MgAttentionGrad: keys must be sliced to keyLength first");
    const be = a.backend, i = a.inputs;
    const dq = be.makeOutput(i.q.shape, "float32");
    const dk = be.makeOutput(i.k.shape, "float32");
    const dv = be.makeOutput(i.v.shape, "float32");
    s.mg_attention_bwd(
      f32View(be, i.q),
      f32View(be, i.k),
      f32View(be, i.v),
      a.attrs.hasMask ? f32View(be, i.mask) : null,
      f32View(be, i.o),
      f32View(be, i.dy),
      B,
      T,
      S,
      NH,
      KV,
      D,
      scale,
      f32View(be, dq),
      f32View(be, dk),
      f32View(be, dv),
    );
    return [dq, dk, dv];
  };
  return [
    { kernelName: "MgAttention", backendName: "wasm", kernelFunc: fwd as unknown as KernelFunc },
    {
      kernelName: "MgAttentionGrad",
      backendName: "wasm",
      kernelFunc: bwd as unknown as KernelFunc,
    },
  ];
}

/**
 * Gradient config of `MgAttention` (one eager gradient kernel for q, k and v). Keys beyond
 * `keyLength` (spare cache capacity) get zero gradient.
 */
export const attentionGradConfig: GradConfig = {
  kernelName: "MgAttention",
  inputsToSave: ["q", "k", "v", "mask"],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [q, kAll, vAll, mask, o] = saved;
    const [b, cap, w] = kAll.shape;
    const s = attrs.keyLength === undefined ? cap : Number(attrs.keyLength);
    const k = s < cap ? tf.slice(kAll, [0, 0, 0], [b, s, w]) : kAll;
    const v = s < cap ? tf.slice(vAll, [0, 0, 0], [b, s, w]) : vAll;
    const [dq, dk, dv] = tf.engine().runKernel(
      "MgAttentionGrad",
      { q, k, v, mask, o, dy: dy as tf.Tensor },
      attrs as NamedAttrMap,
    ) as tf.Tensor[];
    const pad = (g: tf.Tensor) => s < cap ? tf.pad(g, [[0, 0], [0, cap - s], [0, 0]]) : g;
    return { q: () => dq, k: () => pad(dk), v: () => pad(dv), mask: () => tf.zerosLike(mask) };
  },
};
