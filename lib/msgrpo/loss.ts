/**
 * The per-token PPO clipped surrogate of MS-GRPO (step 6 of an iteration), differentiable in
 * tfjs.
 *
 * Per completion token with ratio ρ = exp(log π_θ − log π_old) and its sequence's advantage Â:
 *
 *     ℓ = max(−Â ρ, −Â clip(ρ, 1 − ε_low, 1 + ε_high)) + β · KL_k3(π_θ ‖ π_ref) − c · H
 *
 * aggregated by default as Σ w·m·ℓ / Σ w·m over every token of the batch (m = token mask,
 * w = the row's repetition count, so a row of weight 2 counts exactly like the row twice).
 * For micro-batching pass `normalizer` = the full batch's Σ w·m (see `lossNormalizer` in
 * batch.ts): the micro-batch losses then sum to the full-batch loss.
 *
 * Numerical guards (as in verl): the log-ratio and the reference log-difference are clamped to
 * [−20, 20] before `exp`, and the per-token reference KL to [−10, 10]; padded positions are
 * masked before `exp`, so arbitrary values there never produce NaN.
 *
 * The gradient is analytic (`tf.customGrad`) with respect to `logprobs` and `entropy`; every
 * other input is a constant. It matches autodiff of the formula above: −Â·ρ·a on tokens whose
 * unclipped branch is active, 0 where the clipped branch is active, β·(1 − π_ref/π_θ)·a from the
 * KL term and −c·a for the entropy (a = the token's aggregation weight). This keeps the loss
 * independent of tfjs's gradient registry. Call it inside `tf.tidy` or a gradient function:
 * intermediate tensors are released by the forward pass, the loss scalar is the caller's.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { LossAggregation } from "./types.ts";

/** Inputs and options of {@link ppoClipLoss}. */
export interface PpoClipLossInput {
  /** [B, T] log π_θ of each completion token (the tensor to differentiate). */
  logprobs: tf.Tensor2D;
  /** [B, T] log π_old of each completion token (treated as a constant). */
  oldLogprobs: tf.Tensor2D;
  /** [B] advantage of each row. */
  advantages: tf.Tensor1D;
  /** [B, T] 1 for real completion tokens, 0 for padding. */
  mask: tf.Tensor2D;
  /** [B] repetition count of each row (default all 1). */
  weights?: tf.Tensor1D;
  /** Lower clip ε_low (and upper unless `clipEpsHigh` is given); default 0.2. */
  clipEps?: number;
  /** Upper clip ε_high (default `clipEps`). */
  clipEpsHigh?: number;
  /** [B, T] log π_ref of each token; needed for the reference KL term and statistic. */
  refLogprobs?: tf.Tensor2D;
  /** Coefficient β of the k3 KL to the reference (default 0). */
  klBeta?: number;
  /** [B, T] entropy of π_θ at each completion position, for the bonus and the statistic. */
  entropy?: tf.Tensor2D;
  /** Coefficient c of the entropy bonus (default 0). */
  entropyCoef?: number;
  /**
   * [B, T] 0/1: the tokens the bonus applies to (default: every completion token). The entropy
   * statistic stays the mean over every token.
   */
  entropyMask?: tf.Tensor2D;
  /** Aggregation (default `"token-mean"`). */
  aggregation?: LossAggregation;
  /**
   * Denominator of the aggregation (default: this batch's own Σ w·m for `"token-mean"`, Σ w over
   * rows with at least one token for `"seq-mean-token-mean"`). Give the full batch's value when
   * micro-batching.
   */
  normalizer?: number;
  /** Compute `stats` (one small device read); default true. */
  computeStats?: boolean;
  /**
   * Leave the statistics on the device: `stats` stays zero until {@link PpoClipLossResult.readStats}
   * reads them asynchronously (backends without synchronous reads, e.g. WebGPU under Deno).
   * Default false (`stats` is filled during the forward pass).
   */
  deferStats?: boolean;
}

