/**
 * Batched, KV-cached autoregressive generation.
 *
 * Prompts are left-padded into one batch and prefilled in a single forward; every later step
 * feeds one token per live sequence. Only the last position's logits (`[B, V]`) are computed per
 * step. They are downloaded and sampled on the CPU (`sampling.ts`), except on the webgpu backend
 * when no top-k, top-p or top-logprobs is asked for: there each row is sampled on the GPU by the
 * same rule from the same uniform draw of its stream, and only its token and two log-probabilities
 * are read back (`lib/engine/webgpu_sampling.ts`). A row that emits a stop
 * token, or reaches `maxNewTokens`, is finished and dropped from the batch and its cache, so later
 * steps only compute live rows.
 *
 * Shared prefixes are computed once: rows whose prompt and tokens so far are identical (a group of
 * episodes started from one state, the same state met again, the same answer sampled) share one
 * row of the cache and one row of logits, and each row still samples from its own stream. The
 * batch therefore shrinks to the distinct sequences, and grows again (the cache row is copied)
 * when the rows sharing it sample different tokens.
 *
 * Only the model's {@link Qwen2Model.outputVocab} ids are candidates: embedding rows past the
 * tokenizer's last token (a checkpoint's padding rows) are never drawn.
 *
 * Randomness: row i samples from its own stream `Rng(rowSeeds[i])`, by default
 * `Rng(deriveSeed(seed, i))`, so a row's output depends only on its seed and prompt, not on what
 * else is in the batch (up to floating-point differences between batch shapes).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  type DeviceSample,
  deviceSamplingActive,
  sampleRowsOnDevice,
} from "../engine/webgpu_sampling.ts";
import { deriveSeed, Rng } from "../util/rng.ts";
import { KVCache } from "./kv_cache.ts";
import type { Qwen2Model } from "./qwen2.ts";
import {
  sampleToken,
  type SamplingOptions,
  type TokenLogprob,
  topLogprobs,
  validateSampling,
} from "./sampling.ts";

/** One token as {@link GenerateOptions.onToken} sees it. */
export interface GeneratedToken {
  /** The sampled id. */
  token: number;
  /** Its `log π(token)` at temperature 1. */
  logprob: number;
  /** The most likely alternatives, when `topLogprobs` > 0. */
  top?: TokenLogprob[];
}

/** Options of {@link generate}. */
export interface GenerateOptions extends SamplingOptions {
  /** Most tokens to generate per row (the stop token counts). */
  maxNewTokens: number;
  /** Seed of the call; row i uses `deriveSeed(seed, i)` unless `rowSeeds` is given. */
  seed: number;
  /** One seed per row, overriding the derived ones. */
  rowSeeds?: number[];
  /** Token ids that end a row (default: the config's `eosTokenIds`). */
  stopTokenIds?: number[];
  /** Also return the this many most likely tokens at each step (default 0; at most 20). */
  topLogprobs?: number;
  /**
   * Called with each token of each row (original row index) as it is sampled; returning true
   * ends that row there ("stop"), freeing its batch slot — for stop strings and clients that left.
   */
  onToken?: (row: number, t: GeneratedToken) => boolean | void;
}

/** Output of {@link generate}, one entry per prompt, in order. */
export interface GenerateResult {
  /** Generated ids per row; a row that stopped ends with its stop token. */
  tokens: number[][];
  /** `log π_θ(token)` at temperature 1 (untruncated model distribution) per generated token. */
  logprobs: number[][];
  /** Log-probability under the distribution actually sampled from (0 when greedy). */
  samplingLogprobs: number[][];
  /** "stop" when a stop token was emitted (or `onToken` ended the row), "length" at the cap. */
  finishReason: ("stop" | "length")[];
  /** Per row and token, the `topLogprobs` most likely alternatives (when asked for). */
  topLogprobs?: TokenLogprob[][][];
}

/**
 * Generate completions for a batch of prompts.
 *
 * @param model the model.
 * @param prompts token ids per row (each non-empty).
 * @param opts sampling, length, seeds and stop tokens.
 * @returns tokens, log-probs and finish reasons per row.
 * @example
 * ```ts ignore
 * // not run as a test: a fragment; `model` is a loaded Qwen2Model
 * const out = await generate(model, [[1, 2, 3]], { maxNewTokens: 8, temperature: 1, seed: 0 });
 * console.log(out.tokens[0], out.finishReason[0]);
 * ```
 */
