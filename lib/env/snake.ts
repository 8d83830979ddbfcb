/**
 * Snake as a text-mediated stochastic game, after the authors' FastSnake rules.
 *
 * @module
 */

import { Rng } from "../util/rng.ts";
import { reseed } from "./seeding.ts";
import { type SnakeDeath, SnakeGame } from "./snake_game.ts";
import { type SnakeBoardState, snakeSystemText, snakeUserText } from "./snake_render.ts";
import {
  checkAction,
  checkAgentCount,
  checkRenderStyle,
  formatActionTag,
  parseActionTag,
  type RenderStyle,
  type StepResult,
  stepTextWith,
  type TextEnv,
} from "./tsmg.ts";

/** Snake's action names, indexed by action: 0 up (+y), 1 down, 2 left, 3 right. */
export const SNAKE_ACTIONS: readonly string[] = ["up", "down", "left", "right"];

const _INIT_STREAM = 0x1a17;
const _OPPONENT_STREAM = 0x0990;
const _APPLE_STREAM = 0xa991e;

/** Options of {@link SnakeEnv}. */
export interface SnakeOptions {
  /** Board width (default 10). */
  width?: number;
  /** Board height (default 10). */
  height?: number;
  /** Snakes controlled by language agents (default 1). */
  learners?: number;
  /** Scripted opponents (default 1). */
  opponents?: number;
  /** Apples on the board (default 5). */
  apples?: number;
  /** Reward for eating an apple (default 1). */
  appleReward?: number;
  /** Reward for dying (default −1). */
  deathReward?: number;
  /** Reward added every step to each learner alive at the step's start (default 0). */
  stepReward?: number;
  /** Step cap (default 100). */
  maxSteps?: number;
  /** Observation text style (default `"verbose"`). */
  renderStyle?: RenderStyle;
  /** Default penalty of `stepText` for an invalid answer (default 0). */
  formatPenalty?: number;
  /** Action executed for an invalid answer (default 0 = up). */
  defaultAction?: number;
  /** The environment's name (default `Snake-WxH`). */
  name?: string;
}

/**
 * Snake on a grid: every snake moves one cell per step; eat apples, avoid walls and bodies.
 *
 * ## Action space
 * 4 discrete actions: 0 up (y+1), 1 down (y−1), 2 left (x−1), 3 right (x+1). Text answers:
 * `<action>up</action>` etc.; an invalid answer executes `defaultAction` (0, up).
 *
 * ## Agents
 * Snakes 0..learners−1 are language agents (agent i is snake i); the rest are scripted opponents
 * that pick uniformly among the moves that stay on the board and avoid their own body (any of the
 * four when none does), from a stream seeded by the dynamics seed.
 *
 * ## Observation
 * (x, y) with (0, 0) at the bottom-left. See `snake_render.ts` (FastSnake key: `1` own head,
 * `2` enemy head, `T` body, `A` apple, `_` empty). `getState()` gives the board as data.
 *
 * ## Dynamics (one step)
 * All snakes choose at once. A snake dies when its new head is off the board, on a cell occupied
 * before the move by any snake (head or body, its own tail included), or on the same cell as
 * another snake's new head (head-to-head: both die). Dead snakes leave the board. A survivor
 * moving onto an apple eats it and grows by one (its tail stays); otherwise its tail moves.
 * Eaten apples respawn after all moves on uniformly random free cells (from the dynamics seed).
 * Snakes start with length 1 on distinct random cells, then the apples are placed at random
 * (both from the initial-state seed).
 *
 * ## Rewards (per learner)
 * `appleReward` (+1) per apple, `deathReward` (−1) on dying, plus `stepReward` (0) each step it
 * starts alive. `stepText` subtracts the format penalty for an invalid answer.
 *
 * ## Episode end
 * Terminated when every learner is dead, or — with two or more snakes — when at most one snake
 * is alive (so with one opponent any death ends the game). Truncated at `maxSteps` (100).
 * `info.success` (agent 0): the snake is alive and has eaten at least one apple. Also in `info`:
 * `alive`, `eaten` (apples so far) and `death` (`"wall" | "body" | "head"` or null) per learner.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SnakeEnv } from "./snake.ts";
 * const env = new SnakeEnv({ maxSteps: 8, renderStyle: "compact" });
 * env.reset(1);
 * const r = env.stepText(["<action>up</action>"]);
 * assert.deepEqual([r.rewards.length, env.observe().user.split("\n").length], [1, 11]);
 * ```
 */
