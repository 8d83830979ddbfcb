/**
 * Next-token sampling on the CPU from one row of logits, in the order transformers applies its
 * warpers: temperature, then top-k, then top-p (nucleus). Exactly one `rng.float()` is drawn per
 * sampled token (none when greedy), so streams are reproducible from their seed.
 *
 * Two log-probabilities come back for the chosen token:
 * - `logprob`: under the model's own distribution, `log softmax(logits)[token]` at temperature 1
 *   with no truncation — the `log π_θ(token)` that PPO ratios and KL terms need;
 * - `samplingLogprob`: under the distribution actually sampled from (after temperature, top-k and
 *   top-p); 0 for greedy decoding.
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";

/** How to pick the next token. */
export interface SamplingOptions {
  /** Softmax temperature; 0 = greedy (argmax, lowest id on ties). */
  temperature: number;
  /** Keep only the smallest set of most likely tokens whose mass reaches `topP` (1 = off). */
  topP?: number;
  /** Keep only the `topK` most likely tokens, ties included (0 = off). */
  topK?: number;
}

/** One sampled token and its log-probabilities. */
export interface SampledToken {
  /** The token id. */
  token: number;
  /** `log softmax(logits)[token]` at temperature 1, untruncated. */
  logprob: number;
  /** Log-probability under the sampling distribution (0 when greedy). */
  samplingLogprob: number;
}

/**
 * Check sampling options, naming the bad field.
 *
 * @param o options to check.
 */
export function validateSampling(o: SamplingOptions): void {
  if (!(o.temperature >= 0) || !Number.isFinite(o.temperature)) {
    throw new Error(`sampling: temperature must be a finite number ≥ 0, got ${o.temperature}`);
  }
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) {
    throw new Error(`sampling: topP must be in (0, 1], got ${o.topP}`);
  }
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 0)) {
    throw new Error(`sampling: topK must be an integer ≥ 0, got ${o.topK}`);
  }
}

/**
 * Sample one token from a row of logits.
 *
 * @param logits the vocabulary's logits (any array-like of numbers; not modified).
 * @param opts temperature, top-k, top-p.
 * @param rng the row's random stream (one `float()` drawn unless greedy).
 * @returns token, its temperature-1 log-prob and its sampling log-prob.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../util/rng.ts";
 * import { sampleToken } from "./sampling.ts";
 * const s = sampleToken(new Float32Array([0, 5, 1]), { temperature: 0 }, new Rng(1));
 * assert.deepEqual([s.token, s.samplingLogprob], [1, 0]);
 * ```
 */
export function sampleToken(
  logits: ArrayLike<number>,
  opts: SamplingOptions,
  rng: Rng,
): SampledToken {
  validateSampling(opts);
  const v = logits.length;
  if (v === 0) throw new Error("sampleToken: empty logits");
  let m = -Infinity, arg = 0;
  for (let i = 0; i < v; i++) {
    const x = logits[i];
    if (Number.isNaN(x)) throw new Error(`sampleToken: logit ${i} is NaN`);
    if (x > m) {
      m = x;
      arg = i;
    }
  }
  if (m === -Infinity) throw new Error("sampleToken: every logit is -Infinity");
  if (opts.temperature === 0) {
    let z1 = 0;
    for (let i = 0; i < v; i++) z1 += Math.exp(logits[i] - m);
    return { token: arg, logprob: logits[arg] - m - Math.log(z1), samplingLogprob: 0 };
  }
  const invT = 1 / opts.temperature;
  const w = _scratch(v);
  let z1 = 0;
  if (invT === 1) {
    for (let i = 0; i < v; i++) z1 += w[i] = Math.exp(logits[i] - m);
  } else {
    for (let i = 0; i < v; i++) {
      const d = logits[i] - m;
      z1 += Math.exp(d);
      w[i] = Math.exp(d * invT);
    }
  }
  const lse1 = m + Math.log(z1);
  const topK = opts.topK ?? 0, topP = opts.topP ?? 1;
  if (topK > 0 && topK < v) {
    // Weights are monotone in the logits: keep logits ≥ the k-th largest (ties kept).
    const thr = _kthLargest(Float32Array.from(logits), topK);
    for (let i = 0; i < v; i++) if (logits[i] < thr) w[i] = 0;
  }
  if (topP < 1) _nucleus(w, topP);
  let z = z1;
  if (invT !== 1 || topP < 1 || (topK > 0 && topK < v)) {
    z = 0;
    for (let i = 0; i < v; i++) z += w[i];
  }
  let u = rng.float() * z, tok = -1;
  for (let i = 0; i < v; i++) {
    if (w[i] === 0) continue;
    tok = i;
    u -= w[i];
    if (u < 0) break;
  }
  return { token: tok, logprob: logits[tok] - lse1, samplingLogprob: Math.log(w[tok] / z) };
}

