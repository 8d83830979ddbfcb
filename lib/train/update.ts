/**
 * The tensor step of an MS-GRPO update: for each optimizer step that `lib/msgrpo/prepare.ts`
 * planned (its padded micro-batches), accumulate the clipped-surrogate gradients over the
 * micro-batches, clip their global norm and take one AdamW step. Returns what it did as plain
 * numbers; the trainer decides what to log.
 *
 * **KL guard** (`klGuard`, config `msgrpo.kl_guard`; off by default). After the iteration's
 * steps, the k3 estimate of KL(π_old ‖ π_θ) is measured on the KL probe, a uniform sample of the
 * pool's steps (`lib/msgrpo/kl_probe.ts`); if it exceeds `klGuard` nats, the whole update is undone
 * (parameters and optimizer moments as before it): a trust region by rejection. With
 * `klGuardMode: "shrink"` the parameter change is halved instead until the probe KL is under the
 * guard (a backtracking line search, as TRPO's), so a policy that needs a large repair still moves. Without it a rare
 * update moved the 4-layer policy by half a nat at once and left it writing one fixed action for
 * the rest of the run (`docs/algorithm.md`, "Fourth round").
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Qwen2Model } from "../model/qwen2.ts";
import { sequenceLogprobs } from "../model/logprob.ts";
import type { AdamW, AdamWSnapshot } from "../model/optim.ts";
import { clipByGlobalNorm } from "../model/optim.ts";
import {
  type PaddedRows,
  ppoClipLoss,
  type PreparedStep,
  type PreparedUpdate,
} from "../msgrpo/mod.ts";

/** What one update did. Statistics are null when no optimizer step was taken. */
export interface UpdateOutcome {
  /** Whether at least one optimizer step was taken. */
  updated: boolean;
  /** Mean loss over the optimizer steps. */
  loss: number | null;
  /** Fraction of tokens whose ratio was clipped. */
  clipFrac: number | null;
  /** k3 estimate of KL(π_old ‖ π_θ). */
  approxKl: number | null;
  /** k3 estimate of KL(π_θ ‖ π_ref) (null without a reference). */
  refKl: number | null;
  /** Mean token entropy. */
  entropy: number | null;
  /** Mean global gradient norm before clipping. */
  gradNorm: number | null;
  /** Completion tokens trained on per pass (with repetitions). */
  tokens: number;
  /** Entropy coefficient the update used. */
  entropyCoef: number;
  /** k3 KL(π_old ‖ π_θ) on the KL probe after the update's steps (null without the guard). */
  probeKl: number | null;
  /**
   * Fraction of the update's parameter change the KL guard kept: 1 (all), 0.5^k (shrunk), 0
   * (undone); null without the guard.
   */
  stepScale: number | null;
  /** Whether the KL guard undid the update (`stepScale` 0). */
  rolledBack: boolean;
}

/** Options of the tensor step (the loss and optimizer part of a training config, typed). */
export interface UpdateOptions {
  /** PPO clip range ε (lower, and upper unless `clipEpsHigh`). */
  clipEps: number;
  /** Upper clip range ε_high (clip-higher; default `clipEps`). */
  clipEpsHigh?: number;
  /** Weight β of the reference KL term (0: none). */
  klBeta: number;
  /** Entropy bonus coefficient of this update. */
  entropyCoef: number;
  /**
   * The completion tokens the entropy bonus applies to, as a 0/1 mask per token (e.g.
   * `decisionMasker`'s decision tokens); default every token.
   */
  entropyMask?: (completionIds: readonly number[]) => readonly number[];
  /** Global gradient-norm clip. */
  gradClip: number;
  /**
   * KL guard: undo the update when the k3 KL to the behaviour policy on the KL probe exceeds
   * this many nats (see the module doc; undefined: off).
   */
  klGuard?: number;
  /**
   * What the guard does with an update above it (default `"undo"`): `"undo"` restores parameters
   * and optimizer moments; `"shrink"` halves the parameter change (up to
   * {@link KL_GUARD_HALVINGS} times, moments kept) until the probe KL is under the guard, and
   * undoes the update only if it never is.
   */
  klGuardMode?: "undo" | "shrink";
  /** Compute each micro-batch's common prompt prefix once (`sequenceLogprobs`' `sharedPrefix`). */
  sharedPrefix?: boolean;
}

