/**
 * Boards drawn as SVG: a Frozen Lake map with the player, a Snake board with apples and snakes,
 * and a strip of frames with a caption under each (the model's text and the move it made), so an
 * episode can be looked at rather than read.
 *
 * @module
 */

/** One board position to draw. */
export type BoardFrame =
  | {
    kind: "frozen_lake";
    /** Map rows of `S`, `F`, `H`, `G`. */
    desc: readonly string[];
    /** Player state index `row * ncol + col`. */
    state: number;
  }
  | {
    kind: "snake";
    width: number;
    height: number;
    /** Snakes in (x, y), head first; snake 0 is the agent. */
    snakes: readonly { alive: boolean; cells: readonly (readonly [number, number])[] }[];
    /** Apples in (x, y). */
    apples: readonly (readonly [number, number])[];
  };

/** Colours of the drawings. */
const C = {
  ice: "#dcecf7",
  hole: "#1d3557",
  goal: "#f4c542",
  start: "#bcd7ea",
  player: "#e63946",
  grid: "#ffffff",
  board: "#f1f1ec",
  apple: "#d62828",
  agent: ["#2a9d8f", "#1b6b61"],
  enemy: ["#9b5de5", "#6a3ca8"],
  text: "#222222",
};

/** Characters XML forbids (control characters, lone surrogates): drawn as U+FFFD. */
const _NON_XML =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function _esc(s: string): string {
  return s.replace(_NON_XML, "\ufffd").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(
    />/g,
    "&gt;",
  ).replace(/"/g, "&quot;");
}

/** Size in pixels of a frame drawn with cell size `cell`. */
export function frameSize(frame: BoardFrame, cell: number): { width: number; height: number } {
  if (frame.kind === "frozen_lake") {
    return { width: frame.desc[0].length * cell, height: frame.desc.length * cell };
  }
  return { width: frame.width * cell, height: frame.height * cell };
}

/**
 * SVG elements of one board (no `<svg>` wrapper), top-left at (x0, y0).
 * @param frame the board.
 * @param x0 left edge.
 * @param y0 top edge.
 * @param cell cell size in pixels.
 * @returns SVG markup.
 */
export function frameElements(frame: BoardFrame, x0: number, y0: number, cell: number): string {
  const out: string[] = [];
  const rect = (c: number, r: number, fill: string, inset = 0) =>
    out.push(
      `<rect x="${x0 + c * cell + inset}" y="${y0 + r * cell + inset}" width="${
        cell - 2 * inset
      }" ` +
        `height="${cell - 2 * inset}" fill="${fill}" stroke="${C.grid}" stroke-width="1"/>`,
    );
  const circle = (c: number, r: number, rad: number, fill: string) =>
    out.push(
      `<circle cx="${x0 + (c + 0.5) * cell}" cy="${y0 + (r + 0.5) * cell}" r="${
        rad * cell
      }" fill="${fill}"/>`,
    );
  if (frame.kind === "frozen_lake") {
    const ncol = frame.desc[0].length;
    frame.desc.forEach((row, r) =>
      [...row].forEach((ch, c) => {
        rect(c, r, ch === "H" ? C.hole : ch === "G" ? C.goal : ch === "S" ? C.start : C.ice);
        if (ch === "G") {
          out.push(
            `<text x="${x0 + (c + 0.5) * cell}" y="${y0 + (r + 0.68) * cell}" font-size="${
              cell * 0.5
            }" text-anchor="middle" fill="${C.text}">G</text>`,
          );
        }
      })
    );
    circle(frame.state % ncol, Math.floor(frame.state / ncol), 0.3, C.player);
    return out.join("");
  }
  for (let r = 0; r < frame.height; r++) for (let c = 0; c < frame.width; c++) rect(c, r, C.board);
  const rowOf = (y: number) => frame.height - 1 - y;
  for (const [x, y] of frame.apples) circle(x, rowOf(y), 0.28, C.apple);
  frame.snakes.forEach((s, i) => {
    if (!s.alive) return;
    const [body, head] = i === 0 ? C.agent : C.enemy;
    s.cells.forEach(([x, y], k) => rect(x, rowOf(y), k === 0 ? head : body, cell * 0.08));
  });
  return out.join("");
}

/**
 * A standalone SVG of one board.
 * @param frame the board.
 * @param cell cell size (default 32).
 * @returns the SVG document.
 */
export function frameSvg(frame: BoardFrame, cell = 32): string {
  const { width, height } = frameSize(frame, cell);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    frameElements(frame, 0, 0, cell) + `</svg>`;
}

/**
 * Wrap text to lines of at most `width` characters (long words are cut).
 * @param text the text (newlines kept as breaks).
 * @param width characters per line.
 * @param maxLines lines kept (the last ends with … when cut).
 * @returns the lines.
 */
export function wrapText(text: string, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  for (const para of text.split("\n")) {
    let line = "";
    for (const word of para.split(/\s+/).filter((w) => w !== "")) {
      let w = word;
      while (w.length > width) {
        if (line) lines.push(line), line = "";
        lines.push(w.slice(0, width));
        w = w.slice(width);
      }
      if (!line) line = w;
      else if (line.length + 1 + w.length <= width) line += " " + w;
      else lines.push(line), line = w;
    }
    if (line || para === "") lines.push(line);
  }
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    kept[maxLines - 1] = kept[maxLines - 1].slice(0, Math.max(0, width - 1)) + "…";
    return kept;
  }
  return lines;
}

