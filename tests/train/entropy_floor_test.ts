import assert from "node:assert/strict";
import { readTable } from "../../lib/log/mod.ts";
import { train } from "../../lib/train/trainer.ts";
import { tinyBase, tinyConfig, tinyLake } from "./_tiny.ts";
import { loadConfig } from "../../lib/config/mod.ts";
import { trainSchema } from "../../lib/train/schema.ts";

/** Sampled-token entropy of every update of a tiny run (null where no update was made). */
async function entropies(overrides: string[]): Promise<(number | null)[]> {
  const runDir = await Deno.makeTempDir({ prefix: "msgrpo-entropy-" });
  await train(
    tinyConfig(await tinyBase(), [
      "msgrpo.iterations=30",
      "checkpoint.every=30",
      "msgrpo.groups=2",
      "optim.lr=1e-2",
      ...overrides,
    ]),
    { runDir, progress: false, makeEnv: tinyLake },
  );
  const rows = readTable(`${runDir}/updates.arrow`).objects() as { entropy: number | null }[];
  await Deno.remove(runDir, { recursive: true });
  return rows.map((r) => r.entropy);
}

Deno.test("train() with an entropy target keeps the sampled-token entropy above a floor", async () => {
  const target = 0.3, floor = 0.15;
  // Plain MS-GRPO at a high learning rate: the tiny policy turns deterministic.
  const plain = await entropies([]);
  const lastPlain = plain.slice(-10);
  assert.ok(
    lastPlain.some((h) => h === null || h < floor),
    `plain run's last entropies ${lastPlain.map((h) => h?.toFixed(3))} never fell below ${floor}`,
  );
  // The same run with the adaptive coefficient and idle updates holds the entropy up.
  const held = await entropies([
    "msgrpo.entropy_coef=0.01",
    `msgrpo.entropy_target=${target}`,
    "msgrpo.entropy_coef_rate=0.5",
    "msgrpo.idle_update=regularize",
  ]);
  const late = held.slice(10);
  for (const [i, h] of late.entries()) {
    assert.ok(h !== null && h >= floor, `iteration ${i + 11}: entropy ${h} below ${floor}`);
  }
});

Deno.test("train() refuses an entropy target without a starting coefficient, naming both keys", async () => {
  const cfg = loadConfig(trainSchema, {
    overrides: ["model.path=/no/such/msgrpo/checkpoint", "msgrpo.entropy_target=0.2"],
  });
  await assert.rejects(
    train(cfg, { runDir: "/no/such/msgrpo/run", progress: false }),
    /msgrpo\.entropy_target needs msgrpo\.entropy_coef > 0/,
  );
});
