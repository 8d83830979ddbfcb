/**
 * The KL probe of an iteration: a uniform sample of the pool's steps on which the trainer
 * measures how far an update moved the policy from the behaviour policy that played them.
 *
 * Why a sample of the *pool* and not the update's own rows: the rows are drawn ∝ |Â|, so they
 * over-represent the episodes the update pushes hardest (a rare losing answer in a group that
 * mostly won), and after the update they are exactly the tokens it was trained on. The k3
 * estimate (ρ − 1) − log ρ over them is many times the policy's actual shift (on the main job's
 * first iteration, 0.15 nats on the first step's rows against 0.0004 on rows the steps had not
 * seen). Every step of every episode of the pool is equally likely here, so the mean over the
 * probe estimates KL(π_old ‖ π_θ) over the states and answers the behaviour policy actually
 * produced.
 *
 * Draws are without replacement and seeded by (run seed, iteration); steps without completion
 * tokens are skipped. Rows carry weight 1 and advantage 0 (the probe is never trained on).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { klProbeRows } from "./kl_probe.ts";
 * import type { Episode } from "./types.ts";
 * const step = (t: number) => ({ t, promptIds: [1, t], completionIds: [3], completionText: "up",
 *   oldLogprobs: [-0.5], action: 3, valid: true, reward: 0, done: false });
 * const ep: Episode = { iteration: 1, group: 0, index: 0, scenario: "S", initialStateSeed: 1,
 *   dynamicsSeed: 2, steps: [step(0), step(1), step(2)], return: 0, success: false };
 * const rows = klProbeRows([ep], { rows: 2, seed: 7, iteration: 1 });
 * assert.equal(rows.length, 2);
 * assert.deepEqual(rows.map((r) => [r.weight, r.advantage]), [[1, 0], [1, 0]]);
 * assert.equal(klProbeRows([ep], { rows: 10, seed: 7, iteration: 1 }).length, 3);
 * ```
 *
 * @module
 */
import { Rng } from "../util/rng.ts";
import { klProbeSeed } from "../util/seeds.ts";
import type { TrainingRow } from "./batch.ts";
import type { Episode } from "./types.ts";

/** Options of {@link klProbeRows}. */
export interface KlProbeOptions {
  /** Steps to draw (at most the pool's steps with completion tokens); an integer ≥ 1. */
  rows: number;
  /** Run seed. */
  seed: number;
  /** Iteration (with the seed, seeds the draw). */
  iteration: number;
}

/**
 * Draw the probe: `rows` distinct steps of the pool, uniformly, in pool order.
 *
 * @param episodes the iteration's pool.
 * @param opts how many steps, and the seeds of the draw.
 * @returns the probe's rows (episode index, step, prompt, completion, old log-probabilities).
 */
export function klProbeRows(
  episodes: readonly Episode[],
  opts: KlProbeOptions,
): TrainingRow[] {
  if (!Number.isInteger(opts.rows) || opts.rows < 1) {
    throw new Error(`kl_probe.ts klProbeRows: rows must be an integer >= 1, got ${opts.rows}`);
  }
  const all: TrainingRow[] = [];
  episodes.forEach((ep, e) => {
    for (const s of ep.steps) {
      if (s.completionIds.length === 0) continue;
      if (s.oldLogprobs.length !== s.completionIds.length) {
        throw new Error(
          `kl_probe.ts klProbeRows: episode ${e} step ${s.t}: ${s.completionIds.length} ` +
            `completion tokens but ${s.oldLogprobs.length} oldLogprobs`,
        );
      }
      all.push({
        episode: e,
        t: s.t,
        promptIds: s.promptIds,
        completionIds: s.completionIds,
        oldLogprobs: s.oldLogprobs,
        advantage: 0,
        weight: 1,
      });
    }
  });
  if (all.length <= opts.rows) return all;
  const rng = new Rng(klProbeSeed(opts.seed, opts.iteration));
  const picked = rng.shuffle(all.map((_, i) => i)).slice(0, opts.rows).sort((a, b) => a - b);
  return picked.map((i) => all[i]);
}