/**
 * Statistics of one call, each a weighted token mean Σ w·m·x / Σ w·m over this call's tokens
 * (whatever the aggregation), so micro-batches combine by weighting with `tokens`.
 */
export interface PpoClipStats {
  /** Mean clipped surrogate (the policy-gradient part of the loss). */
  pgLoss: number;
  /** Fraction of tokens where the clipped branch is the active one. */
  clipFrac: number;
  /** Mean k3 estimate of KL(π_old ‖ π_θ): (ρ − 1) − log ρ. */
  approxKl: number;
  /** Mean k3 estimate of KL(π_θ ‖ π_ref): exp(d) − d − 1 with d = log π_ref − log π_θ; null without `refLogprobs`. */
  refKl: number | null;
  /** Mean entropy; null without `entropy`. */
  entropy: number | null;
  /** Σ w·m: weighted number of tokens in this call. */
  tokens: number;
}

/** Result of {@link ppoClipLoss}. */
export interface PpoClipLossResult {
  /** The scalar loss to minimise. */
  loss: tf.Scalar;
  /** Statistics (zeros/null when `computeStats` is false or until `readStats` with `deferStats`). */
  stats: PpoClipStats;
  /** Fill `stats` (reading deferred statistics from the device once) and return it. */
  readStats(): Promise<PpoClipStats>;
}

/**
 * PPO clipped surrogate loss with optional reference KL and entropy bonus.
 *
 * @param input tensors and options (see {@link PpoClipLossInput}).
 * @returns the scalar loss and its statistics.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../engine/backend.ts";
 * import { ppoClipLoss } from "./loss.ts";
 * await initBackend("cpu");
 * const old = tf.tensor2d([[-1, -2]]);
 * const { loss, stats } = ppoClipLoss({
 *   logprobs: old.clone(), oldLogprobs: old, advantages: tf.tensor1d([0.5]), mask: tf.ones([1, 2]),
 * });
 * assert.deepEqual([loss.dataSync()[0], stats.clipFrac], [-0.5, 0]);
 * ```
 */
