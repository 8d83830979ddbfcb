/**
 * msgrpo — post-train language-model agents for multi-step decision making with MS-GRPO
 * (Dilkes et al., "Reinforced Language Models for Sequential Decision Making", 2025).
 *
 * The public surface re-exports each module: text-mediated environments (`env`), the Qwen2 model
 * (`model`), tfjs backends and fast kernels (`engine`), policies (`policy`), rollouts
 * (`rollout`), the MS-GRPO core (`msgrpo`), the training loop (`train`), configs (`config`),
 * Arrow run logs (`log`), an OpenAI-compatible policy server (`serve`) and grids of runs on this
 * machine or on Slurm (`grid`). The analysis helpers of the notebooks (`lib/viz/mod.ts`: charts,
 * statistics, board replays) are imported from their own module, as they load the chart
 * renderers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { frozenLakeOptimum } from "./mod.ts";
 * const { successProbability } = frozenLakeOptimum(["SFFF", "FHFH", "FFFH", "HFFG"], {
 *   slippery: true,
 *   maxSteps: 100,
 * });
 * assert.equal(successProbability.toFixed(6), "0.744190");
 * ```
 *
 * @module
 */
export * from "./lib/env/mod.ts";
export * from "./lib/model/mod.ts";
export * from "./lib/engine/mod.ts";
export * from "./lib/policy/mod.ts";
export * from "./lib/rollout/mod.ts";
export * from "./lib/msgrpo/mod.ts";
export * from "./lib/train/mod.ts";
export * from "./lib/config/mod.ts";
export * from "./lib/log/mod.ts";
export * from "./lib/serve/mod.ts";
export * from "./lib/grid/mod.ts";
export { deriveSeed, Rng, type RngState } from "./lib/util/rng.ts";
