/**
 * Causal grouped-query attention on the `webgpu` backend in WGSL: the kernels `MgAttention` and
 * `MgAttentionGrad` of `ops_attention.ts` (same layout and contract), so training and KV-cache
 * decoding run attention in two dispatches forward and five backward instead of tfjs's chain of
 * reshapes, transposes, a tiled matmul pair, the mask arithmetic and a softmax (about fifteen
 * kernels and as many intermediate tensors per layer).
 *
 * Forward: (1) one workgroup per query row `r = (b·T + t)·NH + h` writes the row's attention
 * probabilities `P[r, 0..S)` (scores `scale·q·k_j` for the keys the row may see, a max-subtracted
 * softmax, zeros for hidden keys and for rows that see none); (2) one thread per output element
 * sums `P[r, j]·v[b, j, kv(h), d]` over `j`. Backward recomputes `P`, then
 * `dS = scale·P ∘ (dy·vᵀ − rowsum(dy ∘ o))` per row, and `dq = dS·k`, `dk = dSᵀ·q`,
 * `dv = Pᵀ·dy` summed over the query heads that share a kv head. `P` and `dS` are
 * `[B·T·NH, S]` float32 scratch tensors (4 MB for 8 × 128 tokens and 8 heads).
 *
 * The straightforward loops (no tiling in workgroup memory) suit decode, where T = 1, and the
 * modest S of this project's prompts; a tiled flash-attention kernel is the next step for long
 * sequences.
 *
 * @module
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs-core";
import {
  flatProgram,
  float,
  type GpuBackend,
  type GpuKernelArgs,
  int,
  ROW_WG,
  rowProgram,
  runRows,
  TREE_MAX,
  TREE_SUM,
} from "./webgpu_program.ts";

/** Attention geometry from the kernel's inputs and attributes. */
function dims(inputs: Record<string, TensorInfo>, attrs: NamedAttrMap) {
  const [B, T, qd] = inputs.q.shape, [, cap] = inputs.k.shape;
  const NH = Number(attrs.numHeads), KV = Number(attrs.numKvHeads), D = qd / NH;
  const S = attrs.keyLength === undefined ? cap : Number(attrs.keyLength);
  return { B, T, S, cap, NH, KV, D, scale: Number(attrs.scale), hasMask: Number(attrs.hasMask) };
}
type Dims = ReturnType<typeof dims>;

const UNIFORMS =
  "T : i32, S : i32, cap : i32, NH : i32, KV : i32, D : i32, scale : f32, hasMask : i32,";
const uniformData = (d: Dims) => [
  int(d.T),
  int(d.S),
  int(d.cap),
  int(d.NH),
  int(d.KV),
  int(d.D),
  float(d.scale),
  int(d.hasMask),
];

/** WGSL: `b`, `t`, `h`, `kvh` of query row `r` (layout `[B, T, NH]`). */
const ROW_COORDS = `
    let h = r % uniforms.NH;
    let t = (r / uniforms.NH) % uniforms.T;
    let b = r / (uniforms.NH * uniforms.T);
    let kvh = h / (uniforms.NH / uniforms.KV);`;

/** Scores below this are the "hidden key" sentinel. */
const HIDDEN = "-3.0e38";

/** `P [B·T·NH, S]`: each query row's attention probabilities (keys read with stride `cap`). */
function probabilities(backend: GpuBackend, i: Record<string, TensorInfo>, d: Dims): TensorInfo {
  const rows = d.B * d.T * d.NH;
  const program = rowProgram(
    "attention_probs",
    ["q", "k", "mask"],
    [rows, d.S],
    rows,
    `
    let r = row;
    ${ROW_COORDS}
    let visible = min(uniforms.S, uniforms.S - uniforms.T + t + 1);
    let out = r * uniforms.S;
    var m = -3.4e38;
    for (var j = tid; j < uniforms.S; j = j + ${ROW_WG}) {
      var s = -3.4e38;
      var ok = j < visible;
      if (ok && uniforms.hasMask != 0) { ok = mask[b * uniforms.S + j] != 0.0; }
      if (ok) {
        let kb = ((b * uniforms.cap + j) * uniforms.KV + kvh) * uniforms.D;
        var acc = 0.0;
        for (var e = 0; e < uniforms.D; e = e + 1) { acc = acc + q[r * uniforms.D + e] * k[kb + e]; }
        s = acc * uniforms.scale;
        m = max(m, s);
      }
      result[out + j] = s;
    }
    partial[tid] = m;
    ${TREE_MAX}
    let rowMax = partial[0];
    workgroupBarrier();
    var z = 0.0;
    for (var j = tid; j < uniforms.S; j = j + ${ROW_WG}) {
      let s = result[out + j];
      if (s > ${HIDDEN}) { z = z + exp(s - rowMax); }
    }
    partial[tid] = z;
    ${TREE_SUM}
    let total = partial[0];
    for (var j = tid; j < uniforms.S; j = j + ${ROW_WG}) {
      let s = result[out + j];
      result[out + j] = select(0.0, exp(s - rowMax) / total, s > ${HIDDEN});
    }`,
    UNIFORMS,
  );
  return runRows(backend, program, [i.q, i.k, i.mask], uniformData(d));
}

