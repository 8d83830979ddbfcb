/**
 * Helpers for writing tfjs WebGPU programs in WGSL: elementwise programs ({@link flatProgram}),
 * one-workgroup-per-row reductions ({@link rowProgram} with {@link TREE_SUM}), and the typed
 * view of tfjs's WebGPUBackend that the kernels of `webgpu_kernels.ts` and `webgpu_sampling.ts`
 * use. Inputs are bound as WGSL `array<f32>`/`array<i32>` under their `variableNames`; the output
 * is `result`; `uniforms` holds the declared fields, plus `size` (the output's length) for
 * elementwise programs.
 *
 * @module
 */
import type { NamedAttrMap, TensorInfo } from "@tensorflow/tfjs-core";

/** One workgroup per row for row reductions; a power of two (the tree sum halves it). */
export const ROW_WG = 64;
/** Threads per workgroup of elementwise programs. */
export const FLAT_WG = 128;

/** The parts of tfjs's WebGPUBackend the kernels use. */
export interface GpuBackend {
  runWebGPUProgram(
    program: GpuProgram,
    inputs: TensorInfo[],
    dtype: "float32",
    uniforms?: { type: "float32" | "int32"; data: number[] }[],
    output?: TensorInfo,
  ): TensorInfo;
  disposeData(dataId: object): void;
}

/** A tfjs WebGPU program (the fields `runWebGPUProgram` reads). */
export interface GpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  size?: boolean;
  uniforms?: string;
  getUserCode(): string;
}

/** What tfjs hands a kernel function on the webgpu backend. */
export interface GpuKernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: GpuBackend;
  attrs: NamedAttrMap;
}

export const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** An elementwise program over `shape`: `body` sets `result[index]` (inputs by name). */
export function flatProgram(
  key: string,
  inputs: string[],
  shape: number[],
  body: string,
  uniforms?: string,
): GpuProgram {
  const n = sizeOf(shape);
  return {
    variableNames: inputs,
    outputShape: shape,
    shaderKey: `mg_${key}`,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(n / FLAT_WG), 1, 1],
    workgroupSize: [FLAT_WG, 1, 1],
    size: true,
    uniforms,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/**
 * WGSL: a tree reduction of `partial` (length ROW_WG) into `partial[0]` by `combine`, with every
 * thread waiting at each level (`tid` is the thread's index in the row).
 */
export function treeReduce(combine: (a: string, b: string) => string): string {
  return `
  workgroupBarrier();
  for (var stride = ${ROW_WG / 2}; stride > 0; stride = stride / 2) {
    if (tid < stride) { partial[tid] = ${combine("partial[tid]", "partial[tid + stride]")}; }
    workgroupBarrier();
  }`;
}

/** WGSL: the tree sum of `partial` into `partial[0]` ({@link treeReduce}). */
export const TREE_SUM: string = treeReduce((a, b) => `${a} + ${b}`);
/** WGSL: the tree maximum of `partial` into `partial[0]` ({@link treeReduce}). */
export const TREE_MAX: string = treeReduce((a, b) => `max(${a}, ${b})`);

/** A {@link rowProgram}: a program that also knows its row count. */
export type RowProgram = GpuProgram & { rows: number };

/**
 * A program with one workgroup per row of `rows` rows: `code` runs with `row`, `tid` (thread in
 * the row), the workgroup array `partial` and {@link TREE_SUM} available (`declarations`: more
 * module-scope WGSL, e.g. workgroup arrays). Run it with
 * {@link runRows}, which passes the row count: past 65,535 rows tfjs spreads the workgroups over
 * a 2-D grid that can hold more workgroups than rows, and those extra workgroups return before
 * touching memory (the check is made uniform for the whole workgroup, so `code` may use barriers).
 */
export function rowProgram(
  key: string,
  inputs: string[],
  outputShape: number[],
  rows: number,
  code: string,
  uniforms: string,
  declarations = "",
): RowProgram {
  return {
    variableNames: inputs,
    outputShape,
    shaderKey: `mg_${key}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [rows, 1, 1],
    workgroupSize: [ROW_WG, 1, 1],
    uniforms: `${uniforms} rowCount : i32,`,
    rows,
    getUserCode: () => `
      var<workgroup> partial : array<f32, ${ROW_WG}>;
      var<workgroup> rowLive : i32;
      ${declarations}
      fn main(index : i32) {
        let row = index / ${ROW_WG};
        let tid = index % ${ROW_WG};
        if (tid == 0) { rowLive = select(0, 1, row < uniforms.rowCount); }
        if (workgroupUniformLoad(&rowLive) == 0) { return; }
        ${code}
      }`,
  };
}

/** Run a {@link rowProgram} with its uniforms `data` (the row count is appended). */
export function runRows(
  backend: GpuBackend,
  program: RowProgram,
  inputs: TensorInfo[],
  data: { type: "float32" | "int32"; data: number[] }[] = [],
): TensorInfo {
  return backend.runWebGPUProgram(program, inputs, "float32", [...data, int(program.rows)]);
}

/** A uniform's data: one int32. */
export const int = (x: number): { type: "int32"; data: number[] } => ({ type: "int32", data: [x] });
/** A uniform's data: one float32. */
export const float = (x: number): { type: "float32"; data: number[] } => ({
  type: "float32",
  data: [x],
});
