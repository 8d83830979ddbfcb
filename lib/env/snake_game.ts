/**
 * The Snake game core (no text, no rewards): board, snakes, apples and the FastSnake movement and
 * collision rules. {@link SnakeEnv} in `snake.ts` wraps it as a text-mediated environment.
 *
 * @module
 */

import type { Rng } from "../util/rng.ts";
import type { SnakeBoardState } from "./snake_render.ts";

/** Move deltas indexed by action: 0 up (+y), 1 down, 2 left, 3 right. */
const _DX = [0, 0, -1, 1];
const _DY = [1, -1, 0, 0];

/** Why a snake died in a step. */
export type SnakeDeath = "wall" | "body" | "head";

/** What happened to each snake in one {@link SnakeGame.advance}. */
export interface SnakeOutcome {
  /** Per snake: the cause of death this step, or null. */
  death: (SnakeDeath | null)[];
  /** Per snake: whether it ate an apple this step. */
  ate: boolean[];
}

/**
 * A Snake board with `numSnakes` snakes and `numApples` apples.
 *
 * Rules of one step ({@link SnakeGame.advance}): all snakes move at once. A snake dies when its
 * new head is off the board, on a cell occupied before the move by any snake (head or body, its
 * own tail included), or on the same cell as another snake's new head (both die). Dead snakes
 * leave the board. A survivor moving onto an apple eats it and grows by one; otherwise its tail
 * moves. Eaten apples respawn after all moves on uniformly random free cells.
 */
export class SnakeGame {
  /** Board width. */
  readonly width: number;
  /** Board height. */
  readonly height: number;
  /** Number of snakes. */
  readonly numSnakes: number;
  /** Number of apples kept on the board. */
  readonly numApples: number;
  readonly #cap: number;
  readonly #ring: Int16Array[];
  readonly #head: Int32Array;
  readonly #len: Int32Array;
  readonly #alive: Uint8Array;
  readonly #occ: Int8Array;
  readonly #apple: Uint8Array;
  readonly #newHead: Int32Array;
  readonly #free: Int32Array;

  /**
   * @param width board width (≥ 2).
   * @param height board height (≥ 2).
   * @param numSnakes number of snakes (at most the number of cells, and ≤ 127).
   * @param numApples number of apples.
   */
  constructor(width: number, height: number, numSnakes: number, numApples: number) {
    const cap = width * height;
    if (numSnakes > cap || numSnakes > 127) {
      throw new Error(`SnakeGame: ${numSnakes} snakes do not fit a ${width}x${height} board`);
    }
    this.width = width;
    this.height = height;
    this.numSnakes = numSnakes;
    this.numApples = numApples;
    this.#cap = cap;
    this.#ring = Array.from({ length: numSnakes }, () => new Int16Array(cap));
    this.#head = new Int32Array(numSnakes);
    this.#len = new Int32Array(numSnakes);
    this.#alive = new Uint8Array(numSnakes);
    this.#occ = new Int8Array(cap);
    this.#apple = new Uint8Array(cap);
    this.#newHead = new Int32Array(numSnakes);
    this.#free = new Int32Array(cap);
  }

  /**
   * Place every snake (length 1) on a distinct random free cell, then the apples.
   * @param rng the initial-state generator.
   */
  resetRandom(rng: Rng): void {
    this.#clear();
    for (let i = 0; i < this.numSnakes; i++) {
      const c = this.#randomFree(rng);
      this.#len[i] = 1;
      this.#head[i] = 0;
      this.#ring[i][0] = c;
      this.#alive[i] = 1;
      this.#occ[c] = i + 1;
    }
    for (let k = 0; k < this.numApples; k++) {
      const c = this.#randomFree(rng);
      if (c >= 0) this.#apple[c] = 1;
    }
  }

