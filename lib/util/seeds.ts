/**
 * Every seed the toolkit derives from a run's seed, in one place. A run is reproducible because
 * each random choice draws from its own stream, named by the integers below; a resumed run
 * derives the same seeds from (seed, iteration) and so writes the same tables.
 *
 * | seed                                | formula                                           | used by                |
 * | ----------------------------------- | ------------------------------------------------- | ---------------------- |
 * | evaluation initial state, dynamics  | k·10⁶ + i (scenario k, episode i)                 | `env/scenarios.ts`     |
 * | training initial state              | 2³⁰ + deriveSeed(seed, iteration, group) mod 2³⁰  | trainer, transcripts   |
 * | training dynamics                   | deriveSeed(seed, iteration, group, episode, 0xd1) | `rollout/groups.ts`    |
 * | training sampling                   | deriveSeed(seed, iteration, 0x5a)                 | `rollout/groups.ts`    |
 * | evaluation sampling                 | deriveSeed(seed, iteration, 0xe7)                 | `rollout/evaluate.ts`  |
 * | decision t of a rollout             | deriveSeed(rollout sampling seed, t)              | `rollout/play.ts`      |
 * | replayed initial states             | deriveSeed(seed, iteration, 0x4e9)                | trainer                |
 * | episode draws                       | deriveSeed(seed, iteration, 0xd7a3)               | `msgrpo/prepare.ts`    |
 * | shuffle of pass k ≥ 1 of an update  | deriveSeed(seed, iteration, k)                    | `msgrpo/prepare.ts`    |
 * | KL probe of an update               | deriveSeed(seed, iteration, 0x6b1e)               | `msgrpo/kl_probe.ts`   |
 * | a mixture's scenario of a group     | deriveSeed(initial-state seed, 0x313)             | `env/mixed.ts`         |
 * | LoRA initialisation                 | deriveSeed(seed, 0x10a)                           | trainer                |
 * | base model: transcript answers      | deriveSeed(seed, 0x7a)                            | `train/transcripts.ts` |
 * | base model: transcript e's dynamics | deriveSeed(seed, e, 1)                            | `train/transcripts.ts` |
 * | base model: pre-training batches    | deriveSeed(seed, 0x9e7)                           | `train/pretrain.ts`    |
 *
 * Evaluation initial states lie below 2³⁰ and training ones in [2³⁰, 2³¹), so training never
 * plays an evaluation episode. Within the model and the policies, row i of a batched call samples
 * from `deriveSeed(call seed, i)` (`model/generate.ts`, `policy/`, `serve/`).
 *
 * @module
 */
import { deriveSeed } from "./rng.ts";

/** First seed of the training range [2³⁰, 2³¹). */
export const TRAINING_SEED_BASE = 0x40000000;

/**
 * An initial-state seed for training, derived from any integers (run seed, iteration, group …).
 *
 * @param parts integers identifying the episode or group.
 * @returns a seed in [2³⁰, 2³¹).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainingStateSeed } from "./seeds.ts";
 * assert.ok(trainingStateSeed(1, 0, 0) >= 2 ** 30);
 * ```
 */
export function trainingStateSeed(...parts: number[]): number {
  return TRAINING_SEED_BASE + (deriveSeed(...parts) % TRAINING_SEED_BASE);
}

/**
 * Seed of the initial state (and dynamics) of evaluation episode `index` of scenario number `k`.
 *
 * @param k the scenario's number in the registry (1 …).
 * @param index the episode (0 …).
 * @returns k·10⁶ + index.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluationStateSeed } from "./seeds.ts";
 * assert.equal(evaluationStateSeed(2, 7), 2_000_007);
 * ```
 */
export function evaluationStateSeed(k: number, index: number): number {
  return k * 1_000_000 + index;
}

/**
 * Dynamics seed of training episode `index` of group `group`.
 *
 * @param seed the run seed.
 * @param iteration the iteration.
 * @param group the group.
 * @param index the episode within its group.
 * @returns the seed.
 */
