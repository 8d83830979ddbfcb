/**
 * Text rendering of Snake for language agents (after the authors' FastSnake text observation):
 * - `verbose`: board size and coordinate convention, apple positions, each opponent's head and
 *   body, the agent's own head and body, then an ASCII grid (rows top to bottom) with the key
 *   `1` own head, `2` enemy head, `T` body, `A` apple, `_` empty;
 * - `compact`: the grid rows only as the user message and one short instruction line as the
 *   system message.
 *
 * @module
 */

import type { RenderStyle } from "./tsmg.ts";

let _emptyRow = "";

/** A snake in (x, y) coordinates, head first. */
export interface SnakeView {
  /** Whether the snake is still on the board. */
  alive: boolean;
  /** Segments as [x, y], head first, tail last (empty when dead). */
  cells: [number, number][];
}

/** A board state in (x, y) coordinates, (0, 0) at the bottom-left. */
export interface SnakeBoardState {
  /** Board width (x from 0 to width − 1). */
  width: number;
  /** Board height (y from 0 to height − 1). */
  height: number;
  /** Snakes: language agents first (agent i is snake i), then scripted opponents. */
  snakes: SnakeView[];
  /** Apple positions as [x, y]. */
  apples: [number, number][];
}

/**
 * The system message (instructions) of a Snake environment.
 * @param width board width.
 * @param height board height.
 * @param style render style.
 * @param appleReward reward for an apple.
 * @param deathReward reward for dying.
 * @returns the system message.
 */
export function snakeSystemText(
  width: number,
  height: number,
  style: RenderStyle,
  appleReward: number,
  deathReward: number,
): string {
  if (style === "compact") {
    return "Snake 1: eat apples A, avoid walls, bodies T and heads 2. " +
      "Reply <action>up|down|left|right</action>.";
  }
  return [
    `You are playing Snake on a ${width}x${height} board. Positions are (x, y) with (0, 0) at the ` +
    `bottom-left corner; x grows to the right and y grows upwards.`,
    `You control snake 1. Every turn each snake moves one cell: up (y+1), down (y-1), left (x-1) ` +
    `or right (x+1).`,
    `Eating an apple gives ${appleReward} and makes your snake one cell longer. Moving into a wall, ` +
    `into any snake's body, or onto the same cell as another snake's head kills you ` +
    `(${deathReward}); when a snake dies the game ends.`,
    `You may think inside <think>...</think> first. Then answer with exactly one action tag: ` +
    `<action>up</action>, <action>down</action>, <action>left</action> or <action>right</action>.`,
  ].join("\n");
}

/**
 * The user message: the current board from one agent's point of view.
 * @param b the board state.
 * @param agent the snake the text speaks to (its head is `1`).
 * @param style render style.
 * @param stepsLeft steps remaining before the cap (verbose only).
 * @returns the user message.
 */
export function snakeUserText(
  b: SnakeBoardState,
  agent: number,
  style: RenderStyle,
  stepsLeft: number,
): string {
  const { width, height } = b;
  if (_emptyRow.length !== width) _emptyRow = "_".repeat(width);
  const grid: string[] = new Array(height).fill(_emptyRow);
  const put = (xy: [number, number], ch: string) => {
    const r = height - 1 - xy[1], row = grid[r];
    grid[r] = row.slice(0, xy[0]) + ch + row.slice(xy[0] + 1);
  };
  for (const a of b.apples) put(a, "A");
  for (let i = 0; i < b.snakes.length; i++) {
    const cells = b.snakes[i].cells;
    for (let k = 1; k < cells.length; k++) put(cells[k], "T");
    if (cells.length > 0) put(cells[0], i === agent ? "1" : "2");
  }
  const rows = grid.join("\n") + "\n";
  if (style === "compact") return rows;
  const xy = (c: [number, number]) => `(${c[0]}, ${c[1]})`;
  const describe = (s: SnakeView) =>
    s.alive
      ? `head ${xy(s.cells[0])}; body ${
        s.cells.length > 1 ? s.cells.slice(1).map(xy).join(", ") : "none"
      }`
      : "dead";
  const lines = [`Apples: ${b.apples.length > 0 ? b.apples.map(xy).join(", ") : "none"}`];
  let enemy = 0;
  for (let i = 0; i < b.snakes.length; i++) {
    if (i !== agent) lines.push(`Enemy snake ${++enemy}: ${describe(b.snakes[i])}`);
  }
  lines.push(`Your snake: ${describe(b.snakes[agent])}`);
  lines.push(
    `Grid (top row y=${height - 1} first; 1 your head, 2 enemy head, T body, A apple, _ empty):`,
  );
  return lines.join("\n") + "\n" + rows + `Steps left: ${stepsLeft}`;
}
