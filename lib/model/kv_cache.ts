/**
 * The key/value cache for incremental decoding: per layer the RoPE-rotated keys and the values of
 * every position seen so far, `[B, S, kvHeads·D]` (the layout of the projections and of the
 * engine's fused attention), plus which cached positions are real tokens (left padding is masked
 * out) and the next RoPE position of each row.
 *
 * Two ways of growing, chosen per append:
 * - **in place** (fast backend, or webgpu with its fused kernels; no gradient recorded): each layer holds buffers with spare
 *   capacity `[B, capacity, kvHeads·D]`; new positions are written into them and attention reads
 *   the first {@link KVCache.length} positions. Capacity doubles when it runs out, so a step costs
 *   O(new positions) instead of a copy of the whole cache.
 * - **concat** (every other backend): the buffers are exactly `[B, S, kvHeads·D]` and each step
 *   concatenates the new positions.
 *
 * A cache is filled and extended by `Qwen2Model.forward(…, {cache})`; {@link KVCache.select}
 * drops finished rows during batched generation. Its tensors are kept outside any `tf.tidy`, so
 * call {@link KVCache.dispose} when done.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { inPlaceKvWrites, writeKvRows } from "../engine/ops_kvcache.ts";

/** Buffers of one layer after {@link KVCache.append}: attend over positions `0..length − 1`. */
export interface CachedKV {
  /** Keys `[B, ≥length, kvHeads·D]` (spare capacity after `length` is unused). */
  keys: tf.Tensor3D;
  /** Values, same shape as `keys`. */
  values: tf.Tensor3D;
  /** Positions in use. */
  length: number;
}

/** Positions of spare capacity a new in-place buffer gets beyond what it needs first. */
const MIN_SPARE = 64;

/**
 * Cached keys and values of a batch of sequences.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KVCache } from "./kv_cache.ts";
 * const cache = new KVCache(2);
 * assert.deepEqual([cache.length, cache.batchSize], [0, 0]);
 * cache.dispose();
 * ```
 */
export class KVCache {
  /**
   * Per layer: rotated keys `[B, capacity, kvHeads·D]`, of which the first {@link KVCache.length}
   * positions are in use (undefined until the first forward).
   */
  readonly keys: (tf.Tensor3D | undefined)[];
  /** Per layer: values, same shapes as `keys`. */
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
   * Extend layer `i` by new keys and values after the {@link KVCache.length} cached positions
   * (the model calls this during a forward, before it updates `keyMask`), in place when the
   * engine allows it, else by concat. The returned buffers belong to the cache.
   *
   * @param i layer index.
   * @param k new keys `[B, T, kvHeads·D]`.
   * @param v new values, same shape.
   * @returns the buffers to attend over and the positions in use.
   */
  append(i: number, k: tf.Tensor3D, v: tf.Tensor3D): CachedKV {
    const start = this.length, t = k.shape[1], length = start + t;
    const oldK = this.keys[i], oldV = this.values[i];
    if (oldK && oldV && oldK.shape[0] !== k.shape[0]) {
      throw new Error(
        `KVCache.append: layer ${i} holds ${oldK.shape[0]} rows, the new keys ${k.shape[0]}`,
      );
    }
    if (!inPlaceKvWrites()) {
      let keys = k, values = v;
      if (oldK && oldV && start > 0) {
        const [b, , w] = oldK.shape;
        const pastK = oldK.shape[1] === start ? oldK : tf.slice(oldK, [0, 0, 0], [b, start, w]);
        const pastV = oldV.shape[1] === start ? oldV : tf.slice(oldV, [0, 0, 0], [b, start, w]);
        keys = tf.concat([pastK, k], 1);
        values = tf.concat([pastV, v], 1);
        if (pastK !== oldK) tf.dispose([pastK, pastV]);
      }
      this.setLayer(i, keys, values);
      return { keys, values, length };
    }
    let bufK = oldK, bufV = oldV;
    if (!bufK || !bufV || start === 0 || bufK.shape[1] < length) {
      const [b, , w] = k.shape;
      const cap = Math.max(length + MIN_SPARE, 2 * (bufK?.shape[1] ?? 0));
      bufK = tf.zeros([b, cap, w]) as tf.Tensor3D;
      bufV = tf.zeros([b, cap, w]) as tf.Tensor3D;
      if (oldK && oldV && start > 0) {
        writeKvRows(bufK, oldK, 0, start);
        writeKvRows(bufV, oldV, 0, start);
      }
      this.setLayer(i, bufK, bufV);
    }
    writeKvRows(bufK, k, start);
    writeKvRows(bufV, v, start);
    return { keys: bufK, values: bufV, length };
  }

  /**
   * Replace layer `i`'s tensors. The new tensors are kept out of enclosing tidies; the old ones
   * are disposed.
   *
   * @param i layer index.
   * @param k keys `[B, capacity, kvHeads·D]` (capacity ≥ {@link KVCache.length}).
   * @param v values, same shape.
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
