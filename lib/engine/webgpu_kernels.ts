/**
 * The fused ops' kernels on the `webgpu` backend, written in WGSL: RMSNorm, SwiGLU, RoPE and
 * token log-probabilities, each with its gradient (and, registered from their own modules, causal
 * attention, `webgpu_attention.ts`, and next-token sampling, `webgpu_sampling.ts`). Without them every op is a chain of stock tfjs kernels — RMSNorm alone is six dispatches and five intermediate tensors forward, more
 * backward; the composite log-probability builds a `[rows, V]` one-hot (620 MB for 1,024 rows of
 * Qwen2.5's 151,936 tokens). Here each forward op is one dispatch, and no one-hot is made.
 *
 * The kernels carry the names of the fast backend's native ones (`MgRmsNorm`, `MgRmsNormGrad`,
 * `MgSwiGlu`, `MgSwiGluGrad`, `MgRope`, `MgLogprobs`, `MgLogprobsGrad`), so the ops in
 * `ops_norm.ts`, `ops_rope.ts` and `ops_logprobs.ts` and their gradient configs run them
 * unchanged: {@link fusedKernelActive} sends an op to its kernel when the active backend has it.
 * `MSGRPO_WEBGPU_FUSED=0` leaves them all unregistered (the composite ops run instead, and
 * generation samples on the CPU), for A/B measurements.
 *
 * Precision: float32 throughout; row reductions are tree sums in workgroup memory, so results
 * differ from the CPU's sequential sums by float rounding only (tests compare within 1e-4).
 * A target id outside `[0, V)` gives a NaN log-probability here (the GPU cannot throw; the
 * fast backend's kernel throws instead).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import {
  flatProgram,
  float,
  type GpuBackend,
  type GpuKernelArgs as Args,
  type GpuProgram,
  int,
  ROW_WG,
  rowProgram,
  runRows,
  sizeOf,
  TREE_MAX,
  TREE_SUM,
} from "./webgpu_program.ts";
import { attentionWebGpuKernels } from "./webgpu_attention.ts";
import { sampleRowsKernel } from "./webgpu_sampling.ts";

/** `1 / sqrt(mean(x², row) + eps)` per row of `x` [rows, h]: output [rows]. */
function rmsInverse(backend: GpuBackend, x: TensorInfo, h: number, eps: number): TensorInfo {
  const rows = sizeOf(x.shape) / h;
  const program = rowProgram(
    "rms_inverse",
    ["x"],
    [rows],
    rows,
    `
    var s = 0.0;
    for (var j = tid; j < uniforms.h; j = j + ${ROW_WG}) {
      let v = x[row * uniforms.h + j];
      s = s + v * v;
    }
    partial[tid] = s;
    ${TREE_SUM}
    if (tid == 0) { result[row] = inverseSqrt(partial[0] / f32(uniforms.h) + uniforms.eps); }`,
    "h : i32, eps : f32,",
  );
  return runRows(backend, program, [x], [int(h), float(eps)]);
}

function rmsNormFwd({ inputs: { x, weight }, backend, attrs }: Args): TensorInfo {
  const h = x.shape[x.shape.length - 1], rows = sizeOf(x.shape) / h;
  const program = rowProgram(
    "rmsnorm_fwd",
    ["x", "w"],
    x.shape,
    rows,
    `
    let base = row * uniforms.h;
    var s = 0.0;
    for (var j = tid; j < uniforms.h; j = j + ${ROW_WG}) { let v = x[base + j]; s = s + v * v; }
    partial[tid] = s;
    ${TREE_SUM}
    let r = inverseSqrt(partial[0] / f32(uniforms.h) + uniforms.eps);
    for (var j = tid; j < uniforms.h; j = j + ${ROW_WG}) {
      result[base + j] = x[base + j] * r * w[j];
    }`,
    "h : i32, eps : f32,",
  );
  return runRows(backend, program, [x, weight], [
    int(h),
    float(Number(attrs.eps)),
  ]);
}

/**
 * With `r` = 1/rms of the row: `dx_j = r·dy_j·w_j − x_j·r³·(Σ_k dy_k·w_k·x_k)/h` and
 * `dw_j = Σ_rows dy_j·x_j·r` (three dispatches: r, dx, dw).
 */