/** `Σ_j weights[r, j] · x[b, j, kv(h), d]` for every `(r, d)`: output shaped like q. */
function weightedSum(
  backend: GpuBackend,
  key: string,
  weights: TensorInfo,
  x: TensorInfo,
  shape: number[],
  d: Dims,
): TensorInfo {
  const program = flatProgram(
    key,
    ["w", "x"],
    shape,
    `
    let e = index % uniforms.D;
    let r = index / uniforms.D;
    ${ROW_COORDS}
    var acc = 0.0;
    for (var j = 0; j < uniforms.S; j = j + 1) {
      acc = acc + w[r * uniforms.S + j] * x[((b * uniforms.cap + j) * uniforms.KV + kvh) * uniforms.D + e];
    }
    result[index] = acc;`,
    UNIFORMS,
  );
  return backend.runWebGPUProgram(program, [weights, x], "float32", uniformData(d));
}

function attentionFwd({ inputs, backend, attrs }: GpuKernelArgs): TensorInfo {
  const d = dims(inputs, attrs);
  const p = probabilities(backend, inputs, d);
  const o = weightedSum(backend, "attention_out", p, inputs.v, inputs.q.shape, d);
  backend.disposeData(p.dataId);
  return o;
}

/** `Σ_{t, h of kv(j)} a[r, j] · y[r, d]`: output shaped like k (`[B, S, KV·D]`). */
function keySum(
  backend: GpuBackend,
  key: string,
  a: TensorInfo,
  y: TensorInfo,
  shape: number[],
  d: Dims,
): TensorInfo {
  const program = flatProgram(
    key,
    ["a", "y"],
    shape,
    `
    let e = index % uniforms.D;
    let kvh = (index / uniforms.D) % uniforms.KV;
    let j = (index / (uniforms.D * uniforms.KV)) % uniforms.S;
    let b = index / (uniforms.D * uniforms.KV * uniforms.S);
    let rep = uniforms.NH / uniforms.KV;
    var acc = 0.0;
    for (var t = 0; t < uniforms.T; t = t + 1) {
      for (var h = kvh * rep; h < (kvh + 1) * rep; h = h + 1) {
        let r = (b * uniforms.T + t) * uniforms.NH + h;
        acc = acc + a[r * uniforms.S + j] * y[r * uniforms.D + e];
      }
    }
    result[index] = acc;`,
    UNIFORMS,
  );
  return backend.runWebGPUProgram(program, [a, y], "float32", uniformData(d));
}

function attentionBwd({ inputs, backend, attrs }: GpuKernelArgs): TensorInfo[] {
  const d = dims(inputs, attrs);
  if (d.cap !== d.S) throw new Error("MgAttentionGrad: keys must be sliced to keyLength first");
  const p = probabilities(backend, inputs, d);
  const rows = d.B * d.T * d.NH;
  const dsProgram = rowProgram(
    "attention_ds",
    ["p", "v", "o", "dy"],
    [rows, d.S],
    rows,
    `
    let r = row;
    ${ROW_COORDS}
    var s = 0.0;
    for (var e = tid; e < uniforms.D; e = e + ${ROW_WG}) {
      s = s + dy[r * uniforms.D + e] * o[r * uniforms.D + e];
    }
    partial[tid] = s;
    ${TREE_SUM}
    let rowDot = partial[0];
    for (var j = tid; j < uniforms.S; j = j + ${ROW_WG}) {
      let pj = p[r * uniforms.S + j];
      var ds = 0.0;
      if (pj != 0.0) {
        let vb = ((b * uniforms.S + j) * uniforms.KV + kvh) * uniforms.D;
        var dp = 0.0;
        for (var e = 0; e < uniforms.D; e = e + 1) { dp = dp + dy[r * uniforms.D + e] * v[vb + e]; }
        ds = pj * (dp - rowDot) * uniforms.scale;
      }
      result[r * uniforms.S + j] = ds;
    }`,
    UNIFORMS,
  );
  const ds = runRows(backend, dsProgram, [p, inputs.v, inputs.o, inputs.dy], uniformData(d));
  const dq = weightedSum(backend, "attention_dq", ds, inputs.k, inputs.q.shape, d);
  const dk = keySum(backend, "attention_dk", ds, inputs.q, inputs.k.shape, d);
  const dv = keySum(backend, "attention_dv", p, inputs.dy, inputs.v.shape, d);
  backend.disposeData(p.dataId);
  backend.disposeData(ds.dataId);
  return [dq, dk, dv];
}

/** The kernel configs of `MgAttention` and `MgAttentionGrad` on the `webgpu` backend. */
export const attentionWebGpuKernels: KernelConfig[] = [
  {
    kernelName: "MgAttention",
    backendName: "webgpu",
    kernelFunc: attentionFwd as unknown as KernelFunc,
  },
  {
    kernelName: "MgAttentionGrad",
    backendName: "webgpu",
    kernelFunc: attentionBwd as unknown as KernelFunc,
  },
];
