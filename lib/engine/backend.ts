/**
 * tfjs backend selection behind one name: `fast` (wasm + OpenBLAS + native fused kernels, the
 * default), `wasm` (stock), `cpu`, `webgpu`, and `tfjs-node` / `tfjs-node-gpu` when the user has
 * installed them. Every module that runs tensors calls {@link initBackend} once.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "./gradients.ts";
import "./gradients.ts";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import {
  type FastInfo,
  fastInfo,
  type FastOptions,
  installFastKernels,
  uninstallFastKernels,
} from "./fast.ts";
import { initWebGpu } from "./webgpu.ts";

/** Names accepted by {@link initBackend} and `--backend`. */
export type BackendName = "fast" | "wasm" | "cpu" | "webgpu" | "tfjs-node" | "tfjs-node-gpu";

/** Every {@link BackendName}, in the order shown in help texts. */
export const BACKEND_NAMES: readonly BackendName[] = [
  "fast",
  "wasm",
  "cpu",
  "webgpu",
  "tfjs-node",
  "tfjs-node-gpu",
];

/** The backend {@link initBackend} picks when given no name. */
export const DEFAULT_BACKEND: BackendName = "fast";

/**
 * Parse a `--backend` value (case-insensitive; `auto`/empty → {@link DEFAULT_BACKEND}).
 * Throws an error listing the accepted names otherwise.
 */
export function parseBackendName(value: string | undefined | null): BackendName {
  const v = (value ?? "").trim().toLowerCase();
  if (v === "" || v === "auto") return DEFAULT_BACKEND;
  if ((BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendName;
  throw new Error(
    `--backend: unknown backend "${value}"; expected one of ${BACKEND_NAMES.join(", ")}, auto`,
  );
}

let wasmPathsSet = false;
let active: BackendName | null = null;

function ensureWasmPaths(): void {
  if (wasmPathsSet) return;
  const require = createRequire(import.meta.url);
  const pkg = require.resolve("@tensorflow/tfjs-backend-wasm/package.json");
  setWasmPaths(pkg.replace(/package\.json$/, "dist/"));
  wasmPathsSet = true;
}

async function useTfjsBackend(name: string): Promise<void> {
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`tfjs backend "${name}" failed to initialise`);
  }
  await tf.ready();
}

async function initTfjsNode(gpu: boolean): Promise<void> {
  const spec = gpu ? "@tensorflow/tfjs-node-gpu" : "@tensorflow/tfjs-node";
  try {
    await import(spec);
  } catch (e) {
    throw new Error(
      `--backend ${gpu ? "tfjs-node-gpu" : "tfjs-node"}: cannot import ${spec} ` +
        `(${
          (e as Error).message.split("\n")[0]
        }). Install it where libtensorflow can be downloaded: ` +
        `\`deno add npm:${spec}@4.22.0 && deno install --allow-scripts=npm:${spec}\``,
    );
  }
  await useTfjsBackend("tensorflow");
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Options for the fast engine (testing hooks: forced library names, disabled parts). */
  fast?: FastOptions;
}

/**
 * Select and initialise a backend.
 *
 * @param name backend to use (default {@link DEFAULT_BACKEND}; `fast` falls back to stock
 *   kernels piece by piece, with one stderr line each, when OpenBLAS or the native kernels are
 *   missing).
 * @returns the {@link BackendName} now active.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "./backend.ts";
 * const name = await initBackend("cpu");
 * assert.deepEqual(name, "cpu");
 * ```
 */
export async function initBackend(
  name: BackendName = DEFAULT_BACKEND,
  options: InitBackendOptions = {},
): Promise<BackendName> {
  parseBackendName(name);
  switch (name) {
    case "fast":
    case "wasm":
      ensureWasmPaths();
      await useTfjsBackend("wasm");
      if (name === "fast") installFastKernels(options.fast);
      else uninstallFastKernels();
      break;
    case "cpu":
      await useTfjsBackend("cpu");
      break;
    case "webgpu":
      await initWebGpu();
      await useTfjsBackend("webgpu");
      break;
    case "tfjs-node":
    case "tfjs-node-gpu":
      await initTfjsNode(name === "tfjs-node-gpu");
      break;
  }
  active = name;
  return name;
}

/** The backend chosen by the last {@link initBackend}, or null before any. */
export function activeBackend(): BackendName | null {
  if (active === "fast" && tf.getBackend() !== "wasm") return null;
  return active;
}

/** One-line description of the active backend for logs and benchmark lines. */
export function backendDescription(): string {
  const name = activeBackend();
  if (name === "fast") {
    const info: FastInfo | null = fastInfo();
    const parts = [info?.blas ? `blas=${info.blas}x${info.blasThreads}` : "blas=none"];
    parts.push(info?.native ? "native=yes" : "native=none");
    return `fast(${parts.join(",")})`;
  }
  return name ?? tf.getBackend();
}