/** Options of {@link stripSvg}. */
export interface StripOptions {
  /** Cell size in pixels (default: 32 for Frozen Lake, 14 for Snake). */
  cell?: number;
  /** Frames per row (default 5). */
  perRow?: number;
  /** Caption lines under each frame (default 6). */
  captionLines?: number;
  /** A title line above the strip. */
  title?: string;
}

/**
 * A strip of frames, each with caption lines under it, as one SVG document.
 * @param frames boards with their caption (e.g. `t=2 → right (+0)` and the model's text).
 * @param opts layout.
 * @returns the SVG document.
 */
export function stripSvg(
  frames: readonly { board: BoardFrame; caption: string }[],
  opts: StripOptions = {},
): string {
  if (frames.length === 0) throw new Error("stripSvg: no frames");
  const cell = opts.cell ?? (frames[0].board.kind === "snake" ? 14 : 32);
  const perRow = opts.perRow ?? 5;
  const lines = opts.captionLines ?? 6;
  const { width: bw, height: bh } = frameSize(frames[0].board, cell);
  const colW = Math.max(bw, 150), fs = 11, lh = 13, pad = 12;
  const chars = Math.floor(colW / (fs * 0.6));
  const cellH = bh + 8 + lines * lh + pad;
  const top = opts.title ? 22 : 0;
  const rows = Math.ceil(frames.length / perRow);
  const W = pad + Math.min(perRow, frames.length) * (colW + pad), H = top + pad + rows * cellH;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  if (opts.title) {
    out.push(
      `<text x="${pad}" y="16" font-size="13" font-weight="bold" fill="${C.text}">${
        _esc(opts.title)
      }</text>`,
    );
  }
  frames.forEach((f, i) => {
    const x = pad + (i % perRow) * (colW + pad), y = top + pad + Math.floor(i / perRow) * cellH;
    out.push(frameElements(f.board, x + (colW - bw) / 2, y, cell));
    wrapText(f.caption, chars, lines).forEach((l, k) =>
      out.push(
        `<text x="${x}" y="${y + bh + 8 + (k + 0.8) * lh}" font-size="${fs}" fill="${C.text}" ` +
          `xml:space="preserve">${_esc(l)}</text>`,
      )
    );
  });
  out.push("</svg>");
  return out.join("");
}
