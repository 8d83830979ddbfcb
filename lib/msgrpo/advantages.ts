/**
 * Returns and group-relative advantages of MS-GRPO (steps 2–4 of an iteration).
 *
 * - The return of an episode is its undiscounted reward sum by default (option γ).
 * - The advantage of episode e in group g is Â_e = (R_e − mean_g R) / (std_g R + ε). The standard
 *   deviation is the **population** one (ddof 0, `ddof` option for the sample one: GRPO
 *   implementations differ here). `normalize: "none"` drops the division (Dr.GRPO).
 *   `scope: "batch"` keeps the group mean as baseline but divides by the standard deviation of
 *   all returns of the pool (group mean, batch std).
 * - A group whose returns are all equal gets advantages of exactly 0, whatever the options.
 * - Credit assignment: every step of an episode carries the episode's Â (the whole return, not a
 *   return-to-go).
 *
 * @module
 */
import type { Episode } from "./types.ts";

/** How group-centred returns are scaled: by a standard deviation (`"std"`) or not (`"none"`). */
export type AdvantageNormalize = "std" | "none";

/** Which returns the scaling standard deviation is taken over: the group's or the whole pool's. */
export type AdvantageScope = "group" | "batch";

/** Options of {@link groupAdvantages}. */
export interface GroupAdvantageOptions {
  /** `"std"` (default): divide by std + eps; `"none"`: centre only (Dr.GRPO). */
  normalize?: AdvantageNormalize;
  /** Added to the standard deviation before dividing (default 1e-6). */
  eps?: number;
  /** Delta degrees of freedom of the standard deviation: 0 (population, default) or 1 (sample). */
  ddof?: 0 | 1;
}

/** Options of {@link poolAdvantages} and {@link assignAdvantages}. */
export interface AdvantageOptions extends GroupAdvantageOptions {
  /** `"group"` (default): per-group std; `"batch"`: std of every return of the pool. */
  scope?: AdvantageScope;
}

/** Per-group figures for logging (mean in-group reward std, fraction of zero-variance groups). */
export interface GroupSummary {
  /** Iteration of the group's episodes. */
  iteration: number;
  /** Group id. */
  group: number;
  /** Number of episodes in the group. */
  size: number;
  /** Mean return of the group. */
  mean: number;
  /** Standard deviation of the group's returns (with the chosen ddof). */
  std: number;
  /** Whether every return of the group is equal (then every advantage is exactly 0). */
  zeroVariance: boolean;
}

/** Result of {@link assignAdvantages}. */
export interface AdvantageAssignment {
  /** Â_e per episode, in the order of the input episodes. */
  episode: number[];
  /** One summary per group, in order of first appearance. */
  groups: GroupSummary[];
  /** Fraction of groups whose returns are all equal (0 for an empty pool). */
  zeroVarianceFraction: number;
  /** Mean over groups of the in-group return std (0 for an empty pool). */
  meanGroupStd: number;
}

/**
 * Return of an episode: Σ_t γ^t r_t (γ = 1, the default, is the undiscounted sum of MS-GRPO).
 *
 * @param rewards the rewards r_0 … r_{T−1} in time order.
 * @param gamma discount factor in [0, 1] (default 1).
 * @returns the (discounted) sum of rewards; 0 for an empty episode.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { episodeReturn } from "./advantages.ts";
 * assert.deepEqual(episodeReturn([-0.1, 0, 1]), 0.9);
 * assert.deepEqual(episodeReturn([0, 0, 1], 0.5), 0.25);
 * ```
 */
export function episodeReturn(rewards: readonly number[], gamma = 1): number {
  if (!Number.isFinite(gamma) || gamma < 0 || gamma > 1) {
    throw new Error(`advantages.ts episodeReturn: gamma must be in [0, 1], got ${gamma}`);
  }
  let total = 0, discount = 1;
  for (let t = 0; t < rewards.length; t++) {
    const r = rewards[t];
    if (!Number.isFinite(r)) {
      throw new Error(`advantages.ts episodeReturn: rewards[${t}] is not finite (${r})`);
    }
    total += discount * r;
    discount *= gamma;
  }
  return total;
}