function rmsNormBwd({ inputs: { dy, x, weight }, backend, attrs }: Args): TensorInfo[] {
  const h = x.shape[x.shape.length - 1], rows = sizeOf(x.shape) / h;
  const r = rmsInverse(backend, x, h, Number(attrs.eps));
  const dxProgram = rowProgram(
    "rmsnorm_dx",
    ["dy", "x", "w", "r"],
    x.shape,
    rows,
    `
    let base = row * uniforms.h;
    var s = 0.0;
    for (var j = tid; j < uniforms.h; j = j + ${ROW_WG}) {
      s = s + dy[base + j] * w[j] * x[base + j];
    }
    partial[tid] = s;
    ${TREE_SUM}
    let ri = r[row];
    let c = ri * ri * ri * partial[0] / f32(uniforms.h);
    for (var j = tid; j < uniforms.h; j = j + ${ROW_WG}) {
      result[base + j] = ri * dy[base + j] * w[j] - x[base + j] * c;
    }`,
    "h : i32,",
  );
  const dx = runRows(backend, dxProgram, [dy, x, weight, r], [int(h)]);
  const dwProgram = flatProgram(
    "rmsnorm_dw",
    ["dy", "x", "r"],
    [h],
    `
    var s = 0.0;
    for (var row = 0; row < uniforms.rows; row = row + 1) {
      let i = row * uniforms.size + index;
      s = s + dy[i] * x[i] * r[row];
    }
    result[index] = s;`,
    "rows : i32,",
  );
  const dw = backend.runWebGPUProgram(dwProgram, [dy, x, r], "float32", [int(rows)]);
  backend.disposeData(r.dataId);
  return [dx, dw];
}

const SIGMOID = "fn sigmoidOf(v : f32) -> f32 { return 1.0 / (1.0 + exp(-v)); }";

function withHelper(program: GpuProgram, helper: string): GpuProgram {
  const code = program.getUserCode();
  return { ...program, getUserCode: () => `${helper}\n${code}` };
}

function swigluFwd({ inputs: { gate, up }, backend }: Args): TensorInfo {
  const program = withHelper(
    flatProgram(
      "swiglu_fwd",
      ["g", "u"],
      gate.shape,
      "let v = g[index]; result[index] = v * sigmoidOf(v) * u[index];",
    ),
    SIGMOID,
  );
  return backend.runWebGPUProgram(program, [gate, up], "float32");
}

/** `dg = dy·u·σ(g)·(1 + g·(1 − σ(g)))`, `du = dy·g·σ(g)`. */
function swigluBwd({ inputs: { dy, gate, up }, backend }: Args): TensorInfo[] {
  const dgProgram = withHelper(
    flatProgram(
      "swiglu_dg",
      ["dy", "g", "u"],
      gate.shape,
      `let v = g[index]; let s = sigmoidOf(v);
       result[index] = dy[index] * u[index] * s * (1.0 + v * (1.0 - s));`,
    ),
    SIGMOID,
  );
  const duProgram = withHelper(
    flatProgram(
      "swiglu_du",
      ["dy", "g"],
      gate.shape,
      "let v = g[index]; result[index] = dy[index] * v * sigmoidOf(v);",
    ),
    SIGMOID,
  );
  return [
    backend.runWebGPUProgram(dgProgram, [dy, gate, up], "float32"),
    backend.runWebGPUProgram(duProgram, [dy, gate], "float32"),
  ];
}

/** Rotate each `(a, b) = (x[i], x[i + D/2])` pair by the row's angle, `sign` = ±1. */
function ropeFwd({ inputs: { x, cos, sin }, backend, attrs }: Args): TensorInfo {
  const m = x.shape[x.shape.length - 1], half = cos.shape[1];
  const program = flatProgram(
    "rope",
    ["x", "cosT", "sinT"],
    x.shape,
    `
    let row = index / uniforms.m;
    let d = (index % uniforms.m) % (2 * uniforms.half);
    let k = row * uniforms.half + d % uniforms.half;
    let c = cosT[k];
    let s = uniforms.sign * sinT[k];
    if (d < uniforms.half) {
      result[index] = x[index] * c - x[index + uniforms.half] * s;
    } else {
      result[index] = x[index] * c + x[index - uniforms.half] * s;
    }`,
    "m : i32, half : i32, sign : f32,",
  );
  return backend.runWebGPUProgram(program, [x, cos, sin], "float32", [
    int(m),
    int(half),
    float(Number(attrs.sign)),
  ]);
}

/** Per row of `logits` [rows, v]: max and log Σ exp(· − max), as `lse` [rows]. */
function logSumExp(backend: GpuBackend, logits: TensorInfo, v: number): TensorInfo {
  const rows = sizeOf(logits.shape) / v;
  const program = rowProgram(
    "logsumexp",
    ["logits"],
    [rows],
    rows,
    `
    let base = row * uniforms.v;
    var m = -3.402823e+38;
    for (var j = tid; j < uniforms.v; j = j + ${ROW_WG}) { m = max(m, logits[base + j]); }
    partial[tid] = m;
    ${TREE_MAX}
    let rowMax = partial[0];
    workgroupBarrier();
    var s = 0.0;
    for (var j = tid; j < uniforms.v; j = j + ${ROW_WG}) { s = s + exp(logits[base + j] - rowMax); }
    partial[tid] = s;
    ${TREE_SUM}
    if (tid == 0) { result[row] = rowMax + log(partial[0]); }`,
    "v : i32,",
  );
  return runRows(backend, program, [logits], [int(v)]);
}

