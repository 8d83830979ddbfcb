import { assertClose, assertEquals, assertThrows, assertTrue } from "./_assert.ts";
import {
  generateRandomMap,
  hasPath,
  standardMap,
  validateDesc,
} from "../../lib/env/frozen_lake_maps.ts";

/** An independent breadth-first search from (0, 0) to G over non-hole tiles. */
function reachable(desc: string[]): boolean {
  const n = desc.length, m = desc[0].length;
  const seen = new Set<string>(["0,0"]);
  const queue: [number, number][] = [[0, 0]];
  while (queue.length) {
    const [r, c] = queue.shift()!;
    if (desc[r][c] === "G") return true;
    for (const [dr, dc] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
      const r2 = r + dr, c2 = c + dc;
      if (r2 < 0 || r2 >= n || c2 < 0 || c2 >= m || desc[r2][c2] === "H") continue;
      if (!seen.has(`${r2},${c2}`)) {
        seen.add(`${r2},${c2}`);
        queue.push([r2, c2]);
      }
    }
  }
  return false;
}

Deno.test("standardMap() returns Gymnasium's maps and rejects unknown names", () => {
  assertEquals(standardMap("4x4"), ["SFFF", "FHFH", "FFFH", "HFFG"]);
  assertEquals(standardMap("8x8")[7], "FFFHFFFG");
  assertThrows(() => standardMap("5x5"), Error, "5x5");
});

Deno.test("generateRandomMap() always returns a valid map with a path", () => {
  for (const [size, p] of [[2, 0.5], [4, 0.8], [4, 0.5], [8, 0.9], [6, 0.6]]) {
    for (let seed = 0; seed < 150; seed++) {
      const d = generateRandomMap(size, p, seed);
      assertEquals(d.length, size);
      assertTrue(d.every((row) => row.length === size && /^[SFHG]+$/.test(row)));
      assertEquals(d[0][0], "S");
      assertEquals(d[size - 1][size - 1], "G");
      assertEquals(d.join("").replace(/[^S]/g, "").length, 1);
      assertEquals(d.join("").replace(/[^G]/g, "").length, 1);
      assertTrue(reachable(d), `no path: size ${size} p ${p} seed ${seed}: ${d}`);
      assertTrue(hasPath(d));
    }
  }
});

Deno.test("generateRandomMap() is deterministic per seed and varies across seeds", () => {
  assertEquals(generateRandomMap(8, 0.8, 123), generateRandomMap(8, 0.8, 123));
  const distinct = new Set(
    Array.from({ length: 50 }, (_, s) => generateRandomMap(4, 0.8, s).join("/")),
  );
  assertTrue(distinct.size > 30, `only ${distinct.size} distinct maps in 50 seeds`);
});

Deno.test("generateRandomMap() makes a tile frozen with probability about p", () => {
  // p = 0.9 on 8x8: nearly every draw has a path, so conditioning barely moves the rate
  let frozen = 0, tiles = 0;
  for (let seed = 0; seed < 300; seed++) {
    const flat = generateRandomMap(8, 0.9, seed).join("").slice(1, -1);
    frozen += flat.replace(/[^F]/g, "").length;
    tiles += flat.length;
  }
  assertClose(frozen / tiles, 0.9, 0.01, "frozen fraction");
  assertEquals(generateRandomMap(5, 1, 9), ["SFFFF", "FFFFF", "FFFFF", "FFFFF", "FFFFG"]);
});

Deno.test("hasPath() follows 4-neighbour moves only", () => {
  assertEquals(hasPath(["SH", "HG"]), false);
  assertEquals(hasPath(["SF", "HG"]), true);
  assertEquals(hasPath(["SFH", "HHF", "FFG"]), false);
});

Deno.test("generateRandomMap() rejects bad size, p and seed naming the value", () => {
  assertThrows(() => generateRandomMap(1, 0.8, 0), Error, "size must be an integer >= 2, got 1");
  assertThrows(() => generateRandomMap(3.5, 0.8, 0), Error, "3.5");
  assertThrows(() => generateRandomMap(4, 0, 0), Error, "got 0");
  assertThrows(() => generateRandomMap(4, 1.2, 0), Error, "1.2");
  assertThrows(() => generateRandomMap(4, NaN, 0), Error, "NaN");
  assertThrows(() => generateRandomMap(4, 0.8, Infinity), Error, "Infinity");
});

Deno.test("validateDesc() rejects ragged rows, unknown tiles, missing S or G", () => {
  assertThrows(() => validateDesc(["SFF", "FG"]), Error, `row 1 "FG"`);
  assertThrows(() => validateDesc(["SFX", "FFG"]), Error, `unknown tile "X"`);
  assertThrows(() => validateDesc(["FFF", "FFG"]), Error, "no start tile S");
  assertThrows(() => validateDesc(["SFF", "FFF"]), Error, "no goal tile G");
  assertThrows(() => validateDesc([]), Error, "non-empty");
  assertThrows(() => validateDesc(["S"]), Error, "at least 2 tiles");
  assertThrows(() => validateDesc(["", ""]), Error, "ragged or empty");
  assertEquals(validateDesc(["SG"]), ["SG"]);
});