/**
 * Group-relative advantages of one group: Â_e = (R_e − mean) / (std + eps), or R_e − mean with
 * `normalize: "none"`. A group whose returns are all equal (including a group of one) gets
 * exactly 0 for every episode.
 *
 * @param returns the returns of the group's episodes.
 * @param opts normalisation options (default: std division, eps 1e-6, population std).
 * @returns one advantage per return, in the same order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupAdvantages } from "./advantages.ts";
 * assert.deepEqual(groupAdvantages([1, 0], { eps: 0 }), [1, -1]);
 * assert.deepEqual(groupAdvantages([1, 0], { normalize: "none" }), [0.5, -0.5]);
 * assert.deepEqual(groupAdvantages([0.3, 0.3, 0.3]), [0, 0, 0]);
 * ```
 */
export function groupAdvantages(
  returns: readonly number[],
  opts: GroupAdvantageOptions = {},
): number[] {
  const { normalize, eps, ddof } = _checkOptions(opts);
  _checkReturns(returns, "groupAdvantages");
  if (_allEqual(returns)) return returns.map(() => 0);
  const mean = _mean(returns);
  const scale = normalize === "std" ? _std(returns, mean, ddof) + eps : 1;
  return returns.map((r) => (r - mean) / scale);
}

/**
 * Advantages of a whole pool of episodes, grouped by `groups` (episodes with equal keys form a
 * group). With `scope: "group"` each group is normalised by its own std; with `scope: "batch"` the
 * group mean is subtracted and the result divided by the std of all returns of the pool.
 *
 * @param returns one return per episode.
 * @param groups one group key per episode (same length as `returns`).
 * @param opts normalisation options.
 * @returns one advantage per episode, in input order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { poolAdvantages } from "./advantages.ts";
 * const adv = poolAdvantages([1, 0, 5, 5], [0, 0, 1, 1], { eps: 0 });
 * assert.deepEqual(adv, [1, -1, 0, 0]);
 * ```
 */
export function poolAdvantages(
  returns: readonly number[],
  groups: readonly (number | string)[],
  opts: AdvantageOptions = {},
): number[] {
  const { normalize, eps, ddof } = _checkOptions(opts);
  const scope = opts.scope ?? "group";
  if (scope !== "group" && scope !== "batch") {
    throw new Error(`advantages.ts poolAdvantages: scope must be "group" or "batch", got ${scope}`);
  }
  if (groups.length !== returns.length) {
    throw new Error(
      `advantages.ts poolAdvantages: ${returns.length} returns but ${groups.length} group keys`,
    );
  }
  _checkReturns(returns, "poolAdvantages");
  const members = membersByKey(groups);
  const out = new Array<number>(returns.length).fill(0);
  if (scope === "group") {
    for (const idx of members.values()) {
      const adv = groupAdvantages(idx.map((i) => returns[i]), { normalize, eps, ddof });
      idx.forEach((i, j) => (out[i] = adv[j]));
    }
    return out;
  }
  const scale = normalize === "std" ? _std(returns, _mean(returns), ddof) + eps : 1;
  for (const idx of members.values()) {
    const rs = idx.map((i) => returns[i]);
    if (_allEqual(rs)) continue;
    const mean = _mean(rs);
    idx.forEach((i) => (out[i] = (returns[i] - mean) / scale));
  }
  return out;
}

/**
 * Advantages of a pool of episodes, grouped by (iteration, group); every step of an episode
 * carries the episode's Â_e (the training rows copy it). Also summarises each group for logging.
 *
 * @param episodes the iteration's pool; `return` of each episode is used as R_e.
 * @param opts normalisation options (see {@link poolAdvantages}).
 * @returns per-episode advantages and group summaries.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assignAdvantages } from "./advantages.ts";
 * import type { Episode } from "./types.ts";
 * const ep = (index: number, ret: number, len: number): Episode => ({
 *   iteration: 0, group: 0, index, scenario: "S", initialStateSeed: 1, dynamicsSeed: index, return: ret,
 *   success: ret > 0, steps: Array.from({ length: len }, (_, t) => ({
 *     t, promptIds: [1], completionIds: [2], completionText: "up", oldLogprobs: [-1], action: 0,
 *     valid: true, reward: t === len - 1 ? ret : 0, done: t === len - 1,
 *   })),
 * });
 * const a = assignAdvantages([ep(0, 1, 3), ep(1, 0, 2)], { eps: 0 });
 * assert.deepEqual(a.episode, [1, -1]);
 * ```
 */
