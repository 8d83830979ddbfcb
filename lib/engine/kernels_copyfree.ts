/**
 * Copy-free `Identity` and same-dtype `Cast` for the wasm backend: the output shares the input's
 * data id and bumps its reference count, as the cpu backend does. tfjs clones every tensor it
 * saves for the backward pass through `Identity`, so this removes hundreds of copies per step.
 *
 * @module
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./wasm_heap.ts";

interface UnaryArgs {
  inputs: { x: TensorInfo };
  backend: WasmBackendLike;
  attrs: NamedAttrMap;
}

/**
 * Kernel configs for copy-free `Identity` and `Cast`; other dtype changes and strings go to the
 * given stock kernels.
 */
export function copyFreeKernels(stockIdentity: KernelFunc, stockCast: KernelFunc): KernelConfig[] {
  const identity = (args: UnaryArgs): TensorInfo => {
    const { x } = args.inputs;
    if (x.dtype === "string") return stockIdentity(args as never) as TensorInfo;
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  const cast = (args: UnaryArgs): TensorInfo => {
    const { x } = args.inputs;
    if (x.dtype !== args.attrs.dtype || x.dtype === "string") {
      return stockCast(args as never) as TensorInfo;
    }
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  return [
    { kernelName: "Identity", backendName: "wasm", kernelFunc: identity as unknown as KernelFunc },
    { kernelName: "Cast", backendName: "wasm", kernelFunc: cast as unknown as KernelFunc },
  ];
}
