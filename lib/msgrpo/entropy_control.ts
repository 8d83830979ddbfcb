/**
 * An entropy target with an adaptive coefficient: a departure from the paper's MS-GRPO (which has
 * no entropy term) that keeps the policy exploring without paying a fixed bonus on every token.
 *
 * On a deterministic environment a deterministic policy gives every episode of a group the same
 * return: all advantages are 0 and learning stops (see `docs/algorithm.md`, "What the 0.80 plateau
 * is"). A fixed entropy bonus either is too weak to stop that collapse or, strong enough, breaks
 * the answer format. Here the coefficient c of the bonus −c·H is a controller: after each update
 * that measured the batch's mean token entropy H,
 *
 *     log c ← log c + rate · (H* − H) / H*        (then clamped to [minCoef, maxCoef])
 *
 * so c grows while H is below the target H* and shrinks while it is above — the automatic
 * temperature of SAC, in log space with the error relative to the target so one `rate` suits any
 * H*. With no measurement (no update was made) c is unchanged.
 *
 * @module
 */

/** Options of {@link nextEntropyCoef}. */
export interface EntropyControlOptions {
  /** Target mean token entropy H* (nats, > 0). */
  target: number;
  /** Log-space step per unit of relative error (> 0). */
  rate: number;
  /** Smallest coefficient (default 1e-5). */
  minCoef?: number;
  /** Largest coefficient (default 1). */
  maxCoef?: number;
}

/**
 * The entropy coefficient for the next update.
 *
 * @param coef the coefficient used by the last update (> 0).
 * @param entropy the mean token entropy that update measured, or null when none was made.
 * @param opts target, rate and bounds.
 * @returns the next coefficient.
 * @example
 * ```ts
 * import { nextEntropyCoef } from "./entropy_control.ts";
 * import assert from "node:assert/strict";
 * // entropy at zero, target 0.1, rate 0.1: the coefficient grows by e^0.1
 * assert.equal(nextEntropyCoef(0.01, 0, { target: 0.1, rate: 0.1 }).toFixed(6), "0.011052");
 * // entropy at twice the target: it shrinks by e^-0.1
 * assert.equal(nextEntropyCoef(0.01, 0.2, { target: 0.1, rate: 0.1 }).toFixed(6), "0.009048");
 * ```
 */
export function nextEntropyCoef(
  coef: number,
  entropy: number | null,
  opts: EntropyControlOptions,
): number {
  const { target, rate } = opts;
  const minCoef = opts.minCoef ?? 1e-5, maxCoef = opts.maxCoef ?? 1;
  if (!(target > 0) || !(rate > 0)) {
    throw new Error(`nextEntropyCoef: target and rate must be > 0, got ${target} and ${rate}`);
  }
  if (!(coef > 0) || !Number.isFinite(coef)) {
    throw new Error(`nextEntropyCoef: coef must be a finite number > 0, got ${coef}`);
  }
  if (entropy === null || !Number.isFinite(entropy)) return coef;
  const next = coef * Math.exp(rate * (target - entropy) / target);
  return Math.min(maxCoef, Math.max(minCoef, next));
}
