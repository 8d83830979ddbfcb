import { FrozenLakeEnv } from "../../lib/env/frozen_lake.ts";
import { initBackend } from "../../lib/engine/backend.ts";
import { buildBaseModel } from "../../lib/train/base_model.ts";
import { loadConfig } from "../../lib/config/mod.ts";
import { type TrainConfig, trainSchema } from "../../lib/train/schema.ts";

/** A 2x2 lake without holes: right and down (in either order) reach the goal in 2 of 3 steps. */
export const tinyLake = () =>
  new FrozenLakeEnv({ desc: ["SF", "FG"], slippery: false, maxSteps: 3, renderStyle: "compact" });

/** Build (once per process) a tiny base model pre-trained on random play of {@link tinyLake}. */
let _base: Promise<string> | undefined;
export function tinyBase(): Promise<string> {
  _base ??= (async () => {
    await initBackend();
    const dir = await Deno.makeTempDir({ prefix: "msgrpo-tiny-base-" });
    await buildBaseModel(dir, {
      scenario: "FrozenLake-NoSlip",
      makeEnv: tinyLake,
      renderStyle: "compact",
      episodes: 200,
      oracleFraction: 0,
      hidden: 32,
      layers: 2,
      heads: 2,
      kvHeads: 1,
      intermediate: 64,
      merges: 64,
      steps: 200,
      batchSize: 16,
      lr: 3e-3,
      seed: 0,
    });
    return dir;
  })();
  return _base;
}

/** A training config for the tiny lake. */
export function tinyConfig(base: string, overrides: string[] = []): TrainConfig {
  return loadConfig(trainSchema, {
    overrides: [
      `model.path=${base}`,
      "msgrpo.groups=1",
      "msgrpo.group_size=8",
      "msgrpo.max_new_tokens=6",
      "optim.lr=3e-3",
      "eval.scenarios=[]",
      ...overrides,
    ],
  });
}
