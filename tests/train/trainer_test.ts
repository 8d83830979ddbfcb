import assert from "node:assert/strict";
import { readTable } from "../../lib/log/mod.ts";
import { train } from "../../lib/train/trainer.ts";
import { tinyBase, tinyConfig, tinyLake } from "./_tiny.ts";

const tables = ["steps", "episodes", "updates", "eval"] as const;
const timing = new Set(["wall_s", "tokens_per_s", "rollout_s", "update_s", "eval_s"]);

function rows(dir: string, table: string): Record<string, unknown>[] {
  return readTable(`${dir}/${table}.arrow`).objects().map((r) =>
    Object.fromEntries(Object.entries(r as Record<string, unknown>).filter(([k]) => !timing.has(k)))
  );
}

Deno.test("train() improves a tiny policy's success on a tiny lake", async () => {
  const base = await tinyBase();
  const runDir = await Deno.makeTempDir({ prefix: "msgrpo-train-" });
  await train(
    tinyConfig(base, ["msgrpo.iterations=25", "checkpoint.every=25", "msgrpo.groups=4"]),
    {
      runDir,
      progress: false,
      makeEnv: tinyLake,
    },
  );
  const eps = readTable(`${runDir}/episodes.arrow`).objects() as {
    iteration: number;
    success: boolean;
  }[];
  const rate = (lo: number, hi: number) => {
    const sel = eps.filter((e) => e.iteration >= lo && e.iteration <= hi);
    return sel.filter((e) => e.success).length / sel.length;
  };
  const early = rate(1, 5), late = rate(21, 25);
  assert.ok(late >= early + 0.2, `success ${early} in iterations 1-5, ${late} in 21-25`);
  const updates = readTable(`${runDir}/updates.arrow`).objects() as { updated: boolean }[];
  assert.equal(updates.length, 25);
  assert.ok(updates.some((u) => u.updated));
  await Deno.remove(runDir, { recursive: true });
});

Deno.test("train() resumed after a crash writes the same tables as an uninterrupted run", async () => {
  const base = await tinyBase();
  // the controllers whose state lives in the checkpoint (entropy coefficient, replay buffer) and
  // the learning-rate schedule are on, so the resumed run must restore them to match; so is the KL
  // to the policy at the last checkpoint (a resumed run must anchor to that checkpoint, not the base)
  const cfg = tinyConfig(base, [
    "msgrpo.kl_beta=0.05",
    "msgrpo.kl_reference=checkpoint",
    "msgrpo.solved_advantage=0.5",
    "msgrpo.step_advantage=1",
    "msgrpo.kl_guard=0.02",
    "msgrpo.entropy_coef=0.01",
    "msgrpo.entropy_target=0.5",
    "msgrpo.replay_groups=1",
    "msgrpo.groups=2",
    "optim.schedule=cosine",
    "optim.warmup=1",
    "msgrpo.iterations=4",
    "checkpoint.every=2",
    "eval.every=2",
    "eval.scenarios=[FrozenLake-NoSlip]",
    "eval.episodes=4",
  ]);
  const whole = await Deno.makeTempDir({ prefix: "msgrpo-whole-" });
  await train(cfg, { runDir: whole, progress: false, makeEnv: tinyLake });
  const crashed = await Deno.makeTempDir({ prefix: "msgrpo-crash-" });
  await train(cfg, { runDir: crashed, progress: false, makeEnv: tinyLake, stopAfter: 3 });
  // The crash happened after iteration 3 was logged but before its checkpoint.
  const partial = readTable(`${crashed}/updates.arrow`).objects() as { iteration: number }[];
  assert.deepEqual(partial.map((r) => r.iteration), [1, 2, 3]);
  await assert.rejects(
    train(cfg, {
      runDir: await Deno.makeTempDir(),
      resume: true,
      progress: false,
      makeEnv: tinyLake,
    }),
    /holds no checkpoint/,
  );
  await train(cfg, { runDir: crashed, resume: true, progress: false, makeEnv: tinyLake });
  for (const t of tables) assert.deepEqual(rows(crashed, t), rows(whole, t), `table ${t}`);
  // the KL guard measured every update (its probe is logged whether or not it undid one)
  const updates = readTable(`${whole}/updates.arrow`).objects() as {
    updated: boolean;
    kl_probe: number | null;
    kl_rollback: boolean;
  }[];
  assert.ok(updates.some((u) => u.updated));
  for (const u of updates) {
    assert.equal(u.kl_probe !== null, u.updated, JSON.stringify(u));
    assert.equal(u.kl_rollback, u.kl_probe !== null && u.kl_probe > 0.02);
  }
  // the step-level advantage reached the steps table: some episode's steps carry different values
  const steps = readTable(`${whole}/steps.arrow`).objects() as {
    iteration: number;
    group: number;
    episode: number;
    advantage: number;
  }[];
  const perEpisode = new Map<string, Set<number>>();
  for (const s of steps) {
    const key = `${s.iteration}/${s.group}/${s.episode}`;
    perEpisode.set(key, (perEpisode.get(key) ?? new Set()).add(s.advantage));
  }
  assert.ok([...perEpisode.values()].some((v) => v.size > 1), "no step-level advantage logged");
  await Deno.remove(whole, { recursive: true });
  await Deno.remove(crashed, { recursive: true });
});
