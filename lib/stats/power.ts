/**
 * Power of the two-sided unpaired permutation test by simulation, for planning the number of
 * seeds: both arms draw n values from normal distributions with the same standard deviation σ
 * and means δ apart; the power is the share of simulated experiments whose p-value
 * ({@link permutationTest}, exact when it can be) is ≤ α. The effect is given in units of σ
 * (δ/σ), so a measured across-seed standard deviation turns it into success points.
 *
 * Discreteness matters at small n: with 5 vs 5 seeds the smallest attainable p is 2/252 ≈ 0.008,
 * so at α = 0.005 the power is 0 whatever the effect.
 *
 * @module
 */
import { Rng } from "../util/rng.ts";
import { permutationTest } from "./permutation.ts";

/** Options of {@link permutationPower}. */
export interface PowerOptions {
  /** Simulated experiments (default 1 000). */
  simulations?: number;
  /** Seed of the simulation (default 14). */
  seed?: number;
}

/**
 * Simulated power of the unpaired permutation test.
 *
 * @param effect the difference of the arms' means in units of their standard deviation.
 * @param n seeds per arm.
 * @param alpha the level a p-value must not exceed.
 * @param opts simulations, seed.
 * @returns the share of simulated experiments with p ≤ alpha.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { permutationPower } from "./power.ts";
 * assert.equal(permutationPower(3, 5, 0.005, { simulations: 50 }), 0); // p ≥ 2/252 always
 * assert.ok(permutationPower(6, 5, 0.05, { simulations: 50 }) > 0.95);
 * ```
 */
export function permutationPower(
  effect: number,
  n: number,
  alpha: number,
  opts: PowerOptions = {},
): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`permutationPower: n must be ≥ 1, got ${n}`);
  const sims = opts.simulations ?? 1000;
  const rng = new Rng(opts.seed ?? 14);
  let hits = 0;
  for (let s = 0; s < sims; s++) {
    const a = Array.from({ length: n }, () => rng.normal() + effect);
    const b = Array.from({ length: n }, () => rng.normal());
    if (permutationTest(a, b, { seed: rng.nextU32() }).p <= alpha) hits++;
  }
  return hits / sims;
}
