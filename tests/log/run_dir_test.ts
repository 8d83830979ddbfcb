import assert from "node:assert/strict";
import { parse } from "yaml";
import { createRunDir, runDirName, runTimestamp } from "../../lib/log/mod.ts";

const START = new Date(Date.UTC(2026, 10, 1, 9, 5, 2)); // 2026-11-01 09:05:02 UTC

Deno.test("runDirName() is experiment__seed__YYYYMMDD-HHMMSS in UTC", () => {
  assert.equal(runTimestamp(START), "20261101-090502");
  assert.equal(runDirName("frozen_lake", 7, START), "frozen_lake__7__20261101-090502");
  assert.throws(() => runDirName("a b", 1, START), /must match/);
  assert.throws(() => runDirName("a__b", 1, START), /without "__"/);
  assert.throws(() => runDirName("ok", 1.5, START), /seed 1\.5 is not an integer/);
});

Deno.test("createRunDir() writes config.yaml and meta.json and avoids name clashes", async () => {
  const root = Deno.makeTempDirSync();
  const config = { seed: 7, msgrpo: { group_size: 16, sampling: "aaw" } };
  const a = await createRunDir({
    root,
    experiment: "frozen_lake",
    seed: 7,
    config,
    backend: "wasm",
    device: "cpu: Test CPU x2",
    argv: ["--seed", "7"],
    extra: { note: "test" },
    now: START,
  });
  assert.equal(a.name, "frozen_lake__7__20261101-090502");
  assert.equal(a.path, `${root}/frozen_lake__7__20261101-090502`);
  assert.deepEqual(parse(Deno.readTextFileSync(`${a.path}/config.yaml`)), config);
  const meta = JSON.parse(Deno.readTextFileSync(`${a.path}/meta.json`));
  assert.deepEqual(meta, a.meta);
  assert.equal(meta.experiment, "frozen_lake");
  assert.equal(meta.seed, 7);
  assert.equal(meta.run, a.name);
  assert.equal(meta.start_time, "2026-11-01T09:05:02.000Z");
  assert.deepEqual(meta.argv, ["--seed", "7"]);
  assert.equal(meta.backend, "wasm");
  assert.equal(meta.device, "cpu: Test CPU x2");
  assert.equal(meta.note, "test");
  assert.equal(meta.versions.deno, Deno.version.deno);
  assert.equal(
    meta.versions.msgrpo,
    JSON.parse(Deno.readTextFileSync(new URL("../../deno.json", import.meta.url))).version,
  );
  assert.equal(meta.versions.tfjs, "4.22.0");
  assert.ok(
    meta.git_commit === null || /^[0-9a-f]{40}$/.test(meta.git_commit),
    String(meta.git_commit),
  );
  assert.ok(meta.git_dirty === null || typeof meta.git_dirty === "boolean");
  assert.equal(meta.hostname, Deno.hostname());
  // same experiment, seed and second: a suffix
  const b = await createRunDir({ root, experiment: "frozen_lake", seed: 7, now: START });
  assert.equal(b.name, "frozen_lake__7__20261101-090502-1");
  assert.ok(!Deno.readDirSync(b.path).some((e) => e.name === "config.yaml"));
  Deno.removeSync(root, { recursive: true });
});

Deno.test("createRunDir() uses a given runDir and verbatim configYaml", async () => {
  const root = Deno.makeTempDirSync();
  const run = await createRunDir({
    root,
    experiment: "x",
    seed: 1,
    runDir: `${root}/mine/run`,
    configYaml: "# commented\nseed: 1\n",
    config: { ignored: true },
  });
  assert.equal(run.name, "run");
  assert.equal(Deno.readTextFileSync(`${root}/mine/run/config.yaml`), "# commented\nseed: 1\n");
  assert.deepEqual([...Deno.readDirSync(`${root}/mine/run`)].map((e) => e.name).sort(), [
    "config.yaml",
    "meta.json",
  ]);
  Deno.removeSync(root, { recursive: true });
});
