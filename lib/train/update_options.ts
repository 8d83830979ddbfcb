/**
 * A training config's `msgrpo` and `optim` sections as the typed options of the two halves of
 * an update: `prepareUpdate` (returns, advantages, draws, padded rows; `lib/msgrpo/prepare.ts`)
 * and `msgrpoUpdate` (the tensor step; `update.ts`). A new update option is added here and in
 * the half that reads it.
 *
 * @module
 */
import type { PrepareOptions } from "../msgrpo/prepare.ts";
import type { TrainConfig } from "./schema.ts";
import type { UpdateOptions } from "./update.ts";

/**
 * The options of `prepareUpdate` for one iteration.
 *
 * @param cfg the training config.
 * @param iteration the iteration (seeds the draws and shuffles).
 * @param entropyCoef the entropy coefficient of this update (an idle update needs a regularizer).
 * @returns the typed options.
 */
export function prepareOptions(
  cfg: TrainConfig,
  iteration: number,
  entropyCoef: number,
): PrepareOptions {
  const m = cfg.msgrpo;
  return {
    seed: cfg.seed,
    iteration,
    gamma: m.gamma,
    normalize: m.advantage_norm,
    scope: m.advantage_scope,
    solvedAdvantage: m.solved_advantage,
    stepAdvantage: m.step_advantage,
    sampling: m.sampling,
    draws: m.draws ?? undefined,
    replacement: m.replacement,
    exponent: m.exponent,
    zeroAdvantageRows: m.zero_advantage_rows,
    idleUpdate: m.idle_update,
    regularized: entropyCoef > 0 || m.kl_beta > 0,
    epochs: m.epochs,
    minibatches: m.minibatches,
    microBatchTokens: m.micro_batch_tokens,
    klProbeRows: m.kl_guard !== null ? m.kl_probe_rows : 0,
  };
}

/**
 * The options of `msgrpoUpdate`.
 *
 * @param cfg the training config.
 * @param entropyCoef the entropy coefficient of this update (the trainer's controller owns it).
 * @returns the typed options.
 */
export function updateOptions(cfg: TrainConfig, entropyCoef: number): UpdateOptions {
  return {
    clipEps: cfg.msgrpo.clip_eps,
    clipEpsHigh: cfg.msgrpo.clip_eps_high ?? undefined,
    klBeta: cfg.msgrpo.kl_beta,
    entropyCoef,
    gradClip: cfg.optim.grad_clip,
    klGuard: cfg.msgrpo.kl_guard ?? undefined,
    klGuardMode: cfg.msgrpo.kl_guard_mode,
    sharedPrefix: cfg.msgrpo.shared_prefix,
  };
}
