/**
 * Text rendering of Frozen Lake for language agents, in two styles:
 * - `verbose` (after the authors' later code): board size and the coordinate convention, the
 *   player's position, the holes and the goal as (x, y) with (0, 0) at the bottom-left, a grid
 *   with a key (`P` player, `O` hole, `G` goal, `_` empty), an instruction naming the four actions,
 *   saying that a hole ends the game and, when slippery, that a move may go sideways;
 * - `compact` (for tiny models where every prompt token costs): one short instruction line as the
 *   system message; the grid rows then one line stating the player's row and column and what lies
 *   left, down, right and up of it (`_` ice, `O` hole, `G` goal, `#` the edge) as the user
 *   message — the same state, spelled out so that a small model need not locate `P` itself.
 *
 * @module
 */

import type { RenderStyle } from "./tsmg.ts";

/** Everything about a map that does not change within an episode, pre-rendered once. */
export interface FrozenLakeRenderCache {
  /** The system message. */
  system: string;
  /** Grid rows with `O`, `G`, `_` (no player). */
  rows: string[];
  /** Verbose only: the holes and goal lines. */
  fixedLines: string;
  /** Number of columns. */
  ncol: number;
  /** Number of rows. */
  nrow: number;
  /** Render style. */
  style: RenderStyle;
}

/**
 * Pre-render the parts of the observation that depend on the map only.
 * @param desc the map's rows.
 * @param slippery whether moves may slip sideways.
 * @param style render style.
 * @returns the cache passed to {@link renderFrozenLakeUser}.
 */
export function frozenLakeRenderCache(
  desc: readonly string[],
  slippery: boolean,
  style: RenderStyle,
): FrozenLakeRenderCache {
  const nrow = desc.length, ncol = desc[0].length;
  const rows = desc.map((row) =>
    [...row].map((ch) => (ch === "H" ? "O" : ch === "G" ? "G" : "_")).join("")
  );
  let system: string;
  let fixedLines = "";
  if (style === "compact") {
    system = `Reach G, avoid holes O${slippery ? ", ice is slippery" : ""}, # is the edge. ` +
      `Reply <action>left|down|right|up</action>.`;
  } else {
    const holes: string[] = [], goals: string[] = [];
    for (let r = 0; r < nrow; r++) {
      for (let c = 0; c < ncol; c++) {
        const xy = `(${c}, ${nrow - 1 - r})`;
        if (desc[r][c] === "H") holes.push(xy);
        else if (desc[r][c] === "G") goals.push(xy);
      }
    }
    fixedLines = `Holes: ${holes.length > 0 ? holes.join(", ") : "none"}\n` +
      `Goal: ${goals.join(", ")}\n`;
    system = [
      `You are playing Frozen Lake on a ${ncol}x${nrow} grid. Positions are (x, y) with (0, 0) at ` +
      `the bottom-left corner; x grows to the right and y grows upwards.`,
      `Move the player P to the goal G. Falling into a hole O ends the game; moving into the edge ` +
      `of the grid leaves the player in place.`,
      slippery
        ? `The ice is slippery: a move may take the player sideways (perpendicular to the chosen ` +
          `direction) instead of where you intended.`
        : `The ice is not slippery: every move goes where you choose.`,
      `Each turn choose one action: left (x-1), down (y-1), right (x+1) or up (y+1).`,
      `You may think inside <think>...</think> first. Then answer with exactly one action tag: ` +
      `<action>left</action>, <action>down</action>, <action>right</action> or ` +
      `<action>up</action>.`,
    ].join("\n");
  }
  return { system, rows, fixedLines, ncol, nrow, style };
}

/**
 * Render the current state (the user message).
 * @param cache from {@link frozenLakeRenderCache}.
 * @param state the player's state index (`row * ncol + col`).
 * @param stepsLeft steps remaining before the cap (verbose only).
 * @returns the user message.
 */
export function renderFrozenLakeUser(
  cache: FrozenLakeRenderCache,
  state: number,
  stepsLeft: number,
): string {
  const { rows, ncol, nrow } = cache;
  const pr = Math.floor(state / ncol), pc = state - pr * ncol;
  let grid = "";
  for (let r = 0; r < nrow; r++) {
    const row = rows[r];
    grid += (r === pr ? row.slice(0, pc) + "P" + row.slice(pc + 1) : row) + "\n";
  }
  if (cache.style === "compact") {
    const at = (
      r: number,
      c: number,
    ) => (r < 0 || r >= nrow || c < 0 || c >= ncol ? "#" : rows[r][c]);
    return `${grid}row ${pr} col ${pc} left ${at(pr, pc - 1)} down ${at(pr + 1, pc)} ` +
      `right ${at(pr, pc + 1)} up ${at(pr - 1, pc)}\n`;
  }
  return `Player: (${pc}, ${nrow - 1 - pr})\n${cache.fixedLines}` +
    `Grid (top row first; P player, O hole, G goal, _ empty):\n${grid}` +
    `Steps left: ${stepsLeft}`;
}
