import assert from "node:assert/strict";
import {
  closeRunTables,
  col,
  defineTable,
  openRunTables,
  readRunDirs,
  readTable,
  TableWriter,
} from "../../lib/log/mod.ts";
import { episodeRows, updateRow } from "./fixtures.ts";

Deno.test("readRunDirs() stacks each table across runs with a leading run column", () => {
  const root = Deno.makeTempDirSync();
  const dirs = [`${root}/fl__1__20261101-120000`, `${root}/fl__2__20261101-120500/`];
  dirs.forEach((dir, k) => {
    const t = openRunTables(dir);
    t.updates.append([updateRow(1), updateRow(2 + k)]);
    t.episodes.append(episodeRows(1 + k, 2));
    closeRunTables(t);
  });
  const out = readRunDirs(dirs);
  assert.deepEqual(Object.keys(out).sort(), ["episodes", "eval", "steps", "updates"]);
  assert.equal(out.steps.numRows(), 0);
  const u = out.updates;
  assert.equal(u.columnNames()[0], "run");
  assert.deepEqual(u.array("run"), [
    "fl__1__20261101-120000",
    "fl__1__20261101-120000",
    "fl__2__20261101-120500",
    "fl__2__20261101-120500",
  ]);
  assert.deepEqual(u.array("iteration"), [1, 2, 1, 3]);
  assert.deepEqual(
    out.episodes.select("run", "seed").objects(),
    [
      ...episodeRows(1, 2).map((r) => ({ run: "fl__1__20261101-120000", seed: r.seed })),
      ...episodeRows(2, 2).map((r) => ({ run: "fl__2__20261101-120500", seed: r.seed })),
    ],
  );
  // custom names, one table
  const named = readRunDirs(dirs, { tables: ["updates"], names: ["a", "b"] });
  assert.deepEqual(Object.keys(named), ["updates"]);
  assert.deepEqual(named.updates.array("run"), ["a", "a", "b", "b"]);
  assert.throws(() => readRunDirs(dirs, { names: ["a"] }), /1 names for 2 directories/);
  Deno.removeSync(root, { recursive: true });
});

Deno.test("readRunDirs() skips runs without a table and fills missing columns with null", () => {
  const root = Deno.makeTempDirSync();
  const v1 = defineTable("metrics", "old", { iteration: col.int32("it"), a: col.float64("a") });
  const v2 = defineTable("metrics", "new", {
    iteration: col.int32("it"),
    b: col.utf8("b"),
    a: col.float64("a"),
  });
  const w1 = TableWriter.open(`${root}/r1`, v1);
  w1.append([{ iteration: 1, a: 0.5 }]);
  w1.close();
  const w2 = TableWriter.open(`${root}/r2`, v2);
  w2.append([{ iteration: 1, b: "x", a: 1.5 }]);
  w2.close();
  Deno.mkdirSync(`${root}/r3`);
  const { metrics } = readRunDirs([`${root}/r1`, `${root}/r2`, `${root}/r3`], {
    tables: ["metrics", "absent"],
  });
  assert.deepEqual(metrics.objects(), [
    { run: "r1", iteration: 1, a: 0.5, b: null },
    { run: "r2", iteration: 1, a: 1.5, b: "x" },
  ]);
  Deno.removeSync(root, { recursive: true });
});

Deno.test("readTable() reads a plain Arrow file and names a missing one", () => {
  const root = Deno.makeTempDirSync();
  const w = TableWriter.open(`${root}/src`, defineTable("x", "x", { v: col.int32("v") }));
  w.append([{ v: 7 }]);
  w.close();
  Deno.copyFileSync(w.path, `${root}/plain.arrow`);
  assert.deepEqual(readTable(`${root}/plain.arrow`).objects(), [{ v: 7 }]);
  assert.deepEqual(readTable(`${root}/plain`).objects(), [{ v: 7 }]);
  assert.throws(() => readTable(`${root}/nope.arrow`), /cannot read table .*nope\.arrow/);
  Deno.removeSync(root, { recursive: true });
});