/** The objects an update works on. */
export interface UpdateContext {
  /** The policy being trained. */
  model: Qwen2Model;
  /** Its optimizer. */
  optimizer: AdamW;
  /** Frozen reference policy for the KL term (only when `klBeta > 0`). */
  reference?: Qwen2Model;
}

/**
 * Take the optimizer steps of a prepared update.
 *
 * @param ctx model, optimizer and optional reference.
 * @param prepared what `prepareUpdate` planned (its `steps` are taken in order; its `probe`
 *   measures the update for the KL guard).
 * @param opts clip ranges, KL and entropy weights, gradient clip.
 * @returns update statistics (null statistics when `prepared.steps` is empty).
 */
export async function msgrpoUpdate(
  ctx: UpdateContext,
  prepared: Pick<PreparedUpdate, "steps"> & Partial<Pick<PreparedUpdate, "probe">>,
  opts: UpdateOptions,
): Promise<UpdateOutcome> {
  const entropyCoef = opts.entropyCoef;
  if (prepared.steps.length === 0) {
    return {
      updated: false,
      loss: null,
      clipFrac: null,
      approxKl: null,
      refKl: null,
      entropy: null,
      gradNorm: null,
      tokens: 0,
      entropyCoef,
      probeKl: null,
      stepScale: null,
      rolledBack: false,
    };
  }
  const guard = opts.klGuard;
  if (guard !== undefined && !(guard > 0)) {
    throw new Error(`msgrpoUpdate: klGuard must be > 0 nats, got ${guard}`);
  }
  const probe = prepared.probe ?? [];
  if (guard !== undefined && probe.length === 0) {
    throw new Error("msgrpoUpdate: klGuard needs the KL probe (prepareUpdate's klProbeRows)");
  }
  const before = guard !== undefined ? ctx.optimizer.snapshot() : undefined;
  const acc = { loss: 0, clip: 0, kl: 0, refKl: 0, ent: 0, tokens: 0, norm: 0, steps: 0 };
  let hasRef = false;
  for (const step of prepared.steps) {
    const r = await _optimizerStep(ctx, step, opts);
    acc.loss += r.loss;
    acc.clip += r.clipFrac * r.tokens;
    acc.kl += r.approxKl * r.tokens;
    acc.ent += r.entropy * r.tokens;
    if (r.refKl !== null) {
      acc.refKl += r.refKl * r.tokens;
      hasRef = true;
    }
    acc.tokens += r.tokens;
    acc.norm += r.gradNorm;
    acc.steps++;
  }
  let probeKl: number | null = null, stepScale: number | null = null;
  if (before !== undefined) {
    const measure = () => behaviourKl(ctx.model, probe, { sharedPrefix: opts.sharedPrefix });
    probeKl = await measure();
    stepScale = probeKl > guard!
      ? await _shrinkOrUndo(ctx.optimizer, before, guard!, opts, measure)
      : 1;
    before.dispose();
  }
  const epochs = prepared.steps[prepared.steps.length - 1].epoch + 1;
  const perToken = (x: number) => (acc.tokens > 0 ? x / acc.tokens : 0);
  return {
    updated: true,
    loss: acc.loss / acc.steps,
    clipFrac: perToken(acc.clip),
    approxKl: perToken(acc.kl),
    refKl: hasRef ? perToken(acc.refKl) : null,
    entropy: perToken(acc.ent),
    gradNorm: acc.norm / acc.steps,
    tokens: acc.tokens / epochs,
    entropyCoef,
    probeKl,
    stepScale,
    rolledBack: stepScale === 0,
  };
}

interface _StepStats {
  loss: number;
  clipFrac: number;
  approxKl: number;
  refKl: number | null;
  entropy: number;
  tokens: number;
  gradNorm: number;
}

/**
 * Accumulate gradients over a step's micro-batches, clip, and take one AdamW step. Values are
 * read back asynchronously (WebGPU under Deno has no synchronous reads).
 */
