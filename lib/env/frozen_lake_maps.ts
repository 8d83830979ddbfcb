/**
 * Frozen Lake maps: Gymnasium's two standard maps, validation of maps given as strings, and
 * random maps with a guaranteed path (Gymnasium's `generate_random_map` rules on our PRNG).
 *
 * @module
 */

import { Rng } from "../util/rng.ts";

/** Names of the standard maps. */
export type FrozenLakeMapName = "4x4" | "8x8";

/** Gymnasium FrozenLake-v1's standard maps (rows top to bottom). */
export const FROZEN_LAKE_MAPS: Readonly<Record<FrozenLakeMapName, readonly string[]>> = {
  "4x4": ["SFFF", "FHFH", "FFFH", "HFFG"],
  "8x8": [
    "SFFFFFFF",
    "FFFFFFFF",
    "FFFHFFFF",
    "FFFFFHFF",
    "FFFHFFFF",
    "FHHFFFHF",
    "FHFFHFHF",
    "FFFHFFFG",
  ],
};

/**
 * Look up a standard map by name.
 * @param name `"4x4"` or `"8x8"`.
 * @returns a copy of the map's rows.
 */
export function standardMap(name: string): string[] {
  if (name !== "4x4" && name !== "8x8") {
    throw new Error(`Frozen Lake: unknown mapName ${JSON.stringify(name)}; known: "4x4", "8x8"`);
  }
  return [...FROZEN_LAKE_MAPS[name]];
}

/**
 * Check a map given as rows of `S`, `F`, `H`, `G` (rows of equal length, at least one S and one
 * G, at least 2 tiles in all), naming the offending value.
 *
 * @param desc the map's rows, top to bottom.
 * @returns a copy of the rows.
 */
export function validateDesc(desc: readonly string[]): string[] {
  if (!Array.isArray(desc) || desc.length === 0) {
    throw new Error(`Frozen Lake: desc must be a non-empty array of strings, got ${String(desc)}`);
  }
  const ncol = typeof desc[0] === "string" ? desc[0].length : -1;
  let starts = 0, goals = 0;
  for (let r = 0; r < desc.length; r++) {
    const row = desc[r];
    if (typeof row !== "string") {
      throw new Error(`Frozen Lake: desc row ${r} is not a string: ${String(row)}`);
    }
    if (row.length !== ncol || ncol === 0) {
      throw new Error(
        `Frozen Lake: desc is ragged or empty: row ${r} ${JSON.stringify(row)} has ${row.length} ` +
          `tiles, row 0 has ${ncol}`,
      );
    }
    for (let c = 0; c < row.length; c++) {
      const ch = row[c];
      if (ch === "S") starts++;
      else if (ch === "G") goals++;
      else if (ch !== "F" && ch !== "H") {
        throw new Error(
          `Frozen Lake: unknown tile ${JSON.stringify(ch)} at row ${r}, column ${c} of ` +
            `${JSON.stringify(row)}; expected S, F, H or G`,
        );
      }
    }
  }
  if (desc.length * ncol < 2) {
    throw new Error(`Frozen Lake: a map needs at least 2 tiles, got ${JSON.stringify(desc)}`);
  }
  if (starts === 0) {
    throw new Error(`Frozen Lake: desc has no start tile S: ${JSON.stringify(desc)}`);
  }
  if (goals === 0) throw new Error(`Frozen Lake: desc has no goal tile G: ${JSON.stringify(desc)}`);
  return [...desc];
}

/**
 * Whether a 4-neighbour search from S over non-hole tiles reaches a G (Gymnasium's `is_valid`).
 * @param desc the map's rows.
 * @returns true when some G is reachable from some S.
 */
export function hasPath(desc: readonly string[]): boolean {
  const nrow = desc.length, ncol = desc[0].length;
  const seen = new Uint8Array(nrow * ncol);
  const stack: number[] = [];
  for (let r = 0; r < nrow; r++) {
    for (let c = 0; c < ncol; c++) {
      if (desc[r][c] === "S") {
        seen[r * ncol + c] = 1;
        stack.push(r * ncol + c);
      }
    }
  }
  while (stack.length > 0) {
    const s = stack.pop()!;
    const r = Math.floor(s / ncol), c = s - r * ncol;
    if (desc[r][c] === "G") return true;
    if (r > 0) _visit(desc, seen, stack, r - 1, c, ncol);
    if (r < nrow - 1) _visit(desc, seen, stack, r + 1, c, ncol);
    if (c > 0) _visit(desc, seen, stack, r, c - 1, ncol);
    if (c < ncol - 1) _visit(desc, seen, stack, r, c + 1, ncol);
  }
  return false;
}

function _visit(
  desc: readonly string[],
  seen: Uint8Array,
  stack: number[],
  r: number,
  c: number,
  ncol: number,
): void {
  const i = r * ncol + c;
  if (seen[i] === 0 && desc[r][c] !== "H") {
    seen[i] = 1;
    stack.push(i);
  }
}

/**
 * A random square map as in Gymnasium's `generate_random_map`: each tile is frozen with
 * probability `p`, else a hole; (0, 0) is S and (size−1, size−1) is G; boards are redrawn until a
 * 4-neighbour path joins S and G, so a pathless map is never returned. Same seed, same map (our
 * PRNG does not reproduce numpy's streams; the rules match, not the maps).
 *
 * @param size side length, an integer ≥ 2.
 * @param p probability that a tile is frozen, in (0, 1].
 * @param seed the PRNG seed.
 * @returns the map's rows, top to bottom.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateRandomMap } from "./frozen_lake_maps.ts";
 * const desc = generateRandomMap(4, 0.8, 7); // e.g. ["SFFF","FHFF","FFFH","HFFG"]
 * assert.deepEqual(desc.length, 4);
 * ```
 */
export function generateRandomMap(size: number, p: number, seed: number): string[] {
  if (!Number.isInteger(size) || size < 2) {
    throw new Error(`generateRandomMap: size must be an integer >= 2, got ${size}`);
  }
  if (typeof p !== "number" || !(p > 0 && p <= 1)) {
    throw new Error(
      `generateRandomMap: p (probability a tile is frozen) must be in (0, 1], got ${p}`,
    );
  }
  if (!Number.isFinite(seed)) {
    throw new Error(`generateRandomMap: seed must be a finite number, got ${seed}`);
  }
  const rng = new Rng(seed);
  const tiles = new Array<string>(size * size);
  for (let attempt = 0; attempt < 1_000_000; attempt++) {
    for (let i = 0; i < tiles.length; i++) tiles[i] = rng.float() < p ? "F" : "H";
    tiles[0] = "S";
    tiles[tiles.length - 1] = "G";
    const desc: string[] = [];
    for (let r = 0; r < size; r++) desc.push(tiles.slice(r * size, (r + 1) * size).join(""));
    if (hasPath(desc)) return desc;
  }
  throw new Error(
    `generateRandomMap: no map with a path from S to G after 1,000,000 draws (size ${size}, p ${p})`,
  );
}
