/**
 * The tensor step of an MS-GRPO update: for each optimizer step that `lib/msgrpo/prepare.ts`
 * planned (its padded micro-batches), accumulate the clipped-surrogate gradients over the
 * micro-batches, clip their global norm and take one AdamW step. Returns what it did as plain
 * numbers; the trainer decides what to log.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Qwen2Model } from "../model/qwen2.ts";
import { sequenceLogprobs } from "../model/logprob.ts";
import type { AdamW } from "../model/optim.ts";
import { clipByGlobalNorm } from "../model/optim.ts";
import { ppoClipLoss, type PreparedStep, type PreparedUpdate } from "../msgrpo/mod.ts";

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
  /** Global gradient-norm clip. */
  gradClip: number;
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
 * @param prepared what `prepareUpdate` planned (its `steps` are taken in order).
 * @param opts clip ranges, KL and entropy weights, gradient clip.
 * @returns update statistics (null statistics when `prepared.steps` is empty).
 */
export async function msgrpoUpdate(
  ctx: UpdateContext,
  prepared: Pick<PreparedUpdate, "steps">,
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
    };
  }
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
  for (const micro of step.micro) {
    const { prompts, completions } = micro;
    const ref = ctx.reference && opts.klBeta > 0
      ? tf.tidy(() => sequenceLogprobs(ctx.reference!, prompts, completions).logprobs)
      : undefined;
    const old = tf.tensor2d(micro.oldLogprobs, [prompts.length, micro.completionLen]);
    const adv = tf.tensor1d(micro.advantages);
    const w = tf.tensor1d(micro.weights);
    let out: ReturnType<typeof ppoClipLoss> | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const s = sequenceLogprobs(ctx.model, prompts, completions, { entropy: true });
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
