/**
 * Stock-kernel replacements on the wasm backend: `UnsortedSegmentSum` (absent from tfjs-wasm, so
 * `tf.gather` gets a gradient) and a native `Sum` for contiguous reduction axes (bias and norm
 * gradients reduce axis 0, which the stock kernel transposes first).
 *
 * @module
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs-core";
import type { NativeLib } from "./native.ts";
import { f32View, i32View, sizeOf, type WasmBackendLike } from "./wasm_heap.ts";

interface Args {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackendLike;
  attrs: NamedAttrMap;
}

/** `UnsortedSegmentSum` for float32 data and int32 ids (native when `native` is given). */
export function segmentSumKernel(native: NativeLib | null, stockInt?: KernelFunc): KernelConfig {
  const kernelFunc = (args: Args): TensorInfo => {
    const { x, segmentIds } = args.inputs;
    if (x.dtype !== "float32") {
      if (stockInt) return stockInt(args as never) as TensorInfo;
      throw new Error(`UnsortedSegmentSum: only float32 data is supported, got ${x.dtype}`);
    }
    const numSegments = Number(args.attrs.numSegments);
    const n = sizeOf(segmentIds.shape);
    const innerShape = x.shape.slice(segmentIds.shape.length);
    const inner = sizeOf(innerShape);
    if (n * inner !== sizeOf(x.shape)) {
      throw new Error(
        `UnsortedSegmentSum: segmentIds [${segmentIds.shape}] do not prefix x [${x.shape}]`,
      );
    }
    const out = args.backend.makeOutput([numSegments, ...innerShape], "float32");
    const xv = f32View(args.backend, x), ids = i32View(args.backend, segmentIds);
    const ov = f32View(args.backend, out);
    if (native) {
      native.symbols.mg_segment_sum(xv, ids, n, inner, numSegments, ov);
      return out;
    }
    ov.fill(0);
    for (let i = 0; i < n; i++) {
      const s = ids[i];
      if (s < 0 || s >= numSegments) continue;
      const src = i * inner, dst = s * inner;
      for (let c = 0; c < inner; c++) ov[dst + c] += xv[src + c];
    }
    return out;
  };
  return {
    kernelName: "UnsortedSegmentSum",
    backendName: "wasm",
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}

/** Split `shape` around a contiguous block of reduced axes, or `null` when not contiguous. */
export function contiguousReduction(
  shape: readonly number[],
  axis: number | number[] | undefined,
): { outer: number; red: number; inner: number; axes: number[] } | null {
  const rank = shape.length;
  const raw = axis == null ? [...Array(rank).keys()] : Array.isArray(axis) ? axis : [axis];
  const axes = [...new Set(raw.map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
  if (axes.length === 0) return null;
  for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[i - 1] + 1) return null;
  const a0 = axes[0], a1 = axes[axes.length - 1];
  if (a0 < 0 || a1 >= rank) return null;
  return {
    outer: sizeOf(shape.slice(0, a0)),
    red: sizeOf(shape.slice(a0, a1 + 1)),
    inner: sizeOf(shape.slice(a1 + 1)),
    axes,
  };
}

/** Native float32 `Sum` over contiguous axes; everything else goes to the stock kernel. */
export function sumKernel(native: NativeLib, stockSum: KernelFunc): KernelConfig {
  const kernelFunc = (args: Args): TensorInfo => {
    const { x } = args.inputs;
    const plan = x.dtype === "float32"
      ? contiguousReduction(x.shape, args.attrs.axis as number | number[])
      : null;
    if (plan === null || sizeOf(x.shape) === 0) return stockSum(args as never) as TensorInfo;
    const keep = !!args.attrs.keepDims;
    const outShape = keep
      ? x.shape.map((d, i) => (plan.axes.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !plan.axes.includes(i));
    const out = args.backend.makeOutput(outShape, "float32");
    native.symbols.mg_sum_mid(
      f32View(args.backend, x),
      plan.outer,
      plan.red,
      plan.inner,
      f32View(args.backend, out),
    );
    return out;
  };
  return {
    kernelName: "Sum",
    backendName: "wasm",
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}

/**
 * Native `GatherV2` for 4-byte dtypes (float32, int32) without batch dims: one strided copy
 * instead of the stock kernel's per-element index arithmetic (notably slow along axis 1, as in
 * a tied embedding lookup from an `[H, V]` table). Other cases go to the stock kernel.
 */
export function gatherKernel(native: NativeLib, stockGather: KernelFunc): KernelConfig {
  const kernelFunc = (args: Args): TensorInfo => {
    const { x, indices } = args.inputs;
    const batchDims = Number(args.attrs.batchDims ?? 0);
    if ((x.dtype !== "float32" && x.dtype !== "int32") || indices.dtype !== "int32" || batchDims) {
      return stockGather(args as never) as TensorInfo;
    }
    const rank = x.shape.length;
    let axis = Number(args.attrs.axis ?? 0);
    if (axis < 0) axis += rank;
    if (!(axis >= 0 && axis < rank)) {
      throw new Error(`GatherV2: axis ${args.attrs.axis} is outside a rank-${rank} tensor`);
    }
    const dim = x.shape[axis], n = sizeOf(indices.shape);
    const outer = sizeOf(x.shape.slice(0, axis)), inner = sizeOf(x.shape.slice(axis + 1));
    const out = args.backend.makeOutput(
      [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)],
      x.dtype,
    );
    if (sizeOf(out.shape) === 0) return out;
    const ids = i32View(args.backend, indices);
    for (let i = 0; i < n; i++) {
      if (!(ids[i] >= 0 && ids[i] < dim)) {
        args.backend.disposeData(out.dataId);
        throw new Error(`GatherV2: index ${ids[i]} at ${i} is outside [0, ${dim})`);
      }
    }
    const heap = args.backend.wasm.HEAPU8.buffer;
    const rec = (t: TensorInfo) => args.backend.dataIdMap.get(t.dataId)!.memoryOffset;
    native.symbols.mg_gather(
      new Uint32Array(heap, rec(x), sizeOf(x.shape)),
      ids,
      outer,
      dim,
      inner,
      n,
      new Uint32Array(heap, rec(out), sizeOf(out.shape)),
    );
    return out;
  };
  return {
    kernelName: "GatherV2",
    backendName: "wasm",
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}
