import assert from "node:assert/strict";
import { initBackend } from "../../lib/engine/backend.ts";
import { readTable } from "../../lib/log/mod.ts";
import { makeCheckpoint } from "../../lib/model/make_model.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import { Tokenizer } from "../../lib/model/tokenizer.ts";
import { LapPolicy } from "../../lib/policy/lap.ts";
import { playEpisodes } from "../../lib/rollout/play.ts";
import { train } from "../../lib/train/trainer.ts";
import { padVocab } from "../model/_padded.ts";
import { tinyConfig, tinyLake } from "./_tiny.ts";

/** A random byte-tokenizer checkpoint whose vocabulary is tiled 3x: 2/3 of the ids are padding. */
async function paddedModel(): Promise<string> {
  const src = await Deno.makeTempDir({ prefix: "msgrpo-pad-src-" });
  await makeCheckpoint(src, {
    hidden: 32,
    layers: 1,
    heads: 2,
    kvHeads: 1,
    intermediate: 32,
    tokenizer: "byte",
    seed: 9,
    initStd: 0.2,
  });
  const dir = await padVocab(src, await Deno.makeTempDir({ prefix: "msgrpo-pad-" }), 3);
  await Deno.remove(src, { recursive: true });
  return dir;
}

Deno.test("rollouts with a padded-vocabulary checkpoint never draw an id without a token", async () => {
  await initBackend();
  const dir = await paddedModel();
  const tok = await Tokenizer.load(dir);
  const model = await Qwen2Model.load(dir, { outputVocab: 259 * 3 });
  // A policy built from a model with more rows than tokens masks them itself.
  const policy = new LapPolicy(model, tok, { maxNewTokens: 8 });
  assert.equal(model.outputVocab, tok.vocabSize);
  const specs = [0, 1, 2, 3].map((s) => ({
    env: tinyLake(),
    initialStateSeed: s,
    dynamicsSeed: s,
  }));
  const { episodes } = await playEpisodes(specs, policy, {
    temperature: 1,
    seed: 4,
    formatPenalty: 0,
  });
  const ids = episodes.flatMap((e) => e.steps.flatMap((s) => s.completionIds));
  assert.ok(ids.length >= 4 * 8, `${ids.length} tokens drawn`);
  assert.ok(ids.every((id) => id < tok.vocabSize), `ids ${ids.filter((id) => id >= 259)}`);
  policy.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train() runs on a padded-vocabulary checkpoint (rollouts, scoring and updates masked)", async () => {
  await initBackend();
  const dir = await paddedModel();
  const runDir = await Deno.makeTempDir({ prefix: "msgrpo-pad-run-" });
  await train(tinyConfig(dir, ["msgrpo.iterations=2", "checkpoint.every=2"]), {
    runDir,
    progress: false,
    makeEnv: tinyLake,
  });
  const updates = readTable(`${runDir}/updates.arrow`).objects() as Record<string, unknown>[];
  assert.equal(updates.length, 2);
  for (const u of updates) {
    for (const [k, v] of Object.entries(u)) {
      if (typeof v === "number") assert.ok(!Number.isNaN(v), `updates.${k} is NaN`);
    }
  }
  await Deno.remove(runDir, { recursive: true });
  await Deno.remove(dir, { recursive: true });
});