export function ppoClipLoss(input: PpoClipLossInput): PpoClipLossResult {
  const clipEps = input.clipEps ?? 0.2;
  const clipEpsHigh = input.clipEpsHigh ?? clipEps;
  const klBeta = input.klBeta ?? 0;
  const entropyCoef = input.entropyCoef ?? 0;
  const aggregation = input.aggregation ?? "token-mean";
  const computeStats = input.computeStats ?? true;
  const deferStats = input.deferStats ?? false;
  let deferred: tf.Tensor | null = null;
  _checkInput(input, clipEps, clipEpsHigh, klBeta, entropyCoef, aggregation);
  const stats: PpoClipStats = {
    pgLoss: 0,
    clipFrac: 0,
    approxKl: 0,
    refKl: null,
    entropy: null,
    tokens: 0,
  };
  let hasRef = false, hasEnt = false;
  const fill = (values: ArrayLike<number>) => {
    stats.pgLoss = values[0];
    stats.clipFrac = values[1];
    stats.approxKl = values[2];
    stats.refKl = hasRef ? values[3] : null;
    stats.entropy = hasEnt ? values[4] : null;
    stats.tokens = values[5];
  };
  const readStats = async (): Promise<PpoClipStats> => {
    if (deferred !== null) {
      const t: tf.Tensor = deferred;
      deferred = null;
      fill(await t.data());
      t.dispose();
    }
    return stats;
  };
  const forward = (lp: tf.Tensor, ent: tf.Tensor | null, save: tf.GradSaveFunc) => {
    const mask = input.mask;
    const [B] = lp.shape;
    const w = input.weights ?? tf.ones([B]);
    const wm = tf.mul(mask, tf.expandDims(w, 1));
    const tokens = tf.sum(wm);
    // a[b,t] = ∂loss/∂ℓ[b,t]: the aggregation weight of each token
    const a = _aggregationWeights(mask, w, wm, tokens, aggregation, input.normalizer);

    const rawLogRatio = tf.mul(tf.sub(lp, input.oldLogprobs), mask);
    const logRatio = tf.clipByValue(rawLogRatio, -20, 20);
    const ratio = tf.exp(logRatio);
    const adv = tf.expandDims(input.advantages, 1);
    const pg1 = tf.neg(tf.mul(adv, ratio));
    const pg2 = tf.neg(tf.mul(adv, tf.clipByValue(ratio, 1 - clipEps, 1 + clipEpsHigh)));
    const pg = tf.maximum(pg1, pg2);
    // ∂pg/∂lp: −Â·ρ where the unclipped branch is active (ρ inside the clip range or on the
    // pessimistic side), 0 where the clipped branch is active or the log-ratio is clamped.
    const unclipped = tf.greaterEqual(pg1, pg2);
    const inRange = tf.lessEqual(tf.abs(rawLogRatio), 20);
    let gLp: tf.Tensor = tf.where(
      tf.logicalAnd(unclipped, inRange),
      tf.mul(tf.neg(tf.mul(adv, ratio)), mask),
      tf.zerosLike(ratio),
    );

    let tokenLoss: tf.Tensor = pg;
    let refKl: tf.Tensor | null = null;
    if (input.refLogprobs) {
      const rawD = tf.mul(tf.sub(input.refLogprobs, lp), mask);
      const d = tf.clipByValue(rawD, -20, 20);
      const expD = tf.exp(d);
      const rawKl = tf.sub(tf.sub(expD, d), 1);
      refKl = tf.clipByValue(rawKl, -10, 10);
      if (klBeta !== 0) {
        tokenLoss = tf.add(tokenLoss, tf.mul(refKl, klBeta));
        // ∂k3/∂lp = 1 − exp(d) (d = ref − lp), 0 where d or the KL is clamped
        const live = tf.logicalAnd(tf.lessEqual(tf.abs(rawD), 20), tf.lessEqual(rawKl, 10));
        const gKl = tf.where(live, tf.mul(tf.sub(1, expD), mask), tf.zerosLike(expD));
        gLp = tf.add(gLp, tf.mul(gKl, klBeta));
      }
    }
    const bonusWeight = input.entropyMask ? tf.mul(input.entropyMask, -entropyCoef) : -entropyCoef;
    if (ent && entropyCoef !== 0) tokenLoss = tf.add(tokenLoss, tf.mul(ent, bonusWeight));
    const loss = tf.sum(tf.mul(a, tokenLoss)) as tf.Scalar;

    if (computeStats) {
      const den = tf.maximum(tokens, 1e-20);
      const mean = (x: tf.Tensor) => tf.div(tf.sum(tf.mul(wm, x)), den);
      const packed = tf.stack([
        mean(pg),
        mean(tf.cast(tf.greater(pg2, pg1), "float32")),
        mean(tf.sub(tf.sub(ratio, 1), logRatio)),
        refKl ? mean(refKl) : tf.scalar(0),
        ent ? mean(ent) : tf.scalar(0),
        tokens,
      ]);
      hasRef = refKl !== null;
      hasEnt = ent !== null;
      if (deferStats) deferred = tf.keep(packed);
      else fill(packed.dataSync());
    }
    // saved: ∂loss/∂logprobs (and ∂loss/∂entropy), scaled by dy in the backward pass
    save(ent ? [tf.mul(a, gLp), tf.mul(a, bonusWeight)] : [tf.mul(a, gLp)]);
    return {
      value: loss,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => saved.map((g) => tf.mul(dy, g)),
    };
  };
  const entropy = input.entropy;
  const loss = entropy
    ? tf.customGrad((lp, ent, save) =>
      forward(lp as tf.Tensor, ent as tf.Tensor, save as tf.GradSaveFunc)
    )(input.logprobs, entropy)
    : tf.customGrad((lp, save) => forward(lp as tf.Tensor, null, save as tf.GradSaveFunc))(
      input.logprobs,
    );
  return { loss, stats, readStats };
}