function logprobsFwd({ inputs: { logits, targets }, backend }: Args): TensorInfo {
  const v = logits.shape[logits.shape.length - 1];
  const lse = logSumExp(backend, logits, v);
  const program = flatProgram(
    "logprobs_pick",
    ["logits", "t", "lse"],
    targets.shape,
    `
    let id = t[index];
    if (id < 0 || id >= uniforms.v) {
      result[index] = uniforms.NAN;
    } else {
      result[index] = logits[index * uniforms.v + id] - lse[index];
    }`,
    "v : i32,",
  );
  const out = backend.runWebGPUProgram(program, [logits, targets, lse], "float32", [int(v)]);
  backend.disposeData(lse.dataId);
  return out;
}

/** `d logits[r, j] = dy[r]·([j = t_r] − softmax(logits[r])_j)`. */
function logprobsBwd({ inputs: { logits, targets, dy }, backend }: Args): TensorInfo {
  const v = logits.shape[logits.shape.length - 1];
  const lse = logSumExp(backend, logits, v);
  const program = flatProgram(
    "logprobs_grad",
    ["logits", "t", "dy", "lse"],
    logits.shape,
    `
    let row = index / uniforms.v;
    let onehot = select(0.0, 1.0, t[row] == index % uniforms.v);
    result[index] = dy[row] * (onehot - exp(logits[index] - lse[row]));`,
    "v : i32,",
  );
  const out = backend.runWebGPUProgram(program, [logits, targets, dy, lse], "float32", [int(v)]);
  backend.disposeData(lse.dataId);
  return out;
}

/**
 * AdamW in three dispatches (new first moment, second moment, parameter) instead of tfjs's
 * fourteen; `adamw.ts` assigns the three outputs. Attributes as `adamwUpdate`'s, with the bias
 * corrections `bc1`, `bc2` of the step.
 */
function adamwStep({ inputs: { param, grad, m, v }, backend, attrs }: Args): TensorInfo[] {
  const a = (k: string) => float(Number(attrs[k]));
  const m1 = backend.runWebGPUProgram(
    flatProgram(
      "adamw_m",
      ["m", "g"],
      m.shape,
      "result[index] = uniforms.b1 * m[index] + (1.0 - uniforms.b1) * g[index];",
      "b1 : f32,",
    ),
    [m, grad],
    "float32",
    [a("beta1")],
  );
  const v1 = backend.runWebGPUProgram(
    flatProgram(
      "adamw_v",
      ["v", "g"],
      v.shape,
      "let x = g[index]; result[index] = uniforms.b2 * v[index] + (1.0 - uniforms.b2) * x * x;",
      "b2 : f32,",
    ),
    [v, grad],
    "float32",
    [a("beta2")],
  );
  const p1 = backend.runWebGPUProgram(
    flatProgram(
      "adamw_p",
      ["p", "m1", "v1"],
      param.shape,
      `let denom = sqrt(v1[index]) / sqrt(uniforms.bc2) + uniforms.eps;
       result[index] = p[index] * (1.0 - uniforms.lr * uniforms.wd) -
         uniforms.lr / uniforms.bc1 * m1[index] / denom;`,
      "lr : f32, wd : f32, eps : f32, bc1 : f32, bc2 : f32,",
    ),
    [param, m1, v1],
    "float32",
    [a("lr"), a("weightDecay"), a("eps"), a("bc1"), a("bc2")],
  );
  return [p1, m1, v1];
}

/** The kernel configs this module registers on the `webgpu` backend. */
export function webGpuFusedKernels(): KernelConfig[] {
  const k = (kernelName: string, f: (a: Args) => TensorInfo | TensorInfo[]): KernelConfig => ({
    kernelName,
    backendName: "webgpu",
    kernelFunc: f as unknown as KernelFunc,
  });
  return [
    k("MgRmsNorm", rmsNormFwd),
    k("MgRmsNormGrad", rmsNormBwd),
    k("MgSwiGlu", swigluFwd),
    k("MgSwiGluGrad", swigluBwd),
    k("MgRope", ropeFwd),
    k("MgLogprobs", logprobsFwd),
    k("MgLogprobsGrad", logprobsBwd),
    k("MgAdamW", adamwStep),
    ...attentionWebGpuKernels,
    sampleRowsKernel,
  ];
}

/**
 * Register the WGSL kernels on the `webgpu` backend (idempotent), unless `MSGRPO_WEBGPU_FUSED`
 * is `0`.
 *
 * @returns the names registered (empty when switched off).
 */
export function registerWebGpuFusedKernels(): string[] {
  let off = false;
  try {
    off = Deno.env.get("MSGRPO_WEBGPU_FUSED") === "0";
  } catch { /* no env permission: on */ }
  if (off) return [];
  const configs = webGpuFusedKernels();
  for (const c of configs) {
    if (!tf.getKernel(c.kernelName, "webgpu")) tf.registerKernel(c);
  }
  return configs.map((c) => c.kernelName);
}
