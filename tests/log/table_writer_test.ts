import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import { tableFromIPC } from "@uwdata/flechette";
import { fromArrow, table as aqTable } from "arquero";
import {
  closeRunTables,
  col,
  consolidateRunTables,
  defineTable,
  EPISODES,
  openRunTables,
  readArrowTable,
  readTable,
  STEPS,
  TableWriter,
  UPDATES,
} from "../../lib/log/mod.ts";
import { episodeRows, stepRows, updateRow } from "./fixtures.ts";

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "msgrpo-log-" });
}

function partNames(dir: string, table: string): string[] {
  return [...Deno.readDirSync(`${dir}/${table}.parts`)].map((e) => e.name).sort();
}

Deno.test("TableWriter.append() then readTable() round-trips values and types", () => {
  const dir = tempDir();
  const w = TableWriter.open(dir, STEPS);
  const rows = [...stepRows(1), ...stepRows(2)];
  w.append(stepRows(1));
  w.append(stepRows(2));
  w.close();
  assert.equal(w.numRows, rows.length);
  const t = readTable(`${dir}/steps.arrow`);
  assert.deepEqual(t.columnNames(), Object.keys(STEPS.columns));
  assert.equal(t.numRows(), rows.length);
  const a = readArrowTable(`${dir}/steps.arrow`);
  assert.ok(a.getChild("iteration").toArray() instanceof Int32Array);
  assert.ok(a.getChild("seed").toArray() instanceof Uint32Array);
  assert.ok(a.getChild("reward").toArray() instanceof Float64Array);
  assert.deepEqual(a.schema.fields.map((f) => [f.name, f.nullable]).filter(([, n]) => n), [
    ["action", true],
  ]);
  assert.deepEqual(t.objects(), rows);
  assert.ok(rows.some((r) => r.seed > 0x7fffffff), "fixture covers seeds above int32");
  assert.ok(rows.some((r) => r.action === null), "fixture covers nulls");
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("TableWriter writes an Arrow IPC file readable by apache-arrow and arquero", () => {
  const dir = tempDir();
  const w = TableWriter.open(dir, UPDATES);
  w.append([updateRow(1), updateRow(2, false)]);
  w.append([updateRow(3)]);
  w.close();
  const bytes = Deno.readFileSync(`${dir}/updates.arrow`);
  const magic = new TextDecoder().decode(bytes.subarray(0, 6));
  assert.equal(magic, "ARROW1");
  assert.equal(new TextDecoder().decode(bytes.subarray(bytes.length - 6)), "ARROW1");
  // the file-format reader (footer + random access) accepts it
  const reader = arrow.RecordBatchFileReader.from(bytes);
  reader.open();
  assert.equal(reader.numRecordBatches, 2);
  const at = arrow.tableFromIPC(bytes);
  assert.deepEqual(
    at.schema.fields.slice(0, 3).map((f) => `${f.name}:${f.type}:${f.nullable}`),
    ["iteration:Int32:false", "loss:Float64:true", "clip_frac:Float64:true"],
  );
  assert.equal(at.schema.fields.at(-1)!.toString(), "kl_step_scale: Float64");
  assert.deepEqual([...at.getChild("iteration")!.toArray()], [1, 2, 3]);
  assert.deepEqual([...at.getChild("loss")!], [0.01, null, 0.03]);
  assert.deepEqual(at.getChild("updated")!.toArray(), [true, false, true]);
  assert.equal(at.schema.fields[1].metadata.get("unit"), "-");
  const aq = fromArrow(bytes);
  assert.deepEqual(aq.objects(), [updateRow(1), updateRow(2, false), updateRow(3)]);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("TableWriter.append() accepts column arrays and arquero tables", () => {
  const dir = tempDir();
  const w = TableWriter.open(dir, EPISODES);
  const rows = episodeRows(1);
  const cols = Object.fromEntries(
    Object.keys(EPISODES.columns).map((k) => [k, rows.map((r) => r[k as keyof typeof r])]),
  );
  w.append(cols as never);
  w.append(aqTable(cols));
  w.close();
  assert.deepEqual(readTable(w.path).objects(), [...rows, ...rows]);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("TableWriter.append() rejects bad rows naming the table and column", () => {
  const dir = tempDir();
  const w = TableWriter.open(dir, UPDATES);
  const bad = (patch: Record<string, unknown>) => [{ ...updateRow(1), ...patch }] as never;
  assert.throws(
    () => w.append(bad({ lr: "3e-4" })),
    /^Error: table updates: column lr, row 0: expected float64, got string "3e-4"$/,
  );
  assert.throws(
    () => w.append(bad({ iteration: 1.5 })),
    /table updates: column iteration, row 0: expected int32, got number 1\.5/,
  );
  assert.throws(
    () => w.append(bad({ updated: null })),
    /table updates: column updated, row 0: null in a non-null bool column/,
  );
  assert.throws(
    () => w.append(bad({ rewrd: 1 })),
    /table updates: unknown column rewrd \(columns: iteration, loss/,
  );
  const e = TableWriter.open(dir, EPISODES);
  assert.throws(
    () => e.append([{ ...episodeRows(1)[0], seed: -1 }]),
    /table episodes: column seed, row 0: expected uint32, got number -1/,
  );
  assert.throws(
    () =>
      e.append({
        ...Object.fromEntries(Object.keys(EPISODES.columns).map((k) => [k, [0, 0]])),
        group: [0],
      } as never),
    /table episodes: columns differ in length/,
  );
  assert.equal(w.numRows, 0);
  assert.deepEqual(partNames(dir, "updates"), []);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("TableWriter.open() rejects existing parts whose schema differs", () => {
  const dir = tempDir();
  const w = TableWriter.open(dir, UPDATES);
  w.append([updateRow(1)]);
  w.close();
  const changed = defineTable("updates", "changed", {
    ...UPDATES.columns,
    lr: col.int32("learning rate, now an int"),
  });
  assert.throws(
    () => TableWriter.open(dir, changed),
    /table updates: column lr in .*updates\.parts\/part-000001-1\.arrow is float64, the schema says int32/,
  );
  const fewer = defineTable("updates", "fewer", { iteration: UPDATES.columns.iteration });
  assert.throws(() => TableWriter.open(dir, fewer), /has column loss, not in the schema/);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("TableWriter.append() refuses rows that go back in iteration", () => {
  const dir = tempDir();
  const w = TableWriter.open(dir, UPDATES);
  w.append([updateRow(3)]);
  w.append([updateRow(3)]); // the same iteration again is allowed (e.g. two eval calls)
  assert.throws(
    () => w.append([updateRow(2)]),
    /table updates: rows for iteration 2 appended after iteration 3/,
  );
  assert.equal(w.lastIteration, 3);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("readTable() recovers every completed part when consolidation was interrupted", () => {
  const dir = tempDir();
  // consolidate at most hourly; the clock passes an hour only before the first append
  let clock = 0;
  const w = TableWriter.open(dir, STEPS, { consolidateEveryS: 3600, now: () => clock });
  clock = 3600_000;
  for (let it = 1; it <= 3; it++) w.append(stepRows(it));
  // crash: no close(). The consolidated file holds iteration 1 only …
  const stale = tableFromIPC(Deno.readFileSync(`${dir}/steps.arrow`));
  assert.equal(stale.numRows, stepRows(1).length);
  // … plus debris of an atomic write that died half-way
  Deno.writeTextFileSync(`${dir}/.steps.arrow.tmp-999-1`, "half a file");
  Deno.writeTextFileSync(`${dir}/steps.parts/.part-000004-9.arrow.tmp-999-2`, "half");
  const all = [...stepRows(1), ...stepRows(2), ...stepRows(3)];
  assert.deepEqual(readTable(`${dir}/steps.arrow`).objects(), all);
  // reading changed nothing on disk
  assert.equal(tableFromIPC(Deno.readFileSync(`${dir}/steps.arrow`)).numRows, stale.numRows);
  // the next open repairs the file and removes the debris
  const w2 = TableWriter.open(dir, STEPS);
  assert.equal(w2.numRows, all.length);
  assert.equal(tableFromIPC(Deno.readFileSync(`${dir}/steps.arrow`)).numRows, all.length);
  assert.ok(![...Deno.readDirSync(dir)].some((e) => e.name.includes(".tmp-")));
  assert.equal(partNames(dir, "steps").length, 3);
  w2.append(stepRows(4));
  w2.close();
  assert.deepEqual(readTable(`${dir}/steps.arrow`).objects(), [...all, ...stepRows(4)]);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("readTable() rebuilds from the parts when the consolidated file is damaged", () => {
  const dir = tempDir();
  const w = TableWriter.open(dir, EPISODES);
  w.append(episodeRows(1));
  w.append(episodeRows(2));
  w.close();
  const bytes = Deno.readFileSync(w.path);
  Deno.writeFileSync(w.path, bytes.subarray(0, 100));
  assert.deepEqual(readTable(w.path).objects(), [...episodeRows(1), ...episodeRows(2)]);
  Deno.removeSync(w.path);
  assert.equal(readTable(w.path).numRows(), 8);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("TableWriter truncateAfter on resume gives the same file as an uninterrupted run", () => {
  const straight = tempDir(), resumed = tempDir();
  const w = TableWriter.open(straight, STEPS);
  for (let it = 1; it <= 6; it++) w.append(stepRows(it));
  w.close();
  // interrupted after iteration 4; the checkpoint is from iteration 2
  const a = TableWriter.open(resumed, STEPS);
  for (let it = 1; it <= 4; it++) a.append(stepRows(it));
  const b = TableWriter.open(resumed, STEPS, { truncateAfter: 2 });
  assert.equal(b.lastIteration, 2);
  assert.equal(b.numRows, stepRows(1).length + stepRows(2).length);
  for (let it = 3; it <= 6; it++) b.append(stepRows(it));
  b.close();
  assert.deepEqual(partNames(resumed, "steps"), partNames(straight, "steps"));
  assert.deepEqual(
    Deno.readFileSync(`${resumed}/steps.arrow`),
    Deno.readFileSync(`${straight}/steps.arrow`),
  );
  Deno.removeSync(straight, { recursive: true });
  Deno.removeSync(resumed, { recursive: true });
});

Deno.test("TableWriter.truncateAfter() cuts a part that spans the checkpoint", () => {
  const dir = tempDir();
  const w = TableWriter.open(dir, UPDATES);
  w.append([updateRow(1)]);
  w.append([updateRow(2), updateRow(3), updateRow(4)]);
  w.append([updateRow(5)]);
  w.truncateAfter(3);
  assert.deepEqual(partNames(dir, "updates"), ["part-000001-1.arrow", "part-000002-2.arrow"]);
  assert.deepEqual(readTable(w.path).objects(), [updateRow(1), updateRow(2), updateRow(3)]);
  w.append([updateRow(4)]);
  assert.deepEqual(partNames(dir, "updates").at(-1), "part-000003-1.arrow");
  w.truncateAfter(0);
  assert.equal(readTable(w.path).numRows(), 0);
  assert.deepEqual(partNames(dir, "updates"), []);
  // a crash after the parts were deleted but before consolidation: no rows, same columns
  const w3 = TableWriter.open(tempDir(), UPDATES);
  w3.append([updateRow(1)]);
  Deno.removeSync(`${w3.partsDir}/part-000001-1.arrow`);
  const empty = readTable(w3.path);
  assert.equal(empty.numRows(), 0);
  assert.deepEqual(empty.columnNames(), Object.keys(UPDATES.columns));
  Deno.removeSync(w3.path.slice(0, w3.path.lastIndexOf("/")), { recursive: true });
  const noIter = defineTable("notes", "no iteration column", { text: col.utf8("a note") });
  assert.throws(
    () => TableWriter.open(dir, noIter).truncateAfter(1),
    /table notes has no iteration column to truncate by/,
  );
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("TableWriter.open() prefers the shorter twin left by a crash during truncation", () => {
  const dir = tempDir();
  const w = TableWriter.open(dir, UPDATES);
  w.append([updateRow(1), updateRow(2), updateRow(3)]);
  w.close();
  // simulate: the truncated part (iterations 1–2) was written, the old one not yet deleted
  const cut = TableWriter.open(tempDir(), UPDATES);
  cut.append([updateRow(1), updateRow(2)]);
  Deno.copyFileSync(
    `${cut.partsDir}/part-000001-2.arrow`,
    `${dir}/updates.parts/part-000001-2.arrow`,
  );
  assert.deepEqual(readTable(`${dir}/updates.arrow`).objects(), [updateRow(1), updateRow(2)]);
  const again = TableWriter.open(dir, UPDATES);
  assert.equal(again.numRows, 2);
  assert.deepEqual(partNames(dir, "updates"), ["part-000001-2.arrow"]);
  Deno.removeSync(dir, { recursive: true });
  Deno.removeSync(cut.path.slice(0, cut.path.lastIndexOf("/")), { recursive: true });
});

Deno.test("TableWriter consolidates at most every consolidateEveryS and always on close", () => {
  const dir = tempDir();
  let clock = 0;
  const w = TableWriter.open(dir, UPDATES, { consolidateEveryS: 10, now: () => clock });
  const rowsOnDisk = () => tableFromIPC(Deno.readFileSync(w.path)).numRows;
  assert.equal(rowsOnDisk(), 0); // open writes an empty, valid file
  w.append([updateRow(1)]);
  assert.equal(rowsOnDisk(), 0); // opened at t=0: less than 10 s ago
  clock = 10_000;
  w.append([updateRow(2)]);
  assert.equal(rowsOnDisk(), 2);
  clock = 15_000;
  w.append([updateRow(3)]);
  assert.equal(rowsOnDisk(), 2);
  w.close();
  assert.equal(rowsOnDisk(), 3);
  assert.throws(() => w.append([updateRow(4)]), /append after close/);
  assert.equal(w.numParts, 3);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("consolidateRunTables rewrites exactly the tables with pending rows", () => {
  const dir = tempDir();
  const clock = 0;
  const tables = openRunTables(dir, { consolidateEveryS: 10, now: () => clock });
  const rowsOnDisk = (name: string) =>
    tableFromIPC(Deno.readFileSync(`${dir}/${name}.arrow`)).numRows;
  tables.updates.append([updateRow(1)]);
  tables.updates.append([updateRow(2)]);
  assert.equal(tables.updates.pending, true);
  assert.equal(rowsOnDisk("updates"), 0); // within 10 s of opening: not rewritten yet
  assert.deepEqual(consolidateRunTables(tables), ["updates"]);
  assert.equal(rowsOnDisk("updates"), 2);
  assert.equal(tables.updates.pending, false);
  assert.deepEqual(consolidateRunTables(tables), []); // nothing pending: nothing rewritten
  closeRunTables(tables);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("TableWriter.append() of no rows writes no part", () => {
  const dir = tempDir();
  const w = TableWriter.open(dir, UPDATES);
  w.append([]);
  assert.equal(w.numParts, 0);
  assert.equal(readTable(w.path).numRows(), 0);
  assert.deepEqual(readTable(w.path).columnNames(), Object.keys(UPDATES.columns));
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("TableWriter.open() adopts a consolidated file that has no parts", () => {
  const src = tempDir(), dir = tempDir();
  const w = TableWriter.open(src, UPDATES);
  w.append([updateRow(1), updateRow(2)]);
  w.close();
  Deno.copyFileSync(w.path, `${dir}/updates.arrow`);
  const w2 = TableWriter.open(dir, UPDATES);
  w2.append([updateRow(3)]);
  w2.close();
  assert.deepEqual(partNames(dir, "updates"), ["part-000001-2.arrow", "part-000002-1.arrow"]);
  assert.deepEqual(readTable(w2.path).objects(), [updateRow(1), updateRow(2), updateRow(3)]);
  Deno.removeSync(src, { recursive: true });
  Deno.removeSync(dir, { recursive: true });
});
