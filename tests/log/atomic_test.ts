import assert from "node:assert/strict";
import { writeFileAtomic, writeFileAtomicSync, writeJsonAtomic } from "../../lib/log/mod.ts";

Deno.test("writeFileAtomic() replaces the file and leaves no temporary behind", async () => {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/ckpt.bin`;
  await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
  await writeFileAtomic(path, new Uint8Array([4, 5]));
  assert.deepEqual(Deno.readFileSync(path), new Uint8Array([4, 5]));
  writeFileAtomicSync(path, "text ✓", { fsync: false });
  assert.equal(Deno.readTextFileSync(path), "text ✓");
  await writeJsonAtomic(`${dir}/a/b/meta.json`, { x: [1, 2] }, { mkdir: true });
  assert.equal(
    Deno.readTextFileSync(`${dir}/a/b/meta.json`),
    '{\n  "x": [\n    1,\n    2\n  ]\n}\n',
  );
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["a", "ckpt.bin"]);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("writeFileAtomic() fails with the path named and keeps the old file", async () => {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/x.json`;
  writeFileAtomicSync(path, "old");
  // the target is a non-empty directory: the rename fails
  Deno.mkdirSync(`${dir}/sub/inner`, { recursive: true });
  await assert.rejects(() => writeFileAtomic(`${dir}/sub`, "new"), /writeFileAtomic .*\/sub:/);
  assert.throws(
    () => writeFileAtomicSync(`${dir}/missing/x`, "new"),
    /writeFileAtomic .*missing\/x/,
  );
  assert.equal(Deno.readTextFileSync(path), "old");
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["sub", "x.json"]);
  Deno.removeSync(dir, { recursive: true });
});
