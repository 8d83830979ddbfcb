/**
 * Episode sampling of MS-GRPO (step 5 of an iteration): which episodes of the pool enter the
 * update, and how many times.
 *
 * - `"aaw"` (absolute-advantage-weighted, the default): P(e) = |Â_e|^k / Σ_e' |Â_e'|^k (k is
 *   `exponent`, 1 by default). Episodes with Â = 0 are never drawn.
 * - `"uniform"`: equal probability for every episode of the pool, zero-advantage episodes
 *   included (the spec's "equal probability"; they add no policy-gradient term anyway, only
 *   KL/entropy terms when those are on).
 * - `"all"`: every episode exactly once (no randomness used).
 *
 * With replacement (default) M independent draws are made (M = pool size by default). Without
 * replacement the draws are sequential weighted draws without putting back (the next draw is
 * weighted among the episodes not yet drawn), min(M, number of drawable episodes) of them.
 *
 * When every advantage is 0 the result carries `noUpdate: true` in every mode; under `"aaw"`
 * nothing is drawn then, under `"uniform"`/`"all"` the draws are still reported for logging.
 *
 * Draws use a sum tree (O(n) build, O(log n) per draw, one `rng.float()` per draw), so the
 * sequence is a pure function of the Rng state.
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";

/** Sampling arms: |Â|-weighted, uniform, or every episode once. */
export type SamplingMode = "aaw" | "uniform" | "all";

/** Options of {@link drawEpisodes}. */
export interface DrawOptions {
  /** Sampling arm (default `"aaw"`). */
  mode?: SamplingMode;
  /** Number of draws M (default: pool size). Ignored by `"all"`. */
  draws?: number;
  /** Draw with replacement (default true). */
  replacement?: boolean;
  /** Exponent k of P ∝ |Â|^k under `"aaw"` (default 1). */
  exponent?: number;
  /** Source of randomness (required for `"aaw"` and `"uniform"`). */
  rng?: Rng;
}

/** Result of {@link drawEpisodes}. */
export interface DrawResult {
  /** How many times each episode of the pool was drawn (same order as the advantages). */
  timesDrawn: number[];
  /** Total number of draws made (Σ timesDrawn). */
  totalDraws: number;
  /** True when every advantage is 0 (or the pool is empty): the iteration makes no update. */
  noUpdate: boolean;
}

/**
 * Draw episodes of a pool for the update.
 *
 * @param advantages Â_e per episode of the pool.
 * @param opts sampling mode, number of draws, replacement, exponent and Rng.
 * @returns draw counts per episode, their total and the no-update flag.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { drawEpisodes } from "./sampling.ts";
 * import { Rng } from "../util/rng.ts";
 * const r = drawEpisodes([1.5, 0, -0.5, 0], { rng: new Rng(1) });
 * assert.deepEqual([r.timesDrawn.length, r.totalDraws, r.timesDrawn[1]], [4, 4, 0]);
 * assert.deepEqual(drawEpisodes([0, 0], { rng: new Rng(1) }).noUpdate, true);
 * ```
 */
export function drawEpisodes(advantages: readonly number[], opts: DrawOptions = {}): DrawResult {
  const mode = opts.mode ?? "aaw";
  const replacement = opts.replacement ?? true;
  const exponent = opts.exponent ?? 1;
  const n = advantages.length;
  const draws = opts.draws ?? n;
  if (mode !== "aaw" && mode !== "uniform" && mode !== "all") {
    throw new Error(
      `sampling.ts drawEpisodes: mode must be "aaw", "uniform" or "all", got ${mode}`,
    );
  }
  if (!Number.isInteger(draws) || draws < 0) {
    throw new Error(`sampling.ts drawEpisodes: draws must be an integer >= 0, got ${draws}`);
  }
  if (!Number.isFinite(exponent) || exponent <= 0) {
    throw new Error(
      `sampling.ts drawEpisodes: exponent must be a finite number > 0, got ${exponent}`,
    );
  }
  advantages.forEach((a, i) => {
    if (!Number.isFinite(a)) throw new Error(`sampling.ts drawEpisodes: advantages[${i}] is ${a}`);
  });
  const noUpdate = advantages.every((a) => a === 0);
  const timesDrawn = new Array<number>(n).fill(0);
  if (mode === "all") {
    timesDrawn.fill(1);
    return { timesDrawn, totalDraws: n, noUpdate };
  }
  if (n === 0 || (mode === "aaw" && noUpdate)) return { timesDrawn, totalDraws: 0, noUpdate };
  const rng = opts.rng;
  if (!rng) throw new Error(`sampling.ts drawEpisodes: mode "${mode}" needs an rng`);
  const weights = advantages.map((a) => (mode === "aaw" ? Math.abs(a) ** exponent : 1));
  const tree = new SumTree(weights);
  const drawable = weights.filter((w) => w > 0).length;
  if (drawable === 0) {
    throw new Error(
      `sampling.ts drawEpisodes: every |advantage|^${exponent} underflows to 0; use a smaller exponent`,
    );
  }
  const m = replacement ? draws : Math.min(draws, drawable);
  for (let d = 0; d < m; d++) {
    const i = tree.sample(rng.float());
    timesDrawn[i]++;
    if (!replacement) tree.set(i, 0);
  }
  return { timesDrawn, totalDraws: m, noUpdate };
}

/**
 * Array of non-negative weights supporting weighted sampling and point updates in O(log n).
 * Internal nodes are recomputed from their children (never updated by deltas), so a zeroed leaf
 * is exactly 0 and can never be sampled.
 */
export class SumTree {
  #size: number;
  #node: Float64Array;

  /** @param weights non-negative finite weights (at least one). */
  constructor(weights: readonly number[]) {
    if (weights.length === 0) throw new Error("sampling.ts SumTree: needs at least one weight");
    let size = 1;
    while (size < weights.length) size *= 2;
    this.#size = size;
    this.#node = new Float64Array(2 * size);
    weights.forEach((w, i) => {
      _checkWeight(w, i);
      this.#node[size + i] = w;
    });
    for (let k = size - 1; k >= 1; k--) this.#node[k] = this.#node[2 * k] + this.#node[2 * k + 1];
  }

  /** @returns the sum of all weights. */
  total(): number {
    return this.#node[1];
  }

  /** Set weight `i` to `w` (O(log n)). */
  set(i: number, w: number): void {
    _checkWeight(w, i);
    let k = this.#size + i;
    this.#node[k] = w;
    for (k >>= 1; k >= 1; k >>= 1) this.#node[k] = this.#node[2 * k] + this.#node[2 * k + 1];
  }

  /**
   * Map a uniform number u ∈ [0, 1) to an index with probability weight/total; never returns an
   * index of weight 0 while the total is positive.
   */
  sample(u: number): number {
    const node = this.#node;
    if (!(node[1] > 0)) throw new Error("sampling.ts SumTree.sample: all weights are 0");
    let x = u * node[1];
    let k = 1;
    while (k < this.#size) {
      const left = node[2 * k], right = node[2 * k + 1];
      if (right === 0 || (left > 0 && x < left)) {
        k = 2 * k;
      } else {
        x -= left;
        k = 2 * k + 1;
      }
    }
    return k - this.#size;
  }
}

function _checkWeight(w: number, i: number): void {
  if (!Number.isFinite(w) || w < 0) {
    throw new Error(`sampling.ts SumTree: weight ${i} must be finite and >= 0, got ${w}`);
  }
}
