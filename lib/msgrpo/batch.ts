/**
 * From drawn episodes to training rows, micro-batches and padded arrays.
 *
 * Every step of a drawn episode becomes one {@link TrainingRow} (its prompt, its completion, the
 * old log-probabilities and the episode's advantage). An episode drawn k times is not copied k
 * times: its rows carry `weight = k`, which the loss counts as k repetitions. Steps with an empty
 * completion are skipped (they have no token to train). Rows reference the episodes' arrays
 * rather than copying them.
 *
 * @module
 */
import type { Episode, LossAggregation } from "./types.ts";

/** One step of a drawn episode, ready for the loss. */
export interface TrainingRow {
  /** Index of the episode in the pool. */
  episode: number;
  /** Time step of the step within its episode. */
  t: number;
  /** Prompt token ids (not trained). */
  promptIds: number[];
  /** Completion token ids (trained). */
  completionIds: number[];
  /** log π_old per completion token. */
  oldLogprobs: number[];
  /** The episode's advantage Â_e. */
  advantage: number;
  /** Repetition count: how many times the episode was drawn (≥ 1). */
  weight: number;
}

/** The rows of one micro-batch with their per-token arrays padded to one width, ready for tensors. */
export interface PaddedRows {
  /** Prompt ids per row (the model pads its own input). */
  prompts: number[][];
  /** Completion ids per row. */
  completions: number[][];
  /** T = max(1, longest completion): the width of the model's per-token scores. */
  completionLen: number;
  /** [B, T] row-major old log-probabilities, right-padded with 0. */
  oldLogprobs: Float32Array;
  /** [B] advantages. */
  advantages: Float32Array;
  /** [B] repetition counts. */
  weights: Float32Array;
}

/**
 * Merge rows that would contribute identically to the loss: the same prompt, the same completion
 * and advantages of the same sign become one row with weight W = Σ w and advantage Σ w·Â / W.
 *
 * Exact for the clipped surrogate: for advantages of one sign, max(−Âρ, −Â·clip(ρ)) is Â times a
 * term that depends only on the tokens, so the weighted sum over the merged rows is unchanged; the
 * entropy and KL terms and the token count Σ w·m depend on the tokens and weights only. The merged
 * row keeps the first row's old log-probabilities (the same tokens scored by the same policy; batched
 * generation can differ in the last float bits). A group of episodes from one initial state repeats
 * the same states and answers many times, so this shrinks an update's batch several-fold.
 *
 * @param rows training rows (e.g. one mini-batch).
 * @returns merged rows, in order of first appearance.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergeDuplicateRows } from "./batch.ts";
 * const row = (advantage: number, weight: number) => ({ episode: 0, t: 0, promptIds: [1, 2],
 *   completionIds: [3], oldLogprobs: [-0.5], advantage, weight });
 * const merged = mergeDuplicateRows([row(1, 1), row(0.5, 2), row(-1, 1)]);
 * assert.deepEqual(merged.map((r) => [r.weight, r.advantage]), [[3, 2 / 3], [1, -1]]);
 * ```
 */
export function mergeDuplicateRows(rows: readonly TrainingRow[]): TrainingRow[] {
  const merged = new Map<string, { row: TrainingRow; sum: number }>();
  for (const r of rows) {
    const key = `${r.advantage < 0 ? "-" : "+"}${r.promptIds.join(",")}|${
      r.completionIds.join(",")
    }`;
    const m = merged.get(key);
    if (m === undefined) {
      merged.set(key, { row: { ...r }, sum: r.weight * r.advantage });
    } else {
      m.row.weight += r.weight;
      m.sum += r.weight * r.advantage;
    }
  }
  return [...merged.values()].map(({ row, sum }) => ({ ...row, advantage: sum / row.weight }));
}

