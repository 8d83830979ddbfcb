import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend } from "../../lib/engine/backend.ts";
import { readTable } from "../../lib/log/mod.ts";
import { makeCheckpoint } from "../../lib/model/make_model.ts";
import { buildOnce, prepareStage2 } from "../../lib/train/resume.ts";
import { train } from "../../lib/train/trainer.ts";
import { tinyConfig, tinyLake } from "./_tiny.ts";

Deno.test("buildOnce() never leaves a half-built folder where a finished one belongs", async () => {
  const root = await Deno.makeTempDir({ prefix: "msgrpo-once-" });
  const dir = join(root, "base");
  await assert.rejects(
    buildOnce(dir, async (tmp) => {
      await Deno.writeTextFile(join(tmp, "half.txt"), "…");
      throw new Error("killed");
    }),
    /killed/,
  );
  assert.equal(await Deno.stat(dir).then(() => true, () => false), false);
  // The next try starts from an empty partial folder and renames it when done.
  const built = await buildOnce(dir, async (tmp) => {
    assert.deepEqual([...Deno.readDirSync(tmp)], []);
    await Deno.writeTextFile(join(tmp, "done.txt"), "ok");
  });
  assert.equal(built, true);
  assert.equal(await Deno.readTextFile(join(dir, "done.txt")), "ok");
  assert.equal(await buildOnce(dir, () => assert.fail("built twice")), false);
  await Deno.remove(root, { recursive: true });
});

Deno.test("prepareStage2() clears the rows of a run stopped before its first checkpoint", async () => {
  await initBackend();
  const model = await Deno.makeTempDir({ prefix: "msgrpo-s2-model-" });
  await makeCheckpoint(model, {
    hidden: 16,
    layers: 1,
    heads: 2,
    kvHeads: 1,
    intermediate: 16,
    tokenizer: "byte",
    seed: 2,
  });
  const cfg = tinyConfig(model, ["msgrpo.iterations=4", "checkpoint.every=3"]);
  const runDir = await Deno.makeTempDir({ prefix: "msgrpo-s2-run-" });
  await train(cfg, { runDir, progress: false, makeEnv: tinyLake, stopAfter: 2 });
  const rows = () => readTable(join(runDir, "updates.arrow")).objects().length;
  assert.equal(rows(), 2);
  assert.equal(await prepareStage2(runDir), false);
  assert.equal(rows(), 0);
  assert.equal(readTable(join(runDir, "episodes.arrow")).objects().length, 0);
  // After a checkpoint it resumes instead (and leaves the rows to the trainer).
  await train(cfg, { runDir, progress: false, makeEnv: tinyLake, stopAfter: 3 });
  assert.equal(await prepareStage2(runDir), true);
  assert.equal(rows(), 3);
  await Deno.remove(runDir, { recursive: true });
  await Deno.remove(model, { recursive: true });
});
