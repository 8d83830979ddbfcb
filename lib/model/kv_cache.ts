/**
 * The key/value cache for incremental decoding: per layer the RoPE-rotated keys and the values of
 * every position seen so far, `[B, S, kvHeads·D]` (the layout of the projections and of the
 * engine's fused attention, so extending the cache is one concat), plus which cached positions are real tokens
 * (left padding is masked out) and the next RoPE position of each row.
 *
 * A cache is filled and extended by `Qwen2Model.forward(…, {cache})`; {@link KVCache.select}
 * drops finished rows during batched generation. Its tensors are kept outside any `tf.tidy`, so
 * call {@link KVCache.dispose} when done.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * Cached keys and values of a batch of sequences.
 *
 * @example
 * ```ts
 * import { KVCache } from "./kv_cache.ts";
 * const cache = new KVCache(2);
 * console.log(cache.length, cache.batchSize); // 0 0
 * cache.dispose();
 * ```
 */
export class KVCache {
  /** Per layer: rotated keys `[B, S, kvHeads·D]` (undefined until the first forward). */
  readonly keys: (tf.Tensor3D | undefined)[];
  /** Per layer: values `[B, S, kvHeads·D]`. */
  readonly values: (tf.Tensor3D | undefined)[];
  /** `[B][S]`: 1 where the cached position holds a real token, 0 for padding. */
  keyMask: number[][] = [];
  /** Per row: the RoPE position the next real token gets (= real tokens seen so far). */
  nextPos: number[] = [];

  /** @param numLayers number of decoder layers of the model this cache serves. */
  constructor(numLayers: number) {
    if (!Number.isInteger(numLayers) || numLayers <= 0) {
      throw new Error(`KVCache: numLayers must be a positive integer, got ${numLayers}`);
    }
    this.keys = new Array(numLayers).fill(undefined);
    this.values = new Array(numLayers).fill(undefined);
  }

  /** Number of cached positions S (0 when empty). */
  get length(): number {
    return this.keyMask.length === 0 ? 0 : this.keyMask[0].length;
  }

  /** Number of rows B (0 before the first forward). */
  get batchSize(): number {
    return this.nextPos.length;
  }

  /**
   * Replace layer `i`'s tensors (the model calls this during a forward). The new tensors are
   * kept out of enclosing tidies; the old ones are disposed.
   *
   * @param i layer index.
   * @param k keys `[B, S, kvHeads·D]`.
   * @param v values `[B, S, kvHeads·D]`.
   */
  setLayer(i: number, k: tf.Tensor3D, v: tf.Tensor3D): void {
    const oldK = this.keys[i], oldV = this.values[i];
    this.keys[i] = tf.keep(k);
    this.values[i] = tf.keep(v);
    if (oldK && oldK !== k) oldK.dispose();
    if (oldV && oldV !== v) oldV.dispose();
  }

  /**
   * Keep only the given rows, in the given order (e.g. the rows still generating).
   *
   * @param rows row indices into the current batch.
   */
  select(rows: number[]): void {
    for (const r of rows) {
      if (!Number.isInteger(r) || r < 0 || r >= this.batchSize) {
        throw new Error(`KVCache.select: row ${r} is outside the batch of ${this.batchSize}`);
      }
    }
    if (rows.length === this.batchSize && rows.every((r, i) => r === i)) return;
    const idx = tf.tensor1d(rows, "int32");
    for (let i = 0; i < this.keys.length; i++) {
      const k = this.keys[i], v = this.values[i];
      if (!k || !v) continue;
      this.setLayer(i, tf.gather(k, idx, 0), tf.gather(v, idx, 0));
    }
    idx.dispose();
    this.keyMask = rows.map((r) => this.keyMask[r]);
    this.nextPos = rows.map((r) => this.nextPos[r]);
  }

  /** Release every cached tensor; the cache is empty afterwards. */
  dispose(): void {
    for (let i = 0; i < this.keys.length; i++) {
      this.keys[i]?.dispose();
      this.values[i]?.dispose();
      this.keys[i] = undefined;
      this.values[i] = undefined;
    }
    this.keyMask = [];
    this.nextPos = [];
  }
}