export async function generate(
  model: Qwen2Model,
  prompts: number[][],
  opts: GenerateOptions,
): Promise<GenerateResult> {
  validateSampling(opts);
  const b = prompts.length;
  if (!Number.isInteger(opts.maxNewTokens) || opts.maxNewTokens < 0) {
    throw new Error(`generate: maxNewTokens must be an integer ≥ 0, got ${opts.maxNewTokens}`);
  }
  if (opts.rowSeeds && opts.rowSeeds.length !== b) {
    throw new Error(`generate: ${opts.rowSeeds.length} rowSeeds for ${b} prompts`);
  }
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new Error(`generate: prompt ${i} is empty`);
  });
  const k = opts.topLogprobs ?? 0;
  if (!Number.isInteger(k) || k < 0 || k > 20) {
    throw new Error(`generate: topLogprobs must be an integer in [0, 20], got ${k}`);
  }
  const stop = new Set(opts.stopTokenIds ?? model.config.eosTokenIds);
  const result: GenerateResult = {
    tokens: prompts.map(() => []),
    logprobs: prompts.map(() => []),
    samplingLogprobs: prompts.map(() => []),
    finishReason: prompts.map(() => "length"),
    topLogprobs: k > 0 ? prompts.map(() => []) : undefined,
  };
  if (b === 0 || opts.maxNewTokens === 0) return result;
  const rngs = prompts.map((_, i) =>
    new Rng(opts.rowSeeds ? opts.rowSeeds[i] : deriveSeed(opts.seed, i))
  );
  // One cache row per distinct sequence ("node"); `nodeOf[row]` is the row's node.
  const distinct = new Map<string, number>(), unique: number[][] = [];
  let nodeOf = prompts.map((p) => {
    const key = p.join(",");
    let n = distinct.get(key);
    if (n === undefined) {
      distinct.set(key, n = unique.length);
      unique.push(p);
    }
    return n;
  });
  const pMax = Math.max(...unique.map((p) => p.length));
  let input = unique.map((p) => [...new Array(pMax - p.length).fill(0), ...p]);
  let mask: number[][] | undefined = unique.map((
    p,
  ) => [...new Array(pMax - p.length).fill(0), ...p.map(() => 1)]);
  let live = prompts.map((_, i) => i); // original rows still generating
  const cache = new KVCache(model.config.numLayers);
  const v = model.outputVocab;
  // Sample on the GPU (reading back 3 numbers per row, not V logits) when nothing needs them all.
  const sampleOnDevice = deviceSamplingActive() && k === 0 && !(opts.topK && opts.topK < v) &&
    (opts.topP ?? 1) >= 1;
  try {
    while (live.length > 0) {
      const logits = _lastLogits(model, input, mask, cache);
      let data: Float32Array | null = null, onDevice: DeviceSample[] | null = null;
      try {
        if (sampleOnDevice) {
          const u = live.map((row) => (opts.temperature > 0 ? rngs[row].float() : 0));
          onDevice = await sampleRowsOnDevice(logits, nodeOf, u, opts.temperature);
        } else {
          data = (await logits.data()) as Float32Array;
        }
      } finally {
        logits.dispose();
      }
      const children = new Map<string, number>(), parents: number[] = [], next: number[][] = [];
      const keep: number[] = [], keepNode: number[] = [];
      live.forEach((row, i) => {
        const node = nodeOf[i];
        const logits = data?.subarray(node * v, (node + 1) * v);
        const s = logits ? sampleToken(logits, opts, rngs[row]) : onDevice![i];
        if (!(s.token >= 0 && s.token < v)) {
          throw new Error(
            `generate: the device sampled no valid token for row ${row} (NaN logits?)`,
          );
        }
        result.tokens[row].push(s.token);
        result.logprobs[row].push(s.logprob);
        result.samplingLogprobs[row].push(s.samplingLogprob);
        const top = k > 0 && logits ? topLogprobs(logits, k) : undefined;
        if (top) result.topLogprobs![row].push(top);
        const ended = opts.onToken?.(row, { token: s.token, logprob: s.logprob, top }) === true;
        if (stop.has(s.token) || ended) {
          result.finishReason[row] = "stop";
        } else if (result.tokens[row].length < opts.maxNewTokens) {
          const key = `${node}:${s.token}`;
          let child = children.get(key);
          if (child === undefined) {
            children.set(key, child = parents.length);
            parents.push(node);
            next.push([s.token]);
          }
          keep.push(row);
          keepNode.push(child);
        }
      });
      if (keep.length === 0) break;
      cache.select(parents);
      live = keep;
      nodeOf = keepNode;
      input = next;
      mask = undefined;
    }
  } finally {
    cache.dispose();
  }
  return result;
}

/** Logits `[B, V]` of the last position of `ids`, extending `cache`. */
function _lastLogits(
  model: Qwen2Model,
  ids: number[][],
  mask: number[][] | undefined,
  cache: KVCache,
): tf.Tensor2D {
  const h = model.hidden(ids, { attentionMask: mask, cache });
  try {
    return tf.tidy(() => {
      const [b, t, hs] = h.shape;
      const last = t === 1
        ? tf.reshape(h, [b, hs]) as tf.Tensor2D
        : tf.reshape(tf.slice(h, [0, t - 1, 0], [b, 1, hs]), [b, hs]) as tf.Tensor2D;
      return model.head(last);
    });
  } finally {
    h.dispose();
  }
}