let _buf = new Float64Array(0);
function _scratch(n: number): Float64Array {
  if (_buf.length < n) _buf = new Float64Array(n);
  return _buf.length === n ? _buf : _buf.subarray(0, n);
}

/** The k-th largest value of `a` (1-based k), by in-place quickselect (median-of-three pivots). */
function _kthLargest(a: Float32Array, k: number): number {
  let lo = 0, hi = a.length - 1;
  const target = k - 1; // index in descending order
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const x = a[lo], y = a[mid], z = a[hi];
    const pivot = x > y ? (y > z ? y : x > z ? z : x) : (x > z ? x : y > z ? z : y);
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target];
  }
  return a[target];
}

/** Zero every weight outside the nucleus of mass `p` (at least the top token stays). */
function _nucleus(w: Float64Array, p: number): void {
  let total = 0, max = 0;
  for (const x of w) {
    total += x;
    if (x > max) max = x;
  }
  // The nucleus is a prefix of the descending order, so it lies inside any threshold set whose
  // mass reaches p: lower the threshold until it does, then sort only that set.
  let thr = max, cand: number[] = [];
  for (;;) {
    thr /= 16;
    cand = [];
    let mass = 0;
    for (let i = 0; i < w.length; i++) {
      if (w[i] >= thr && w[i] > 0) {
        cand.push(i);
        mass += w[i];
      }
    }
    if (mass >= p * total || thr === 0) break;
  }
  cand.sort((a, b) => w[b] - w[a] || a - b);
  const keep = new Uint8Array(w.length);
  let cum = 0;
  for (const i of cand) {
    keep[i] = 1;
    cum += w[i];
    if (cum >= p * total) break;
  }
  for (let i = 0; i < w.length; i++) if (!keep[i]) w[i] = 0;
}

/** One alternative token and its log-probability. */
export interface TokenLogprob {
  /** The token id. */
  token: number;
  /** `log softmax(logits)[token]` at temperature 1. */
  logprob: number;
}

/**
 * The `k` most likely tokens of a row of logits with their temperature-1 log-probabilities, most
 * likely first (lower id first on ties) — OpenAI's `top_logprobs`.
 *
 * @param logits the vocabulary's logits.
 * @param k how many (at most the vocabulary size).
 * @returns up to `k` tokens, descending.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { topLogprobs } from "./sampling.ts";
 * const top = topLogprobs(new Float32Array([0, Math.log(3), 0]), 2);
 * assert.deepEqual(top.map((t) => [t.token, t.logprob.toFixed(4)]), [[1, "-0.5108"], [0, "-1.6094"]]);
 * ```
 */
export function topLogprobs(logits: ArrayLike<number>, k: number): TokenLogprob[] {
  const v = logits.length;
  let m = -Infinity;
  for (let i = 0; i < v; i++) if (logits[i] > m) m = logits[i];
  let z = 0;
  for (let i = 0; i < v; i++) z += Math.exp(logits[i] - m);
  const lse = m + Math.log(z);
  const n = Math.min(k, v);
  const ids: number[] = []; // descending by logit, kept sorted (k ≤ 20)
  for (let i = 0; i < v && n > 0; i++) {
    const x = logits[i];
    if (ids.length === n && !(x > logits[ids[n - 1]])) continue;
    let at = ids.length === n ? n - 1 : ids.length;
    while (at > 0 && x > logits[ids[at - 1]]) at--;
    if (ids.length === n) ids.pop();
    ids.splice(at, 0, i);
  }
  return ids.map((token) => ({ token, logprob: logits[token] - lse }));
}
