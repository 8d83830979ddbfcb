/**
 * Teacher-forced scoring: per-token log-probabilities of given completions (the PPO ratio's
 * `log π_θ(token)`), token entropies, and the next-token cross-entropy used for pre-training.
 *
 * Memory-lean: the LM head runs only at the positions that predict a scored token, and
 * `log p(target) = logit[target] − logsumexp(logits)` has a custom gradient
 * `dy · (onehot(target) − softmax(logits))` formed inside the backward pass (no full-vocabulary
 * one-hot is kept per token, and no `tf.gather` gradient is needed, which the wasm backend lacks).
 * On the fast backend the same quantity is the engine's fused `tokenLogprobs` (one native kernel
 * each way).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { fusedKernelActive } from "../engine/fast_state.ts";
import { tokenLogprobs } from "../engine/ops_logprobs.ts";
import { KVCache } from "./kv_cache.ts";
import { gatherRows } from "./layers.ts";
import type { Qwen2Model } from "./qwen2.ts";

/**
 * `log softmax(logits)[i, targets[i]]` for each row, differentiable with respect to `logits`.
 *
 * @param logits `[N, V]`.
 * @param targets N token ids in `[0, V)`.
 * @returns `[N]` log-probabilities.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-cpu";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { targetLogprobs } from "./logprob.ts";
 * await tf.setBackend("cpu");
 * const lp = targetLogprobs(tf.tensor2d([[0, 0]]), [1]);
 * assert.deepEqual(lp.dataSync()[0].toFixed(4), "-0.6931");
 * ```
 */
export function targetLogprobs(logits: tf.Tensor2D, targets: ArrayLike<number>): tf.Tensor1D {
  const [n, v] = logits.shape;
  if (targets.length !== n) {
    throw new Error(`targetLogprobs: ${targets.length} targets for ${n} rows of logits`);
  }
  const pairs = new Int32Array(2 * n), flat = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const t = targets[i];
    if (!Number.isInteger(t) || t < 0 || t >= v) {
      throw new Error(`targetLogprobs: target ${t} at row ${i} is outside [0, ${v})`);
    }
    pairs[2 * i] = i;
    pairs[2 * i + 1] = t;
    flat[i] = i * v + t;
  }
  if (fusedKernelActive("MgLogprobs") && logits.dtype === "float32") {
    const ids = tf.tensor1d(Int32Array.from(targets), "int32");
    const lp = tokenLogprobs(logits, ids) as tf.Tensor1D;
    ids.dispose();
    return lp;
  }
  const pairT = tf.tensor2d(pairs, [n, 2], "int32");
  const flatT = tf.tensor1d(flat, "int32");
  const f = tf.customGrad(
    (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [x, pr, fl, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      const lse = tf.logSumExp(x, 1);
      const picked = tf.gather(tf.reshape(x, [n * v]), fl as tf.Tensor1D);
      save([x, lse, pr]);
      return {
        value: tf.sub(picked, lse),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, l, p] = saved;
          const probs = tf.exp(tf.sub(xs, tf.reshape(l, [n, 1])));
          const hot = tf.scatterND(p, dy, [n, v]);
          return [
            tf.sub(hot, tf.mul(probs, tf.reshape(dy, [n, 1]))),
            tf.zerosLike(p),
            tf.zeros([n], "int32"),
          ];
        },
      };
    },
  );
  const out = f(logits, pairT, flatT) as tf.Tensor1D;
  tf.dispose([pairT, flatT]);
  return out;
}

/**
 * Entropy of `softmax(logits)` per row (nats), differentiable.
 *
 * @param logits `[N, V]`.
 * @returns `[N]`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-cpu";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { rowEntropy } from "./logprob.ts";
 * await tf.setBackend("cpu");
 * assert.deepEqual(rowEntropy(tf.zeros([1, 4]) as tf.Tensor2D).dataSync()[0].toFixed(4), "1.3863");
 * ```
 */
export function rowEntropy(logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const lse = tf.logSumExp(logits, 1);
    const p = tf.softmax(logits);
    return tf.sub(lse, tf.sum(tf.mul(p, logits), 1)) as tf.Tensor1D;
  });
}

/** Options of {@link sequenceLogprobs}. */
export interface ScoreOptions {
  /** Divide logits by this before the softmax (default 1: the model's own distribution). */
  temperature?: number;
  /** Also return per-token entropies (default false). */
  entropy?: boolean;
  /**
   * Compute the prompts' common prefix once (default false): the rows' longest common prefix
   * (at most each prompt but its last token) runs as one row, its keys and values are shared by
   * every row, and only the rest of each row is computed. The same numbers up to float rounding,
   * gradients included; cheaper when the rows share a long prefix (system message, chat template).
   */
  sharedPrefix?: boolean;
}