/**
 * Per-token aggregation weights a[b,t] so that loss = Σ a·ℓ: w·m/D for token-mean,
 * w·m/(n_b·D) for seq-mean-token-mean (n_b = tokens of row b; rows without tokens weigh 0).
 */
function _aggregationWeights(
  mask: tf.Tensor,
  w: tf.Tensor,
  wm: tf.Tensor,
  tokens: tf.Tensor,
  aggregation: LossAggregation,
  normalizer: number | undefined,
): tf.Tensor {
  if (aggregation === "token-mean") return tf.div(wm, normalizer ?? tf.maximum(tokens, 1e-20));
  const rowTokens = tf.sum(mask, 1);
  const live = tf.mul(w, tf.cast(tf.greater(rowTokens, 0), "float32"));
  const den = normalizer ?? tf.maximum(tf.sum(live), 1e-20);
  const rowWeight = tf.div(live, tf.mul(tf.maximum(rowTokens, 1), den));
  return tf.mul(mask, tf.expandDims(rowWeight, 1));
}

function _checkInput(
  input: PpoClipLossInput,
  clipEps: number,
  clipEpsHigh: number,
  klBeta: number,
  entropyCoef: number,
  aggregation: string,
): void {
  const shape = input.logprobs.shape;
  const same = (name: string, t: tf.Tensor | undefined) => {
    if (t && (t.rank !== 2 || t.shape[0] !== shape[0] || t.shape[1] !== shape[1])) {
      throw new Error(`loss.ts ppoClipLoss: ${name} has shape [${t.shape}], expected [${shape}]`);
    }
  };
  if (input.logprobs.rank !== 2) {
    throw new Error(`loss.ts ppoClipLoss: logprobs must be [B, T], got [${shape}]`);
  }
  same("oldLogprobs", input.oldLogprobs);
  same("mask", input.mask);
  same("refLogprobs", input.refLogprobs);
  same("entropy", input.entropy);
  same("entropyMask", input.entropyMask);
  for (const [name, t] of [["advantages", input.advantages], ["weights", input.weights]] as const) {
    if (t && (t.rank !== 1 || t.shape[0] !== shape[0])) {
      throw new Error(
        `loss.ts ppoClipLoss: ${name} has shape [${t.shape}], expected [${shape[0]}]`,
      );
    }
  }
  if (!(clipEps > 0 && clipEps < 1)) {
    throw new Error(`loss.ts ppoClipLoss: clipEps must be in (0, 1), got ${clipEps}`);
  }
  if (!(clipEpsHigh > 0 && Number.isFinite(clipEpsHigh))) {
    throw new Error(
      `loss.ts ppoClipLoss: clipEpsHigh must be a finite number > 0, got ${clipEpsHigh}`,
    );
  }
  if (!(klBeta >= 0 && Number.isFinite(klBeta))) {
    throw new Error(`loss.ts ppoClipLoss: klBeta must be a finite number >= 0, got ${klBeta}`);
  }
  if (klBeta > 0 && !input.refLogprobs) {
    throw new Error(`loss.ts ppoClipLoss: klBeta is ${klBeta} but refLogprobs is missing`);
  }
  if (!Number.isFinite(entropyCoef)) {
    throw new Error(`loss.ts ppoClipLoss: entropyCoef must be finite, got ${entropyCoef}`);
  }
  if (entropyCoef !== 0 && !input.entropy) {
    throw new Error(`loss.ts ppoClipLoss: entropyCoef is ${entropyCoef} but entropy is missing`);
  }
  if (aggregation !== "token-mean" && aggregation !== "seq-mean-token-mean") {
    throw new Error(`loss.ts ppoClipLoss: unknown aggregation ${aggregation}`);
  }
  if (
    input.normalizer !== undefined && !(input.normalizer > 0 && Number.isFinite(input.normalizer))
  ) {
    throw new Error(
      `loss.ts ppoClipLoss: normalizer must be a finite number > 0, got ${input.normalizer}`,
    );
  }
}
