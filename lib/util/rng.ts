/**
 * A small, fast, seedable PRNG (SplitMix32 seeding + xoshiro128**), with a serialisable state so
 * runs can checkpoint and resume bit for bit. Every random choice in the toolkit flows from one.
 *
 * @module
 */

/** The full internal state of an {@link Rng}: four unsigned 32-bit words. */
export type RngState = [number, number, number, number];

function _splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Hash any number of integers (e.g. seed, iteration, episode) into one 32-bit seed. */
export function deriveSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    if (!Number.isFinite(p)) throw new Error(`deriveSeed: part ${p} is not a finite number`);
    const next = _splitmix32((h ^ (Math.trunc(p) >>> 0)) >>> 0);
    h = next() ^ Math.imul(h, 0x01000193);
    h >>>= 0;
  }
  return h >>> 0;
}

/**
 * Seedable pseudo-random generator (xoshiro128**).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "./rng.ts";
 * const a = new Rng(42), b = new Rng(42);
 * assert.deepEqual(a.float() === b.float(), true);
 * ```
 */
export class Rng {
  #s: Uint32Array = new Uint32Array(4);

  /** @param seed any integer; equal seeds give equal streams. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed ${seed} is not a finite number`);
    const sm = _splitmix32(Math.trunc(seed) >>> 0);
    for (let i = 0; i < 4; i++) this.#s[i] = sm();
    if ((this.#s[0] | this.#s[1] | this.#s[2] | this.#s[3]) === 0) this.#s[0] = 1;
  }

  /** Restore a generator from {@link Rng.getState}. */
  static fromState(state: RngState): Rng {
    const r = new Rng(0);
    r.setState(state);
    return r;
  }

  /** @returns a uniformly random unsigned 32-bit integer. */
  nextU32(): number {
    const s = this.#s;
    const result = Math.imul(_rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = _rotl(s[3], 11);
    return result;
  }

  /** @returns a float in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.nextU32() >>> 5, lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** @returns an integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) {
      throw new Error(`Rng.int: n must be a positive integer, got ${n}`);
    }
    return Math.floor(this.float() * n);
  }

  /** @returns a standard normal sample (Box–Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  /** @returns a uniformly chosen element of a non-empty array. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Rng.choice: empty array");
    return items[this.int(items.length)];
  }

  /** Shuffle an array in place (Fisher–Yates) and return it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** @returns a copy of the internal state (JSON-serialisable). */
  getState(): RngState {
    return [this.#s[0], this.#s[1], this.#s[2], this.#s[3]];
  }

  /** Overwrite the internal state with one from {@link Rng.getState}. */
  setState(state: RngState): void {
    if (!Array.isArray(state) || state.length !== 4 || state.some((x) => !Number.isInteger(x))) {
      throw new Error(
        `Rng.setState: expected 4 unsigned 32-bit integers, got ${JSON.stringify(state)}`,
      );
    }
    for (let i = 0; i < 4; i++) this.#s[i] = state[i] >>> 0;
  }
}

function _rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