export class SnakeEnv implements TextEnv {
  /** The environment's name. */
  readonly name: string;
  /** Number of language agents (learning snakes). */
  readonly numAgents: number;
  /** `["up", "down", "left", "right"]`. */
  readonly actionNames: readonly string[] = SNAKE_ACTIONS;
  /** Action executed for an invalid answer. */
  readonly defaultAction: number;
  /** The step cap. */
  readonly maxSteps: number;
  /** Board width. */
  readonly width: number;
  /** Board height. */
  readonly height: number;
  /** Number of scripted opponents. */
  readonly opponents: number;
  /** Number of apples kept on the board. */
  readonly numApples: number;
  /** Observation text style. */
  readonly renderStyle: RenderStyle;
  /** Default format penalty of `stepText`. */
  readonly formatPenalty: number;
  readonly #appleReward: number;
  readonly #deathReward: number;
  readonly #stepReward: number;
  readonly #game: SnakeGame;
  readonly #moves: Int32Array;
  readonly #eaten: Int32Array;
  readonly #death: (SnakeDeath | null)[];
  readonly #system: string;
  #initRng = new Rng(0);
  #oppRng = new Rng(0);
  #appleRng = new Rng(0);
  #t = 0;
  #done = true;
  #started = false;

  /** @param opts board, snakes, apples, rewards, step cap and text options. */
  constructor(opts: SnakeOptions = {}) {
    const int = (k: keyof SnakeOptions, def: number, min: number): number => {
      const v = opts[k] ?? def;
      if (!Number.isInteger(v) || (v as number) < min) {
        throw new Error(`SnakeEnv: ${k} must be an integer >= ${min}, got ${String(v)}`);
      }
      return v as number;
    };
    const num = (k: keyof SnakeOptions, def: number): number => {
      const v = opts[k] ?? def;
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new Error(`SnakeEnv: ${k} must be a finite number, got ${String(v)}`);
      }
      return v;
    };
    this.width = int("width", 10, 2);
    this.height = int("height", 10, 2);
    this.numAgents = int("learners", 1, 1);
    this.opponents = int("opponents", 1, 0);
    this.numApples = int("apples", 5, 0);
    this.maxSteps = int("maxSteps", 100, 1);
    this.#appleReward = num("appleReward", 1);
    this.#deathReward = num("deathReward", -1);
    this.#stepReward = num("stepReward", 0);
    this.formatPenalty = num("formatPenalty", 0);
    this.renderStyle = checkRenderStyle(opts.renderStyle, "SnakeEnv");
    this.defaultAction = opts.defaultAction ?? 0;
    checkAction(this.defaultAction, SNAKE_ACTIONS, "SnakeEnv: defaultAction");
    this.name = opts.name ?? `Snake-${this.width}x${this.height}`;
    const n = this.numAgents + this.opponents;
    this.#game = new SnakeGame(this.width, this.height, n, this.numApples);
    this.#moves = new Int32Array(n);
    this.#eaten = new Int32Array(this.numAgents);
    this.#death = new Array(this.numAgents).fill(null);
    this.#system = snakeSystemText(
      this.width,
      this.height,
      this.renderStyle,
      this.#appleReward,
      this.#deathReward,
    );
  }

  /** Steps taken in the current episode. */
  get t(): number {
    return this.#t;
  }
  /** Whether the episode has ended. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Start an episode: snakes and apples placed from `initialStateSeed`; opponents' moves and
   * apple respawns drawn from `dynamicsSeed` (default: `initialStateSeed`).
   */
  reset(initialStateSeed: number, dynamicsSeed: number = initialStateSeed): void {
    if (!Number.isFinite(initialStateSeed) || !Number.isFinite(dynamicsSeed)) {
      throw new Error(
        `${this.name}.reset: seeds must be finite numbers, got ${initialStateSeed}, ${dynamicsSeed}`,
      );
    }
    this.#game.resetRandom(reseed(this.#initRng, initialStateSeed, _INIT_STREAM));
    this.#begin(dynamicsSeed);
  }

  /**
   * Start an episode from a given board (e.g. to replay or test a situation).
   * @param state snakes (agents first, then opponents; cells head first) and apples, in (x, y).
   * @param dynamicsSeed seeds opponents and apple respawns.
   */
  resetTo(state: Omit<SnakeBoardState, "width" | "height">, dynamicsSeed: number): void {
    if (!Number.isFinite(dynamicsSeed)) {
      throw new Error(`${this.name}.resetTo: dynamicsSeed must be finite, got ${dynamicsSeed}`);
    }
    this.#game.resetTo(state);
    this.#begin(dynamicsSeed);
  }

  /** The current board in (x, y) coordinates (agents first, then opponents). */
  getState(): SnakeBoardState {
    return this.#game.getState();
  }

  /** Instructions and the current board from one agent's point of view. */
  observe(agent = 0): { system: string; user: string } {
    this.#checkStarted("observe");
    if (!Number.isInteger(agent) || agent < 0 || agent >= this.numAgents) {
      throw new Error(`${this.name}.observe: unknown agent ${agent}; 0..${this.numAgents - 1}`);
    }
    return {
      system: this.#system,
      user: snakeUserText(this.#game.getState(), agent, this.renderStyle, this.maxSteps - this.#t),
    };
  }

  /** Parse an answer into an action index, or null when invalid. */
  parseAction(text: string, _agent = 0): number | null {
    return parseActionTag(text, SNAKE_ACTIONS);
  }

  /** The canonical answer for an action, e.g. `<action>up</action>`. */
  formatAction(action: number): string {
    checkAction(action, SNAKE_ACTIONS, `${this.name}.formatAction`);
    return formatActionTag(SNAKE_ACTIONS[action]);
  }

  /** Advance all snakes one cell: learners by `actions`, opponents by their scripted policy. */
  step(actions: number[]): StepResult {
    this.#checkStarted("step");
    if (this.#done) {
      throw new Error(
        `${this.name}.step: the episode is over (ended at t=${this.#t}); call reset() first`,
      );
    }
    const L = this.numAgents, game = this.#game, n = game.numSnakes;
    checkAgentCount("actions", actions, L, `${this.name}.step`);
    for (const a of actions) checkAction(a, SNAKE_ACTIONS, `${this.name}.step`);
    const rewards = new Array<number>(L).fill(0);
    for (let i = 0; i < n; i++) {
      if (!game.isAlive(i)) continue;
      if (i < L) {
        this.#moves[i] = actions[i];
        rewards[i] += this.#stepReward;
      } else {
        this.#moves[i] = game.safeRandomMove(i, this.#oppRng);
      }
    }
    const { death, ate } = game.advance(this.#moves, this.#appleRng);
    for (let i = 0; i < L; i++) {
      if (death[i] !== null) {
        this.#death[i] = death[i];
        rewards[i] += this.#deathReward;
      }
      if (ate[i]) {
        this.#eaten[i]++;
        rewards[i] += this.#appleReward;
      }
    }
    this.#t++;
    let nAlive = 0, learnersAlive = 0;
    const aliveL = new Array<boolean>(L);
    for (let i = 0; i < n; i++) {
      const al = game.isAlive(i);
      nAlive += al ? 1 : 0;
      if (i < L) {
        aliveL[i] = al;
        learnersAlive += al ? 1 : 0;
      }
    }
    const terminated = learnersAlive === 0 || (n >= 2 && nAlive <= 1);
    const truncated = this.#t >= this.maxSteps;
    this.#done = terminated || truncated;
    return {
      rewards,
      terminated,
      truncated,
      info: {
        valid: new Array<boolean>(L).fill(true),
        actions: actions.slice(),
        success: aliveL[0] && this.#eaten[0] >= 1,
        alive: aliveL,
        eaten: Array.from(this.#eaten),
        death: this.#death.slice(),
      },
    };
  }

  /** Parse and step; invalid → default action, reward − penalty, `valid` false. */
  stepText(texts: string[], formatPenalty: number = this.formatPenalty): StepResult {
    return stepTextWith(this, texts, formatPenalty);
  }

  #begin(dynamicsSeed: number): void {
    reseed(this.#oppRng, dynamicsSeed, _OPPONENT_STREAM);
    reseed(this.#appleRng, dynamicsSeed, _APPLE_STREAM);
    this.#eaten.fill(0);
    this.#death.fill(null);
    this.#t = 0;
    this.#done = false;
    this.#started = true;
  }

  #checkStarted(fn: string): void {
    if (!this.#started) throw new Error(`${this.name}.${fn}: call reset() first`);
  }
}
