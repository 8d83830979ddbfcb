/**
 * Next-token sampling on the GPU, so that generation reads back three numbers per row and step
 * (token, its log-probability, its sampling log-probability) instead of a row of logits (608 KB
 * per row for Qwen2.5's 151,936 tokens). The same rule as `sampleToken` in
 * `lib/model/sampling.ts` without top-k/top-p: temperature 0 is the argmax (lowest id on ties);
 * otherwise the inverse CDF of `softmax(logits / T)` at `u · z`, scanning ids in order, with `u`
 * the row's one uniform draw from its own stream — so a row draws exactly what the CPU path
 * draws from its stream, and picks the same token up to float32 rounding at a CDF boundary (the
 * CPU sums in float64).
 *
 * Kernel `MgSampleRows` (webgpu only): inputs `logits [nodes, V]`, `node [rows]` (int32, the
 * logits row each output row samples from: rows that share a prefix share a node), `u [rows]`
 * (float32 in [0, 1)); attribute `temperature`; output `[rows, 3]` float32: token id (exact as a
 * float below 2²⁴), `log softmax(logits)[token]` at temperature 1, and the log-probability
 * under the sampled distribution (0 when greedy). A row whose logits hold a NaN gets token −1.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { webGpuKernelActive } from "./fast_state.ts";
import {
  float,
  type GpuKernelArgs,
  int,
  ROW_WG,
  rowProgram,
  runRows,
  TREE_SUM,
} from "./webgpu_program.ts";

function sampleRows({ inputs: { logits, node, u }, backend, attrs }: GpuKernelArgs): TensorInfo {
  const v = logits.shape[logits.shape.length - 1], rows = node.shape[0];
  const program = rowProgram(
    "sample_rows",
    ["logits", "node", "u"],
    [rows, 3],
    rows,
    `
        let v = uniforms.v;
        let base = node[row] * v;
        // 1. max and argmax (lowest id on ties), NaN detection
        var m = -3.402823e+38;
        var arg = v;
        var nan = 0;
        for (var j = tid; j < v; j = j + ${ROW_WG}) {
          let x = logits[base + j];
          let bits = bitcast<u32>(x); // NaN by its bits: compilers may fold x != x away
          if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0u) { nan = 1; }
          if (x > m || (x == m && j < arg)) { m = x; arg = j; }
        }
        partial[tid] = m;
        partialIdx[tid] = arg;
        bad[tid] = nan;
        workgroupBarrier();
        for (var stride = ${ROW_WG / 2}; stride > 0; stride = stride / 2) {
          if (tid < stride) {
            let om = partial[tid + stride];
            let oi = partialIdx[tid + stride];
            if (om > partial[tid] || (om == partial[tid] && oi < partialIdx[tid])) {
              partial[tid] = om;
              partialIdx[tid] = oi;
            }
            bad[tid] = max(bad[tid], bad[tid + stride]);
          }
          workgroupBarrier();
        }
        let rowMax = partial[0];
        let argMax = partialIdx[0];
        let anyNan = bad[0];
        workgroupBarrier();
        // 2. z1 = sum exp(x - max): the temperature-1 normaliser
        var s = 0.0;
        for (var j = tid; j < v; j = j + ${ROW_WG}) { s = s + exp(logits[base + j] - rowMax); }
        partial[tid] = s;
        ${TREE_SUM}
        let lse1 = rowMax + log(partial[0]);
        workgroupBarrier();
        // 3. contiguous chunks of weights exp((x - max) / T), one per thread
        let invT = select(0.0, 1.0 / uniforms.temperature, uniforms.temperature > 0.0);
        let chunk = (v + ${ROW_WG} - 1) / ${ROW_WG};
        let lo = min(tid * chunk, v);
        let hi = min(lo + chunk, v);
        var cs = 0.0;
        for (var j = lo; j < hi; j = j + 1) { cs = cs + exp((logits[base + j] - rowMax) * invT); }
        partial[tid] = cs;
        workgroupBarrier();
        if (tid == 0) {
          var tok = argMax;
          var sampling = 0.0;
          if (uniforms.temperature > 0.0) {
            var z = 0.0;
            for (var c = 0; c < ${ROW_WG}; c = c + 1) { z = z + partial[c]; }
            var rem = u[row] * z;
            var pick = -1;
            var last = 0;
            for (var c = 0; c < ${ROW_WG}; c = c + 1) {
              if (partial[c] > 0.0) {
                last = c;
                if (pick < 0) {
                  if (rem - partial[c] < 0.0) { pick = c; } else { rem = rem - partial[c]; }
                }
              }
            }
            if (pick < 0) { pick = last; rem = partial[last]; }
            let clo = min(pick * chunk, v);
            let chi = min(clo + chunk, v);
            var w = 0.0;
            for (var j = clo; j < chi; j = j + 1) {
              let wj = exp((logits[base + j] - rowMax) * invT);
              if (wj == 0.0) { continue; }
              tok = j;
              w = wj;
              rem = rem - wj;
              if (rem < 0.0) { break; }
            }
            sampling = log(w / z);
          }
          if (anyNan != 0) { tok = -1; }
          result[row * 3] = f32(tok);
          result[row * 3 + 1] = logits[base + max(tok, 0)] - lse1;
          result[row * 3 + 2] = sampling;
        }`,
    "v : i32, temperature : f32,",
    `var<workgroup> partialIdx : array<i32, ${ROW_WG}>;
     var<workgroup> bad : array<i32, ${ROW_WG}>;`,
  );
  return runRows(backend, program, [logits, node, u], [
    int(v),
    float(Number(attrs.temperature)),
  ]);
}

/** The kernel config of `MgSampleRows` on the `webgpu` backend. */
export const sampleRowsKernel: KernelConfig = {
  kernelName: "MgSampleRows",
  backendName: "webgpu",
  kernelFunc: sampleRows as unknown as KernelFunc,
};

/** One sampled token per row, as {@link sampleRowsOnDevice} returns it. */
export interface DeviceSample {
  token: number;
  logprob: number;
  samplingLogprob: number;
}

/** True when {@link sampleRowsOnDevice} can run: the webgpu backend with its kernel. */
export function deviceSamplingActive(): boolean {
  return webGpuKernelActive("MgSampleRows");
}

/**
 * Sample one token per row from `logits` on the device and read back only the results.
 *
 * @param logits `[nodes, V]` float32 (not disposed).
 * @param nodeOfRow for each row, the logits row it samples from.
 * @param u for each row, its uniform draw in [0, 1) (ignored when greedy).
 * @param temperature ≥ 0; 0 = greedy.
 * @returns one {@link DeviceSample} per row.
 */
export async function sampleRowsOnDevice(
  logits: tf.Tensor2D,
  nodeOfRow: number[],
  u: number[],
  temperature: number,
): Promise<DeviceSample[]> {
  const node = tf.tensor1d(Int32Array.from(nodeOfRow), "int32");
  const uT = tf.tensor1d(Float32Array.from(u));
  try {
    const out = tf.engine().runKernel("MgSampleRows", { logits, node, u: uT }, {
      temperature,
    }) as tf.Tensor;
    const d = await out.data();
    out.dispose();
    return nodeOfRow.map((_, i) => ({
      token: d[3 * i],
      logprob: d[3 * i + 1],
      samplingLogprob: d[3 * i + 2],
    }));
  } finally {
    node.dispose();
    uT.dispose();
  }
}