async function _optimizerStep(
  ctx: UpdateContext,
  step: PreparedStep,
  opts: UpdateOptions,
): Promise<_StepStats> {
  const vars = ctx.model.trainableVariables();
  const normalizer = step.normalizer;
  const sums = new Map<string, tf.Tensor>();
  const stats = { loss: 0, clip: 0, kl: 0, refKl: 0, ent: 0, tokens: 0, hasRef: false };
  const score = { sharedPrefix: opts.sharedPrefix ?? false };
  for (const micro of step.micro) {
    const { prompts, completions } = micro;
    const ref = ctx.reference && opts.klBeta > 0
      ? tf.tidy(() => sequenceLogprobs(ctx.reference!, prompts, completions, score).logprobs)
      : undefined;
    const old = tf.tensor2d(micro.oldLogprobs, [prompts.length, micro.completionLen]);
    const adv = tf.tensor1d(micro.advantages);
    const w = tf.tensor1d(micro.weights);
    const bonusMask = opts.entropyMask && opts.entropyCoef !== 0
      ? _entropyMaskTensor(micro.completions, micro.completionLen, opts.entropyMask)
      : undefined;
    let out: ReturnType<typeof ppoClipLoss> | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const s = sequenceLogprobs(ctx.model, prompts, completions, { ...score, entropy: true });
      const r = ppoClipLoss({
        logprobs: s.logprobs,
        oldLogprobs: old,
        advantages: adv,
        mask: s.mask,
        weights: w,
        clipEps: opts.clipEps,
        clipEpsHigh: opts.clipEpsHigh,
        refLogprobs: ref,
        klBeta: opts.klBeta,
        entropy: s.entropy,
        entropyCoef: opts.entropyCoef,
        entropyMask: bonusMask,
        normalizer,
        deferStats: true,
      });
      out = r;
      return r.loss;
    }, vars);
    stats.loss += (await value.data())[0];
    value.dispose();
    for (const [name, g] of Object.entries(grads)) {
      const prev = sums.get(name);
      if (prev) {
        sums.set(name, tf.add(prev, g));
        prev.dispose();
        g.dispose();
      } else sums.set(name, g);
    }
    tf.dispose([old, adv, w]);
    bonusMask?.dispose();
    ref?.dispose();
    const st = await out!.readStats();
    stats.clip += st.clipFrac * st.tokens;
    stats.kl += st.approxKl * st.tokens;
    stats.ent += (st.entropy ?? 0) * st.tokens;
    if (st.refKl !== null) {
      stats.refKl += st.refKl * st.tokens;
      stats.hasRef = true;
    }
    stats.tokens += st.tokens;
  }
  const named = Object.fromEntries(sums);
  const { grads: clipped, norm } = await clipByGlobalNorm(named, opts.gradClip);
  ctx.optimizer.step(vars, clipped);
  tf.dispose(Object.values(named));
  tf.dispose(Object.values(clipped));
  const t = Math.max(stats.tokens, 1e-12);
  return {
    loss: stats.loss,
    clipFrac: stats.clip / t,
    approxKl: stats.kl / t,
    refKl: stats.hasRef ? stats.refKl / t : null,
    entropy: stats.ent / t,
    tokens: stats.tokens,
    gradNorm: norm,
  };
}

/** The [B, T] 0/1 tensor of a micro-batch's entropy-bonus tokens (padding stays 0). */
function _entropyMaskTensor(
  completions: readonly number[][],
  width: number,
  entropyMask: (completionIds: readonly number[]) => readonly number[],
): tf.Tensor2D {
  const values = new Float32Array(completions.length * width);
  completions.forEach((ids, b) => {
    const mask = entropyMask(ids);
    if (mask.length !== ids.length) {
      throw new Error(
        `msgrpoUpdate: entropyMask gave ${mask.length} values for a ${ids.length}-token completion`,
      );
    }
    values.set(mask, b * width);
  });
  return tf.tensor2d(values, [completions.length, width]);
}

/** Most halvings of an update's parameter change the `"shrink"` KL guard tries (1/32 of it). */
export const KL_GUARD_HALVINGS = 5;