/**
 * Length of the prefix {@link sequenceLogprobs} computes once with `sharedPrefix`: the longest
 * common prefix of the prompts, leaving each prompt at least its last token.
 *
 * @param prompts the rows' prompts (non-empty).
 * @returns the prefix length (0 for fewer than two rows).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sharedPrefixLength } from "./logprob.ts";
 * assert.equal(sharedPrefixLength([[1, 2, 3, 4], [1, 2, 3, 9, 9]]), 3);
 * assert.equal(sharedPrefixLength([[1, 2, 3], [1, 2, 3]]), 2);
 * assert.equal(sharedPrefixLength([[5, 2], [1, 2]]), 0);
 * assert.equal(sharedPrefixLength([[1, 2]]), 0);
 * ```
 */
export function sharedPrefixLength(prompts: readonly (readonly number[])[]): number {
  if (prompts.length < 2) return 0;
  const first = prompts[0];
  const most = Math.min(...prompts.map((p) => p.length)) - 1;
  for (let j = 0; j < most; j++) {
    if (prompts.some((p) => p[j] !== first[j])) return j;
  }
  return Math.max(0, most);
}

/** Output of {@link sequenceLogprobs}; every tensor is `[B, Tc]`, zero where `mask` is 0. */
export interface SequenceScores {
  /** `log p(completion[b][j] | prompt[b], completion[b][<j])`, differentiable. */
  logprobs: tf.Tensor2D;
  /** 1 for real completion tokens, 0 for right padding (float32). */
  mask: tf.Tensor2D;
  /** Entropy of the next-token distribution at each scored position (when asked for). */
  entropy?: tf.Tensor2D;
  /** Completion lengths. */
  lengths: number[];
}

/**
 * Teacher-forced log-probabilities of completions given prompts, as one batch.
 *
 * Rows are laid out `[left padding | prompt | completion | right padding]` and run through the
 * model once; the LM head runs only on the hidden states that predict a completion token.
 *
 * @param model the model.
 * @param prompts per row, at least one token.
 * @param completions per row (may be empty; its row is all padding).
 * @param opts temperature and entropy.
 * @returns `[B, Tc]` log-probs, mask and optional entropy (`Tc` = longest completion, ≥ 1).
 * @example
 * ```ts ignore
 * // not run as a test: a fragment; `model` is a loaded Qwen2Model
 * const s = sequenceLogprobs(model, [[1, 2]], [[3, 4]]);
 * const total = tf.sum(tf.mul(s.logprobs, s.mask));
 * ```
 */
export function sequenceLogprobs(
  model: Qwen2Model,
  prompts: number[][],
  completions: number[][],
  opts: ScoreOptions = {},
): SequenceScores {
  const b = prompts.length;
  if (b === 0 || completions.length !== b) {
    throw new Error(
      `sequenceLogprobs: ${b} prompts and ${completions.length} completions (need equal, > 0)`,
    );
  }
  prompts.forEach((p, i) => {
    if (p.length === 0) {
      throw new Error(`sequenceLogprobs: prompt ${i} is empty (need at least one token)`);
    }
  });
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0)) {
    throw new Error(`sequenceLogprobs: temperature must be > 0, got ${temperature}`);
  }
  const shared = opts.sharedPrefix ? sharedPrefixLength(prompts) : 0;
  const own = shared > 0 ? prompts.map((p) => p.slice(shared)) : prompts;
  const pMax = Math.max(...own.map((p) => p.length));
  const tc = Math.max(1, ...completions.map((c) => c.length));
  const len = pMax + tc;
  const ids: number[][] = [], mask: number[][] = [];
  const rows: number[] = [], targets: number[] = [], slots: number[] = [];
  for (let r = 0; r < b; r++) {
    const p = own[r], c = completions[r];
    const lp = pMax - p.length;
    ids.push([...new Array(lp).fill(p[0]), ...p, ...c, ...new Array(tc - c.length).fill(p[0])]);
    mask.push([
      ...new Array(lp).fill(0),
      ...p.map(() => 1),
      ...c.map(() => 1),
      ...new Array(tc - c.length).fill(0),
    ]);
    for (let j = 0; j < c.length; j++) {
      rows.push(r * len + pMax - 1 + j);
      targets.push(c[j]);
      slots.push(r * tc + j);
    }
  }
  const maskT = tf.tensor2d(
    Float32Array.from(
      { length: b * tc },
      (_, i) => (completions[Math.floor(i / tc)].length > i % tc ? 1 : 0),
    ),
    [b, tc],
  );
  if (targets.length === 0) {
    return {
      logprobs: tf.zeros([b, tc]),
      mask: maskT,
      entropy: opts.entropy ? tf.zeros([b, tc]) : undefined,
      lengths: completions.map((c) => c.length),
    };
  }
  const h = shared > 0
    ? _hiddenAfterPrefix(model, prompts[0].slice(0, shared), ids, mask)
    : model.hidden(ids, { attentionMask: mask });
  const out = tf.tidy(() => {
    const h2 = tf.reshape(h, [b * len, model.config.hiddenSize]) as tf.Tensor2D;
    let logits = model.head(gatherRows(h2, rows));
    if (temperature !== 1) logits = tf.div(logits, temperature);
    // Scatter the N scored values into the padded [B, Tc] grid (pad slots read a zero).
    const n = targets.length;
    const where = new Int32Array(b * tc).fill(n);
    slots.forEach((s, i) => (where[s] = i));
    const toGrid = (x: tf.Tensor1D) =>
      tf.reshape(
        gatherRows(tf.reshape(tf.concat([x, tf.zeros([1])]), [n + 1, 1]) as tf.Tensor2D, where),
        [b, tc],
      ) as tf.Tensor2D;
    const lp = toGrid(targetLogprobs(logits, targets));
    const ent = opts.entropy ? toGrid(rowEntropy(logits)) : undefined;
    return ent ? { lp, ent } : { lp };
  });
  h.dispose();
  return {
    logprobs: out.lp,
    mask: maskT,
    entropy: out.ent,
    lengths: completions.map((c) => c.length),
  };
}

