/**
 * Seeds of training episodes. Evaluation scenarios use small fixed seeds (k·10⁶ + i); every
 * training initial state is drawn from [2³⁰, 2³¹), so training never plays an evaluation map.
 *
 * @module
 */
import { deriveSeed } from "../util/rng.ts";

/** First seed of the training range. */
export const TRAINING_SEED_BASE = 0x40000000;

/**
 * An initial-state seed for training, derived from any integers (run seed, iteration, group …).
 *
 * @param parts integers identifying the episode or group.
 * @returns a seed in [2³⁰, 2³¹).
 * @example
 * ```ts
 * import { trainingStateSeed } from "./seeds.ts";
 * console.log(trainingStateSeed(1, 0, 0) >= 2 ** 30); // true
 * ```
 */
export function trainingStateSeed(...parts: number[]): number {
  return TRAINING_SEED_BASE + (deriveSeed(...parts) % TRAINING_SEED_BASE);
}