/**
 * An update measured above the KL guard: with `"shrink"`, move the parameters back to
 * before + 0.5^k · (after − before) for k = 1 … {@link KL_GUARD_HALVINGS} and keep the first that
 * measures under the guard; otherwise (or if none does) restore the snapshot. Returns the fraction
 * of the change kept (0: undone).
 */
async function _shrinkOrUndo(
  optimizer: AdamW,
  before: AdamWSnapshot,
  guard: number,
  opts: UpdateOptions,
  measure: () => Promise<number>,
): Promise<number> {
  if ((opts.klGuardMode ?? "undo") === "shrink") {
    const after = optimizer.vars.map((v) => tf.clone(v));
    try {
      for (let k = 1; k <= KL_GUARD_HALVINGS; k++) {
        const a = 0.5 ** k;
        optimizer.vars.forEach((v, i) => {
          const moved = tf.tidy(() =>
            tf.add(before.params[i], tf.mul(tf.sub(after[i], before.params[i]), a))
          );
          v.assign(moved);
          moved.dispose();
        });
        if (await measure() <= guard) return a;
      }
    } finally {
      tf.dispose(after);
    }
  }
  optimizer.restore(before);
  return 0;
}

/**
 * The k3 estimate of KL(π_old ‖ π_θ), the mean of (ρ − 1) − log ρ over the completion tokens of
 * `rows` weighted by their weights, by a forward pass without gradients.
 *
 * @param model the policy π_θ.
 * @param rows padded micro-batches whose old log-probabilities are π_old's (e.g. the KL probe).
 * @param opts `sharedPrefix`: compute each micro-batch's common prompt prefix once.
 * @returns the estimate in nats (0 for rows without tokens).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../engine/backend.ts";
 * import { parseConfig } from "../model/config.ts";
 * import { randomWeights } from "../model/make_model.ts";
 * import { Qwen2Model } from "../model/qwen2.ts";
 * import { sequenceLogprobs } from "../model/logprob.ts";
 * import { behaviourKl } from "./update.ts";
 * await initBackend("cpu");
 * const config = parseConfig({ model_type: "qwen2", vocab_size: 8, hidden_size: 8,
 *   num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 8 });
 * const model = Qwen2Model.fromWeights(config, randomWeights(config, { seed: 1 }));
 * const own = sequenceLogprobs(model, [[1, 2]], [[3]]).logprobs.dataSync()[0];
 * const rows = (old: number) => [{ prompts: [[1, 2]], completions: [[3]], completionLen: 1,
 *   oldLogprobs: new Float32Array([old]), advantages: new Float32Array([0]),
 *   weights: new Float32Array([1]) }];
 * // the policy that produced the log-probability is at distance 0 from itself
 * assert.ok(Math.abs(await behaviourKl(model, rows(own))) < 1e-6);
 * // ρ = 2: (2 − 1) − log 2
 * assert.ok(Math.abs(await behaviourKl(model, rows(own - Math.log(2))) - (1 - Math.log(2))) < 1e-5);
 * ```
 */
export async function behaviourKl(
  model: Qwen2Model,
  rows: readonly PaddedRows[],
  opts: { sharedPrefix?: boolean } = {},
): Promise<number> {
  let kl = 0, tokens = 0;
  for (const micro of rows) {
    const packed = tf.tidy(() => {
      const s = sequenceLogprobs(model, micro.prompts, micro.completions, opts);
      const old = tf.tensor2d(micro.oldLogprobs, [micro.prompts.length, micro.completionLen]);
      const logRatio = tf.sub(s.logprobs, old);
      const k3 = tf.sub(tf.sub(tf.exp(logRatio), 1), logRatio);
      const wm = tf.mul(s.mask, tf.expandDims(tf.tensor1d(micro.weights), 1));
      return tf.stack([tf.sum(tf.mul(wm, k3)), tf.sum(wm)]);
    });
    const [k, t] = await packed.data();
    packed.dispose();
    kl += k;
    tokens += t;
  }
  return tokens > 0 ? kl / tokens : 0;
}
