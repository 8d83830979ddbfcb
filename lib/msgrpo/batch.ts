/**
 * From drawn episodes to training rows and padded arrays.
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

/** Right-padded arrays of a list of rows, row-major, ready to become tensors. */
export interface CollatedBatch {
  /** Number of rows B. */
  batchSize: number;
  /** L = longest prompt + completion of the rows. */
  seqLen: number;
  /** T = longest completion of the rows. */
  completionLen: number;
  /** [B, L] prompt then completion ids, right-padded with the pad id. */
  inputIds: Int32Array;
  /** [B, L] 1 for real tokens, 0 for padding. */
  attentionMask: Float32Array;
  /** [B] prompt length of each row. */
  promptLengths: Int32Array;
  /** [B, T] completion ids, right-padded with the pad id. */
  completionIds: Int32Array;
  /**
   * [B, T] position (0 … L−1) in the row whose next-token logits score completion token j, i.e.
   * promptLength + j − 1; 0 at padding.
   */
  targetPositions: Int32Array;
  /** [B, T] old log-probabilities, 0 at padding. */
  oldLogprobs: Float32Array;
  /** [B, T] 1 for completion tokens, 0 for padding. */
  mask: Float32Array;
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
 * once, with weight `timesDrawn[e]` and advantage `advantages[e]`.
 *
 * @param episodes the iteration's pool.
 * @param advantages Â_e per episode.
 * @param timesDrawn draw count per episode (from `drawEpisodes`).
 * @returns rows in pool order, then time order.
 * @example
 * ```ts
 * import { buildBatch } from "./batch.ts";
 * import type { Episode } from "./types.ts";
 * const step = { t: 0, promptIds: [1, 2], completionIds: [3], completionText: "up",
 *   oldLogprobs: [-0.5], action: 3, valid: true, reward: 1, done: true };
 * const ep: Episode = { iteration: 0, group: 0, index: 0, initialStateSeed: 1, dynamicsSeed: 2,
 *   steps: [step], return: 1, success: true };
 * const rows = buildBatch([ep, ep], [0.7, -0.7], [3, 0]);
 * console.log(rows.length, rows[0].weight, rows[0].advantage); // 1 3 0.7
 * ```
 */
export function buildBatch(
  episodes: readonly Episode[],
  advantages: readonly number[],
  timesDrawn: readonly number[],
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
    for (const s of ep.steps) {
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
        advantage: advantages[e],
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
 * import { lossNormalizer, type TrainingRow } from "./batch.ts";
 * const row = (n: number, weight: number): TrainingRow => ({ episode: 0, t: 0, promptIds: [1],
 *   completionIds: new Array(n).fill(5), oldLogprobs: new Array(n).fill(-1), advantage: 1, weight });
 * console.log(lossNormalizer([row(3, 2), row(4, 1)])); // 10
 * console.log(lossNormalizer([row(3, 2), row(4, 1)], "seq-mean-token-mean")); // 3
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
 * Split rows, in order, into micro-batches whose padded size (rows × longest prompt+completion)
 * stays within `maxTokens`. A row longer than `maxTokens` forms a micro-batch of its own.
 * Deterministic: the same rows always give the same split.
 *
 * @param rows the rows of the update.
 * @param maxTokens padded-token budget of one micro-batch (> 0).
 * @returns consecutive, non-empty slices of `rows` covering all of them.
 * @example
 * ```ts
 * import { microBatches, type TrainingRow } from "./batch.ts";
 * const row = (n: number): TrainingRow => ({ episode: 0, t: 0, promptIds: [1, 2],
 *   completionIds: new Array(n).fill(5), oldLogprobs: new Array(n).fill(-1), advantage: 1, weight: 1 });
 * console.log(microBatches([row(2), row(2), row(6)], 8).map((b) => b.length)); // [2, 1]
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
 * Pad rows into row-major arrays (right padding). The model's log-probability of completion
 * token j of row b is read from its logits at position `targetPositions[b*T + j]`.
 *
 * @param rows rows to pad (each with a non-empty prompt).
 * @param padId token id used for padding (default 0).
 * @returns the padded arrays and their shapes.
 * @example
 * ```ts
 * import { collateRows, type TrainingRow } from "./batch.ts";
 * const rows: TrainingRow[] = [
 *   { episode: 0, t: 0, promptIds: [7, 8], completionIds: [9], oldLogprobs: [-1], advantage: 1, weight: 1 },
 *   { episode: 1, t: 0, promptIds: [7], completionIds: [4, 5], oldLogprobs: [-2, -3], advantage: -1, weight: 2 },
 * ];
 * const c = collateRows(rows);
 * console.log(c.seqLen, c.completionLen, Array.from(c.targetPositions)); // 3 2 [1, 0, 0, 1]
 * ```
 */
export function collateRows(rows: readonly TrainingRow[], padId = 0): CollatedBatch {
  const B = rows.length;
  let L = 0, T = 0;
  rows.forEach((r, b) => {
    if (r.promptIds.length === 0) {
      throw new Error(
        `batch.ts collateRows: row ${b} (episode ${r.episode}, t ${r.t}) has an empty prompt`,
      );
    }
    if (r.oldLogprobs.length !== r.completionIds.length) {
      throw new Error(
        `batch.ts collateRows: row ${b} has ${r.completionIds.length} completion ids but ` +
          `${r.oldLogprobs.length} oldLogprobs`,
      );
    }
    L = Math.max(L, r.promptIds.length + r.completionIds.length);
    T = Math.max(T, r.completionIds.length);
  });
  const inputIds = new Int32Array(B * L).fill(padId);
  const attentionMask = new Float32Array(B * L);
  const promptLengths = new Int32Array(B);
  const completionIds = new Int32Array(B * T).fill(padId);
  const targetPositions = new Int32Array(B * T);
  const oldLogprobs = new Float32Array(B * T);
  const mask = new Float32Array(B * T);
  const advantages = new Float32Array(B);
  const weights = new Float32Array(B);
  rows.forEach((r, b) => {
    const p = r.promptIds.length;
    promptLengths[b] = p;
    advantages[b] = r.advantage;
    weights[b] = r.weight;
    r.promptIds.forEach((id, i) => {
      inputIds[b * L + i] = id;
      attentionMask[b * L + i] = 1;
    });
    r.completionIds.forEach((id, j) => {
      inputIds[b * L + p + j] = id;
      attentionMask[b * L + p + j] = 1;
      completionIds[b * T + j] = id;
      targetPositions[b * T + j] = p + j - 1;
      oldLogprobs[b * T + j] = r.oldLogprobs[j];
      mask[b * T + j] = 1;
    });
  });
  return {
    batchSize: B,
    seqLen: L,
    completionLen: T,
    inputIds,
    attentionMask,
    promptLengths,
    completionIds,
    targetPositions,
    oldLogprobs,
    mask,
    advantages,
    weights,
  };
}