/**
 * Turn the pool into training rows: every step of every episode with `timesDrawn[e] > 0` enters
 * once, with weight `timesDrawn[e]` and advantage `advantages[e]` (or, when `stepAdvantages` is
 * given, the step's own `stepAdvantages[e][t]`, `step_advantages.ts`).
 *
 * @param episodes the iteration's pool.
 * @param advantages Â_e per episode.
 * @param timesDrawn draw count per episode (from `drawEpisodes`).
 * @param stepAdvantages optional advantage per step of each episode (replaces Â_e on its rows).
 * @returns rows in pool order, then time order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildBatch } from "./batch.ts";
 * import type { Episode } from "./types.ts";
 * const step = { t: 0, promptIds: [1, 2], completionIds: [3], completionText: "up",
 *   oldLogprobs: [-0.5], action: 3, valid: true, reward: 1, done: true };
 * const ep: Episode = { iteration: 0, group: 0, index: 0, scenario: "S", initialStateSeed: 1,
 *   dynamicsSeed: 2,
 *   steps: [step], return: 1, success: true };
 * const rows = buildBatch([ep, ep], [0.7, -0.7], [3, 0]);
 * assert.deepEqual([rows.length, rows[0].weight, rows[0].advantage], [1, 3, 0.7]);
 * ```
 */
export function buildBatch(
  episodes: readonly Episode[],
  advantages: readonly number[],
  timesDrawn: readonly number[],
  stepAdvantages?: readonly (readonly number[])[],
): TrainingRow[] {
  if (advantages.length !== episodes.length || timesDrawn.length !== episodes.length) {
    throw new Error(
      `batch.ts buildBatch: ${episodes.length} episodes, ${advantages.length} advantages, ` +
        `${timesDrawn.length} draw counts (must be equal)`,
    );
  }
  const rows: TrainingRow[] = [];
  episodes.forEach((ep, e) => {
    const k = timesDrawn[e];
    if (!Number.isInteger(k) || k < 0) {
      throw new Error(`batch.ts buildBatch: timesDrawn[${e}] must be an integer >= 0, got ${k}`);
    }
    if (!Number.isFinite(advantages[e])) {
      throw new Error(`batch.ts buildBatch: advantages[${e}] is ${advantages[e]}`);
    }
    if (k === 0) return;
    const perStep = stepAdvantages?.[e];
    if (stepAdvantages && perStep?.length !== ep.steps.length) {
      throw new Error(
        `batch.ts buildBatch: episode ${e} has ${ep.steps.length} steps but ` +
          `${perStep?.length ?? 0} step advantages`,
      );
    }
    for (const [t, s] of ep.steps.entries()) {
      if (s.oldLogprobs.length !== s.completionIds.length) {
        throw new Error(
          `batch.ts buildBatch: episode ${e} step ${s.t}: ${s.completionIds.length} completion ` +
            `tokens but ${s.oldLogprobs.length} oldLogprobs`,
        );
      }
      if (s.completionIds.length === 0) continue;
      rows.push({
        episode: e,
        t: s.t,
        promptIds: s.promptIds,
        completionIds: s.completionIds,
        oldLogprobs: s.oldLogprobs,
        advantage: perStep ? perStep[t] : advantages[e],
        weight: k,
      });
    }
  });
  return rows;
}

/**
 * Denominator of the full-batch loss: Σ weight · completion tokens (`"token-mean"`) or
 * Σ weight (`"seq-mean-token-mean"`). Pass it as `normalizer` to `ppoClipLoss` for every
 * micro-batch so the micro-batch losses sum to the full-batch loss.
 *
 * @param rows all rows of the update.
 * @param aggregation the loss aggregation (default `"token-mean"`).
 * @returns the weighted token (or sequence) count.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lossNormalizer, type TrainingRow } from "./batch.ts";
 * const row = (n: number, weight: number): TrainingRow => ({ episode: 0, t: 0, promptIds: [1],
 *   completionIds: new Array(n).fill(5), oldLogprobs: new Array(n).fill(-1), advantage: 1, weight });
 * assert.deepEqual(lossNormalizer([row(3, 2), row(4, 1)]), 10);
 * assert.deepEqual(lossNormalizer([row(3, 2), row(4, 1)], "seq-mean-token-mean"), 3);
 * ```
 */
export function lossNormalizer(
  rows: readonly TrainingRow[],
  aggregation: LossAggregation = "token-mean",
): number {
  if (aggregation !== "token-mean" && aggregation !== "seq-mean-token-mean") {
    throw new Error(`batch.ts lossNormalizer: unknown aggregation ${aggregation}`);
  }
  let total = 0;
  for (const r of rows) {
    total += aggregation === "token-mean" ? r.weight * r.completionIds.length : r.weight;
  }
  return total;
}

