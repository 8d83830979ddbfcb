/**
 * One MS-GRPO update: episode returns → group-relative advantages (every step of an episode gets
 * its episode's Â) → |Â|-weighted episode draws → token batch → clipped surrogate → AdamW step.
 * Returns what it did as plain numbers; the trainer decides what to log.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Qwen2Model } from "../model/qwen2.ts";
import { sequenceLogprobs } from "../model/logprob.ts";
import type { AdamW } from "../model/optim.ts";
import { clipByGlobalNorm } from "../model/optim.ts";
import {
  type AdvantageAssignment,
  assignAdvantages,
  buildBatch,
  drawEpisodes,
  episodeReturn,
  lossNormalizer,
  mergeDuplicateRows,
  microBatches,
  ppoClipLoss,
  type TrainingRow,
} from "../msgrpo/mod.ts";
import type { Episode } from "../rollout/types.ts";
import { deriveSeed, Rng } from "../util/rng.ts";
import type { TrainConfig } from "./schema.ts";

/** What one update did. Statistics are null when no optimizer step was taken. */
export interface UpdateOutcome {
  /** Â per episode (pool order). */
  advantages: number[];
  /** Times each episode was drawn. */
  timesDrawn: number[];
  /** Per-group summaries (mean in-group std, zero-variance fraction). */
  assignment: AdvantageAssignment;
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
  /** Completion tokens trained on (with repetitions). */
  tokens: number;
  /** Entropy coefficient the update used. */
  entropyCoef: number;
  /** Whether the update trained the entropy/KL terms alone (every Â was 0; `idle_update`). */
  idle: boolean;
}

/** Per-update settings that change during a run (the trainer's controllers own them). */
export interface UpdateSettings {
  /** Entropy bonus coefficient of this update (default: the config's `entropy_coef`). */
  entropyCoef?: number;
}

/** The objects an update works on. */
export interface UpdateContext {
  /** The policy being trained. */
  model: Qwen2Model;
  /** Its optimizer. */
  optimizer: AdamW;
  /** Frozen reference policy for the KL term (only when `kl_beta > 0`). */
  reference?: Qwen2Model;
}

/**
 * Run one MS-GRPO update on an iteration's episodes.
 *
 * @param ctx model, optimizer and optional reference.
 * @param episodes the iteration's pool (all groups).
 * @param cfg the training config.
 * @param iteration the iteration number (seeds the draws).
 * @returns advantages, draws and update statistics.
 */