  /**
   * Set the board from data (cells in (x, y), head first).
   * @param state one entry per snake, and the apples.
   */
  resetTo(state: Omit<SnakeBoardState, "width" | "height">): void {
    if (!Array.isArray(state?.snakes) || state.snakes.length !== this.numSnakes) {
      throw new Error(
        `SnakeGame.resetTo: expected ${this.numSnakes} snakes, got ${state?.snakes?.length}`,
      );
    }
    this.#clear();
    state.snakes.forEach((s, i) => {
      this.#alive[i] = s.alive && s.cells.length > 0 ? 1 : 0;
      if (!this.#alive[i]) return;
      this.#len[i] = s.cells.length;
      this.#head[i] = 0;
      s.cells.forEach((xy, k) => {
        const c = this.#cell(xy, `snake ${i} segment ${k}`);
        if (this.#occ[c] !== 0) {
          throw new Error(`SnakeGame.resetTo: cell ${JSON.stringify(xy)} is used twice`);
        }
        this.#occ[c] = i + 1;
        this.#ring[i][k] = c;
      });
    });
    for (const xy of state.apples ?? []) {
      const c = this.#cell(xy, "apple");
      if (this.#occ[c] !== 0) {
        throw new Error(`SnakeGame.resetTo: apple at ${JSON.stringify(xy)} is on a snake`);
      }
      this.#apple[c] = 1;
    }
  }

  /** The board in (x, y) coordinates. */
  getState(): SnakeBoardState {
    const w = this.width;
    const xy = (c: number): [number, number] => [c % w, (c - (c % w)) / w];
    const snakes = [];
    for (let i = 0; i < this.numSnakes; i++) {
      const cells: [number, number][] = [];
      for (let k = 0; k < this.#len[i]; k++) {
        cells.push(xy(this.#ring[i][(this.#head[i] + k) % this.#cap]));
      }
      snakes.push({ alive: this.#alive[i] === 1, cells });
    }
    const apples: [number, number][] = [];
    for (let c = 0; c < this.#cap; c++) if (this.#apple[c]) apples.push(xy(c));
    return { width: w, height: this.height, snakes, apples };
  }

  /**
   * Whether snake `i` is alive.
   * @param i snake index.
   * @returns true while it is on the board.
   */
  isAlive(i: number): boolean {
    return this.#alive[i] === 1;
  }

  /**
   * Move every alive snake one cell.
   * @param moves one action per snake (ignored for dead snakes).
   * @param appleRng the generator for apple respawns.
   * @returns deaths and meals of this step, per snake.
   */
  advance(moves: ArrayLike<number>, appleRng: Rng): SnakeOutcome {
    const n = this.numSnakes, w = this.width, cap = this.#cap;
    const occ = this.#occ, newHead = this.#newHead, alive = this.#alive;
    const death: (SnakeDeath | null)[] = new Array(n).fill(null);
    const ate: boolean[] = new Array(n).fill(false);
    for (let i = 0; i < n; i++) {
      newHead[i] = -1;
      if (!alive[i]) continue;
      const h = this.#ring[i][this.#head[i]], a = moves[i];
      const x = (h % w) + _DX[a], y = (h - (h % w)) / w + _DY[a];
      if (x < 0 || x >= w || y < 0 || y >= this.height) death[i] = "wall";
      else if (occ[y * w + x] !== 0) death[i] = "body";
      newHead[i] = y * w + x;
      if (death[i] === "wall") newHead[i] = -1;
    }
    for (let i = 0; i < n; i++) {
      if (newHead[i] < 0) continue;
      for (let j = i + 1; j < n; j++) {
        if (newHead[j] === newHead[i]) {
          death[i] ??= "head";
          death[j] ??= "head";
        }
      }
    }
    for (let i = 0; i < n; i++) {
      if (!alive[i] || death[i] === null) continue;
      for (let k = 0; k < this.#len[i]; k++) occ[this.#ring[i][(this.#head[i] + k) % cap]] = 0;
      alive[i] = 0;
      this.#len[i] = 0;
    }
    let respawn = 0;
    for (let i = 0; i < n; i++) {
      if (!alive[i]) continue;
      const c = newHead[i];
      const hd = (this.#head[i] + cap - 1) % cap;
      this.#head[i] = hd;
      this.#ring[i][hd] = c;
      occ[c] = i + 1;
      if (this.#apple[c]) {
        this.#apple[c] = 0;
        this.#len[i]++;
        ate[i] = true;
        respawn++;
      } else {
        occ[this.#ring[i][(hd + this.#len[i]) % cap]] = 0;
      }
    }
    for (let k = 0; k < respawn; k++) {
      const c = this.#randomFree(appleRng);
      if (c >= 0) this.#apple[c] = 1;
    }
    return { death, ate };
  }

  /**
   * The scripted opponent policy: uniform over the moves that stay on the board and avoid the
   * snake's own body; any of the four when none does.
   * @param i the snake.
   * @param rng the opponents' generator.
   * @returns an action.
   */
  safeRandomMove(i: number, rng: Rng): number {
    const w = this.width, cap = this.#cap, ring = this.#ring[i];
    const h = ring[this.#head[i]];
    const hx = h % w, hy = (h - hx) / w;
    let safe = 0, mask = 0;
    for (let a = 0; a < 4; a++) {
      const x = hx + _DX[a], y = hy + _DY[a];
      if (x < 0 || x >= w || y < 0 || y >= this.height) continue;
      const c = y * w + x;
      let own = false;
      if (this.#occ[c] === i + 1) {
        for (let k = 1; k < this.#len[i] && !own; k++) own = ring[(this.#head[i] + k) % cap] === c;
      }
      if (!own) {
        mask |= 1 << a;
        safe++;
      }
    }
    if (safe === 0) return rng.int(4);
    let pick = rng.int(safe);
    for (let a = 0; a < 4; a++) {
      if (mask & (1 << a) && pick-- === 0) return a;
    }
    return 0;
  }

  /** A uniformly random cell with no snake and no apple, or −1 when the board is full. */
  #randomFree(rng: Rng): number {
    let m = 0;
    for (let c = 0; c < this.#cap; c++) {
      if (this.#occ[c] === 0 && this.#apple[c] === 0) this.#free[m++] = c;
    }
    return m === 0 ? -1 : this.#free[rng.int(m)];
  }

  #cell(xy: unknown, what: string): number {
    const ok = Array.isArray(xy) && xy.length === 2 && Number.isInteger(xy[0]) &&
      Number.isInteger(xy[1]) && xy[0] >= 0 && xy[0] < this.width && xy[1] >= 0 &&
      xy[1] < this.height;
    if (!ok) {
      throw new Error(`SnakeGame.resetTo: ${what} at ${JSON.stringify(xy)} is off the board`);
    }
    const [x, y] = xy as [number, number];
    return y * this.width + x;
  }

  #clear(): void {
    this.#occ.fill(0);
    this.#apple.fill(0);
    this.#alive.fill(0);
    this.#len.fill(0);
  }
}