export function trainingDynamicsSeed(
  seed: number,
  iteration: number,
  group: number,
  index: number,
): number {
  return deriveSeed(seed, iteration, group, index, 0xd1);
}

/**
 * Sampling seed of an iteration's training rollouts.
 *
 * @param seed the run seed.
 * @param iteration the iteration.
 * @returns the seed.
 */
export function trainingSamplingSeed(seed: number, iteration: number): number {
  return deriveSeed(seed, iteration, 0x5a);
}

/**
 * Sampling seed of the evaluation at an iteration.
 *
 * @param seed the run seed.
 * @param iteration the iteration evaluated.
 * @returns the seed.
 */
export function evaluationSamplingSeed(seed: number, iteration: number): number {
  return deriveSeed(seed, iteration, 0xe7);
}

/**
 * Sampling seed of decision `t` of a rollout (every episode of the rollout decides at once).
 *
 * @param rolloutSeed the rollout's sampling seed.
 * @param t the step.
 * @returns the seed.
 */
export function decisionSeed(rolloutSeed: number, t: number): number {
  return deriveSeed(rolloutSeed, t);
}

/**
 * Seed of the choice of replayed initial states at an iteration.
 *
 * @param seed the run seed.
 * @param iteration the iteration.
 * @returns the seed.
 */
export function replaySeed(seed: number, iteration: number): number {
  return deriveSeed(seed, iteration, 0x4e9);
}

/**
 * Seed of an iteration's episode draws.
 *
 * @param seed the run seed.
 * @param iteration the iteration.
 * @returns the seed.
 */
export function drawSeed(seed: number, iteration: number): number {
  return deriveSeed(seed, iteration, 0xd7a3);
}

/**
 * Seed of an iteration's KL probe (the pool steps on which the KL guard measures an update).
 *
 * @param seed the run seed.
 * @param iteration the iteration.
 * @returns the seed.
 */
export function klProbeSeed(seed: number, iteration: number): number {
  return deriveSeed(seed, iteration, 0x6b1e);
}

/**
 * Seed of the shuffle of pass `epoch` (≥ 1) over an iteration's training rows.
 *
 * @param seed the run seed.
 * @param iteration the iteration.
 * @param epoch the pass.
 * @returns the seed.
 */
export function shuffleSeed(seed: number, iteration: number, epoch: number): number {
  return deriveSeed(seed, iteration, epoch);
}

/**
 * The seed from which a scenario mixture picks the scenario of a group.
 *
 * @param initialStateSeed the group's initial-state seed.
 * @returns the seed (the pick is this modulo the mixture's length).
 */
export function mixturePickSeed(initialStateSeed: number): number {
  return deriveSeed(initialStateSeed, 0x313);
}

/**
 * Seed of the LoRA adapters' initialisation.
 *
 * @param seed the run seed.
 * @returns the seed.
 */
export function loraSeed(seed: number): number {
  return deriveSeed(seed, 0x10a);
}

/**
 * Seed of the answers (random or planner moves) of the base model's transcripts.
 *
 * @param seed the base model's seed.
 * @returns the seed.
 */
export function transcriptSeed(seed: number): number {
  return deriveSeed(seed, 0x7a);
}

/**
 * Dynamics seed of transcript episode `episode` (its initial state is
 * `trainingStateSeed(seed, episode)`).
 *
 * @param seed the base model's seed.
 * @param episode the transcript episode.
 * @returns the seed.
 */
export function transcriptDynamicsSeed(seed: number, episode: number): number {
  return deriveSeed(seed, episode, 1);
}

/**
 * Seed of the pre-training batches of the base model.
 *
 * @param seed the base model's seed.
 * @returns the seed.
 */
export function pretrainSeed(seed: number): number {
  return deriveSeed(seed, 0x9e7);
}