/**
 * Hidden states of `ids` (left-padded rows) that continue the one shared `prefix`: the prefix runs
 * once, its keys and values are gathered to every row (differentiable), and the rows attend over
 * them. Positions continue after the prefix, so the result equals the rows run whole.
 */
function _hiddenAfterPrefix(
  model: Qwen2Model,
  prefix: number[],
  ids: number[][],
  mask: number[][],
): tf.Tensor3D {
  const cache = new KVCache(model.config.numLayers);
  try {
    model.hidden([prefix], { cache }).dispose();
    cache.select(ids.map(() => 0));
    return model.hidden(ids, { attentionMask: mask, cache });
  } finally {
    cache.dispose();
  }
}

/**
 * Mean next-token cross-entropy (nats per predicted token) over a batch of sequences — the
 * pre-training loss. Sequences of different lengths are right-padded internally; every token
 * after the first of each sequence is predicted once.
 *
 * @param model the model.
 * @param seqs token sequences (each of length ≥ 2).
 * @returns a scalar loss tensor (differentiable).
 * @example
 * ```ts ignore
 * // not run as a test: a fragment; `model` is a loaded Qwen2Model
 * const { value, grads } = tf.variableGrads(() => nextTokenLoss(model, [[1, 2, 3]]), model.trainableVariables());
 * ```
 */
export function nextTokenLoss(model: Qwen2Model, seqs: number[][]): tf.Scalar {
  if (seqs.length === 0) throw new Error("nextTokenLoss: empty batch");
  seqs.forEach((s, i) => {
    if (s.length < 2) {
      throw new Error(`nextTokenLoss: sequence ${i} has ${s.length} tokens (need ≥ 2)`);
    }
  });
  const len = Math.max(...seqs.map((s) => s.length));
  const ids = seqs.map((s) => [...s, ...new Array(len - s.length).fill(s[0])]);
  const mask = seqs.map((s) => [...s.map(() => 1), ...new Array(len - s.length).fill(0)]);
  const rows: number[] = [], targets: number[] = [];
  seqs.forEach((s, r) => {
    for (let j = 0; j + 1 < s.length; j++) {
      rows.push(r * len + j);
      targets.push(s[j + 1]);
    }
  });
  const h = model.hidden(ids, { attentionMask: mask });
  const loss = tf.tidy(() => {
    const h2 = tf.reshape(h, [seqs.length * len, model.config.hiddenSize]) as tf.Tensor2D;
    const logits = model.head(gatherRows(h2, rows));
    return tf.neg(tf.mean(targetLogprobs(logits, targets))) as tf.Scalar;
  });
  h.dispose();
  return loss;
}

/** Next-token scores of one id sequence ({@link scoreIds}). */
export interface ScoreResult {
  /** `log p(ids[t+1] | ids[..t])`, length n−1. */
  logprobs: number[];
  /** Most likely next token after each position, length n. */
  argmax: number[];
}

/**
 * Score ids with a loaded model (float64 log-softmax over the downloaded logits): the reference
 * numbers `deno task score` prints, to compare with another implementation.
 *
 * @param model the model.
 * @param ids at least one token id.
 * @returns next-token log-probs and argmaxes.
 */
export async function scoreIds(model: Qwen2Model, ids: number[]): Promise<ScoreResult> {
  if (ids.length === 0) throw new Error("scoreIds: ids is empty");
  const logits = model.forward([ids]);
  const data = (await logits.data()) as Float32Array;
  logits.dispose();
  const v = model.outputVocab;
  const pad = ids.slice(1).find((id) => id >= v);
  if (pad !== undefined) {
    throw new Error(
      `scoreIds: token id ${pad} has no token (the tokenizer has ${v}); it cannot be scored`,
    );
  }
  const logprobs: number[] = [], argmax: number[] = [];
  for (let t = 0; t < ids.length; t++) {
    const row = data.subarray(t * v, (t + 1) * v);
    let m = -Infinity, a = 0;
    for (let i = 0; i < v; i++) {
      if (row[i] > m) {
        m = row[i];
        a = i;
      }
    }
    argmax.push(a);
    if (t + 1 < ids.length) {
      let z = 0;
      for (let i = 0; i < v; i++) z += Math.exp(row[i] - m);
      logprobs.push(row[ids[t + 1]] - m - Math.log(z));
    }
  }
  return { logprobs, argmax };
}