export async function msgrpoUpdate(
  ctx: UpdateContext,
  episodes: readonly Episode[],
  cfg: TrainConfig,
  iteration: number,
  settings: UpdateSettings = {},
): Promise<UpdateOutcome> {
  const m = cfg.msgrpo;
  const entropyCoef = settings.entropyCoef ?? m.entropy_coef;
  const scored = episodes.map((e) => ({
    ...e,
    return: episodeReturn(e.steps.map((s) => s.reward), m.gamma),
  }));
  const assignment = assignAdvantages(scored, {
    normalize: m.advantage_norm,
    scope: m.advantage_scope,
  });
  const rng = new Rng(deriveSeed(cfg.seed, iteration, 0xd7a3));
  const drawn = drawEpisodes(assignment.episode, {
    mode: m.sampling,
    draws: m.draws ?? undefined,
    replacement: m.replacement,
    exponent: m.exponent,
    rng,
  });
  const base = {
    advantages: assignment.episode,
    timesDrawn: drawn.timesDrawn,
    assignment,
  };
  const none = {
    ...base,
    updated: false,
    loss: null,
    clipFrac: null,
    approxKl: null,
    refKl: null,
    entropy: null,
    gradNorm: null,
    tokens: 0,
    entropyCoef,
    idle: false,
  };
  // idle_update "regularize": with no policy-gradient signal, every episode enters once with
  // Â = 0, so only the entropy bonus and the reference KL move the policy.
  const regularizers = entropyCoef > 0 || m.kl_beta > 0;
  const idle = drawn.noUpdate && m.idle_update === "regularize" && regularizers;
  const rows = idle
    ? buildBatch(episodes, assignment.episode, episodes.map(() => 1))
    : buildBatch(episodes, assignment.episode, drawn.timesDrawn);
  if ((drawn.noUpdate && !idle) || rows.length === 0) return none;

  const acc = { loss: 0, clip: 0, kl: 0, refKl: 0, ent: 0, tokens: 0, norm: 0, steps: 0 };
  let hasRef = false;
  for (let epoch = 0; epoch < m.epochs; epoch++) {
    const order = epoch === 0
      ? rows
      : new Rng(deriveSeed(cfg.seed, iteration, epoch)).shuffle([...rows]);
    for (const mini of _split(order, m.minibatches)) {
      const r = await _optimizerStep(ctx, mergeDuplicateRows(mini), cfg, entropyCoef);
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
  }
  const perToken = (x: number) => (acc.tokens > 0 ? x / acc.tokens : 0);
  return {
    ...base,
    updated: acc.steps > 0,
    loss: acc.loss / acc.steps,
    clipFrac: perToken(acc.clip),
    approxKl: perToken(acc.kl),
    refKl: hasRef ? perToken(acc.refKl) : null,
    entropy: perToken(acc.ent),
    gradNorm: acc.norm / acc.steps,
    tokens: acc.tokens / m.epochs,
    entropyCoef,
    idle,
  };
}

function _split<T>(items: readonly T[], parts: number): T[][] {
  const n = Math.min(parts, items.length);
  return Array.from(
    { length: n },
    (_, i) =>
      items.slice(Math.floor((i * items.length) / n), Math.floor(((i + 1) * items.length) / n)),
  );
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
 * Accumulate gradients over micro-batches of `rows`, clip, and take one AdamW step. Values are
 * read back asynchronously (WebGPU under Deno has no synchronous reads).
 */
async function _optimizerStep(
  ctx: UpdateContext,
  rows: readonly TrainingRow[],
  cfg: TrainConfig,
  entropyCoef: number,
): Promise<_StepStats> {
  const m = cfg.msgrpo;
  const vars = ctx.model.trainableVariables();
  const normalizer = lossNormalizer(rows);
  const sums = new Map<string, tf.Tensor>();
  const stats = { loss: 0, clip: 0, kl: 0, refKl: 0, ent: 0, tokens: 0, hasRef: false };
  for (const micro of microBatches(rows, m.micro_batch_tokens)) {
    const prompts = micro.map((r) => r.promptIds);
    const completions = micro.map((r) => r.completionIds);
    const ref = ctx.reference && m.kl_beta > 0
      ? tf.tidy(() => sequenceLogprobs(ctx.reference!, prompts, completions).logprobs)
      : undefined;
    const tc = Math.max(1, ...completions.map((c) => c.length));
    const old = tf.tensor2d(
      micro.flatMap((r) => Array.from({ length: tc }, (_, j) => r.oldLogprobs[j] ?? 0)),
      [micro.length, tc],
    );
    const adv = tf.tensor1d(micro.map((r) => r.advantage));
    const w = tf.tensor1d(micro.map((r) => r.weight));
    let out: ReturnType<typeof ppoClipLoss> | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const s = sequenceLogprobs(ctx.model, prompts, completions, { entropy: true });
      const r = ppoClipLoss({
        logprobs: s.logprobs,
        oldLogprobs: old,
        advantages: adv,
        mask: s.mask,
        weights: w,
        clipEps: m.clip_eps,
        clipEpsHigh: m.clip_eps_high ?? undefined,
        refLogprobs: ref,
        klBeta: m.kl_beta,
        entropy: s.entropy,
        entropyCoef,
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
  const { grads: clipped, norm } = await clipByGlobalNorm(named, cfg.optim.grad_clip);
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