export function assignAdvantages(
  episodes: readonly Episode[],
  opts: AdvantageOptions = {},
): AdvantageAssignment {
  const { ddof } = _checkOptions(opts);
  const keys = groupKeys(episodes);
  const returns = episodes.map((e) => e.return);
  const episode = poolAdvantages(returns, keys, opts);
  const groups: GroupSummary[] = [];
  for (const idx of membersByKey(keys).values()) {
    const rs = idx.map((i) => returns[i]);
    const mean = _mean(rs);
    const zeroVariance = _allEqual(rs);
    const first = episodes[idx[0]];
    groups.push({
      iteration: first.iteration,
      group: first.group,
      size: rs.length,
      mean,
      std: zeroVariance ? 0 : _std(rs, mean, ddof),
      zeroVariance,
    });
  }
  const n = groups.length;
  return {
    episode,
    groups,
    zeroVarianceFraction: n === 0 ? 0 : groups.filter((g) => g.zeroVariance).length / n,
    meanGroupStd: n === 0 ? 0 : groups.reduce((s, g) => s + g.std, 0) / n,
  };
}

/**
 * The group key of each episode: a group is one iteration's group id (`"iteration/group"`).
 *
 * @param episodes the pool.
 * @returns one key per episode, in pool order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupKeys, membersByKey } from "./advantages.ts";
 * const keys = groupKeys([{ iteration: 2, group: 0 }, { iteration: 2, group: 1 }, { iteration: 2, group: 0 }]);
 * assert.deepEqual(keys, ["2/0", "2/1", "2/0"]);
 * assert.deepEqual([...membersByKey(keys).values()], [[0, 2], [1]]);
 * ```
 */
export function groupKeys(
  episodes: readonly Pick<Episode, "iteration" | "group">[],
): string[] {
  return episodes.map((e, i) => {
    if (!Number.isFinite(e.iteration) || !Number.isFinite(e.group)) {
      throw new Error(
        `advantages.ts groupKeys: episode ${i} has iteration ${e.iteration}, group ${e.group}`,
      );
    }
    return `${e.iteration}/${e.group}`;
  });
}

/**
 * The indices of each key's members, keys in order of first appearance.
 *
 * @param keys one key per element.
 * @returns key → indices (ascending).
 */
export function membersByKey<K>(keys: readonly K[]): Map<K, number[]> {
  const m = new Map<K, number[]>();
  keys.forEach((k, i) => {
    const list = m.get(k);
    if (list) list.push(i);
    else m.set(k, [i]);
  });
  return m;
}

function _checkOptions(opts: GroupAdvantageOptions): Required<GroupAdvantageOptions> {
  const normalize = opts.normalize ?? "std";
  const eps = opts.eps ?? 1e-6;
  const ddof = opts.ddof ?? 0;
  if (normalize !== "std" && normalize !== "none") {
    throw new Error(`advantages.ts: normalize must be "std" or "none", got ${normalize}`);
  }
  if (!Number.isFinite(eps) || eps < 0) {
    throw new Error(`advantages.ts: eps must be a finite number >= 0, got ${eps}`);
  }
  if (ddof !== 0 && ddof !== 1) throw new Error(`advantages.ts: ddof must be 0 or 1, got ${ddof}`);
  return { normalize, eps, ddof };
}

function _checkReturns(returns: readonly number[], fn: string): void {
  returns.forEach((r, i) => {
    if (!Number.isFinite(r)) throw new Error(`advantages.ts ${fn}: returns[${i}] is ${r}`);
  });
}

function _allEqual(xs: readonly number[]): boolean {
  return xs.every((x) => x === xs[0]);
}

function _mean(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function _std(xs: readonly number[], mean: number, ddof: 0 | 1): number {
  const n = xs.length - ddof;
  if (n <= 0) return 0;
  let s = 0;
  for (const x of xs) s += (x - mean) * (x - mean);
  return Math.sqrt(s / n);
}