/**
 * Split rows, in order, into `parts` contiguous mini-batches of near-equal size (one optimizer
 * step each); fewer when there are fewer rows than parts.
 *
 * @param rows the rows of one pass over the update's batch.
 * @param parts the number of mini-batches (≥ 1).
 * @returns consecutive, non-empty slices covering all rows.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitMinibatches } from "./batch.ts";
 * assert.deepEqual(splitMinibatches([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4, 5]]);
 * assert.deepEqual(splitMinibatches([1], 3), [[1]]);
 * ```
 */
export function splitMinibatches<T>(rows: readonly T[], parts: number): T[][] {
  const n = Math.min(parts, rows.length);
  return Array.from(
    { length: n },
    (_, i) =>
      rows.slice(Math.floor((i * rows.length) / n), Math.floor(((i + 1) * rows.length) / n)),
  );
}

/**
 * Split rows, in order, into micro-batches whose padded size (rows × longest prompt+completion)
 * stays within `maxTokens`. A row longer than `maxTokens` forms a micro-batch of its own.
 * Deterministic: the same rows always give the same split.
 *
 * @param rows the rows of the update.
 * @param maxTokens padded-token budget of one micro-batch (> 0).
 * @returns consecutive, non-empty slices of `rows` covering all of them.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { microBatches, type TrainingRow } from "./batch.ts";
 * const row = (n: number): TrainingRow => ({ episode: 0, t: 0, promptIds: [1, 2],
 *   completionIds: new Array(n).fill(5), oldLogprobs: new Array(n).fill(-1), advantage: 1, weight: 1 });
 * assert.deepEqual(microBatches([row(2), row(2), row(6)], 8).map((b) => b.length), [2, 1]);
 * ```
 */
export function microBatches(rows: readonly TrainingRow[], maxTokens: number): TrainingRow[][] {
  if (!Number.isFinite(maxTokens) || maxTokens <= 0) {
    throw new Error(`batch.ts microBatches: maxTokens must be a number > 0, got ${maxTokens}`);
  }
  const out: TrainingRow[][] = [];
  let cur: TrainingRow[] = [];
  let longest = 0;
  for (const r of rows) {
    const len = r.promptIds.length + r.completionIds.length;
    const nextLongest = Math.max(longest, len);
    if (cur.length > 0 && (cur.length + 1) * nextLongest > maxTokens) {
      out.push(cur);
      cur = [];
      longest = 0;
    }
    cur.push(r);
    longest = Math.max(longest, len);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/**
 * Pad a micro-batch's rows: old log-probabilities right-padded with 0 to T = max(1, longest
 * completion), the width at which `sequenceLogprobs` scores completions (token j of row b is
 * entry b·T + j).
 *
 * @param rows the rows of one micro-batch.
 * @returns prompts, completions and the padded arrays.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { padRows, type TrainingRow } from "./batch.ts";
 * const rows: TrainingRow[] = [
 *   { episode: 0, t: 0, promptIds: [7, 8], completionIds: [9], oldLogprobs: [-1], advantage: 1, weight: 1 },
 *   { episode: 1, t: 0, promptIds: [7], completionIds: [4, 5], oldLogprobs: [-2, -3], advantage: -1, weight: 2 },
 * ];
 * const p = padRows(rows);
 * assert.equal(p.completionLen, 2);
 * assert.deepEqual(Array.from(p.oldLogprobs), [-1, 0, -2, -3]);
 * ```
 */
export function padRows(rows: readonly TrainingRow[]): PaddedRows {
  rows.forEach((r, b) => {
    if (r.oldLogprobs.length !== r.completionIds.length) {
      throw new Error(
        `batch.ts padRows: row ${b} has ${r.completionIds.length} completion ids but ` +
          `${r.oldLogprobs.length} oldLogprobs`,
      );
    }
  });
  const T = Math.max(1, ...rows.map((r) => r.completionIds.length));
  const oldLogprobs = new Float32Array(rows.length * T);
  rows.forEach((r, b) => oldLogprobs.set(r.oldLogprobs, b * T));
  return {
    prompts: rows.map((r) => r.promptIds),
    completions: rows.map((r) => r.completionIds),
    completionLen: T,
    oldLogprobs,
    advantages: Float32Array.from(rows, (r) => r.advantage),
    weights: Float32Array.from(rows, (r) => r.weight),
  };
}
