/**
 * The sampling ablation: MS-GRPO with |A|-weighted episode sampling (`aaw`, the paper's) against
 * `uniform` sampling and `all` (every episode once), with the same budget — the same base model,
 * iterations, groups N, group size G and batch size M (M = the pool size N·G by default: `aaw` and
 * `uniform` draw M episodes with replacement, `all` takes each of the N·G episodes once), so the
 * arms differ only in which episodes enter the update.
 *
 * One process = one arm × one seed, in its own run directory (`ablation-<arm>__<seed>__<time>`);
 * the arm is recorded in `config.yaml` (`arm` and `msgrpo.sampling`) and in `meta.json`. Run
 * S seeds of each arm as 3·S processes (any machines) and pass the directories to the ablation
 * notebook. Every run of every arm starts from the same base model (built once per recipe and
 * cached in `cache_dir`, seeded by `base_seed`).
 *
 * Defaults (`experiments/configs/ablation.yaml`, pre-registered in `experiments/README.md`): the
 * main job — its ~0.8M-parameter base (the main job's transcripts: random moves, half of them
 * replaced by the planner's; built once with `base_seed`) and its MS-GRPO recipe, the `msgrpo`
 * and `optim` sections of `recipe` (`frozen_lake_demo.yaml`, layered over this file so the recipe
 * has one source of truth; its departures — replay of failed maps, cosine decay, entropy bonus —
 * stay on in every arm) — trained on random 4x4 non-slippery lakes and evaluated every 10
 * iterations on FrozenLake-NoSlip and FrozenLake-Slippery. The recipe's plateau of the plain
 * algorithm (the base's greedy 0.80) is what the departures move (`docs/algorithm.md`), so the
 * arms have room to differ in how fast and how far they get.
 *
 * Usage: `deno run -A experiments/sampling_ablation.ts --arm aaw|uniform|all [--seed S]
 * [--run-dir DIR] [--resume] [--key.path VALUE …]`; prints one JSON line.
 *
 * @module
 */
import { join } from "node:path";
import { c, dumpConfig, type Infer } from "../lib/config/mod.ts";
import {
  backendDescription,
  deviceDescription,
  initBackend,
  parseBackendName,
} from "../lib/engine/mod.ts";
import { createRunDir } from "../lib/log/mod.ts";
import { baseModelSchema } from "../lib/train/base_schema.ts";
import { parseExperimentArgs, recipeArgs } from "../lib/train/cli.ts";
import { trainFields } from "../lib/train/schema.ts";
import { evalOutcomes, train } from "../lib/train/trainer.ts";
import { mixedEnvFactory } from "../lib/env/mixed.ts";
import { ensureBaseModel } from "../lib/train/base_cache.ts";
import { runMain } from "../lib/util/main.ts";

/** Options block: the arm, the training scenarios, the trainer's fields and the base model. */
export const ablationSchema = c.object({
  arm: c.enum(["aaw", "uniform", "all"], {
    default: "aaw",
    doc: "episode sampling arm (sets msgrpo.sampling)",
  }),
  recipe: c.string({
    default: "",
    doc: "config file whose msgrpo and optim sections are layered over this one (a path, or a " +
      'name in experiments/configs; "" = none)',
  }),
  train_scenarios: c.array(c.string({ doc: "scenario" }), {
    default: ["FrozenLake-NoSlip"],
    doc: "training scenarios (several: a group's scenario is chosen by its seed)",
  }),
  ...trainFields,
  base: baseModelSchema,
  base_seed: c.int({ default: 1, doc: "seed of the base model's transcripts and pre-training" }),
  cache_dir: c.string({
    default: "runs/bases",
    doc: 'cache of built bases ("" = build in the run)',
  }),
});

/** A resolved ablation config. */
export type AblationConfig = Infer<typeof ablationSchema>;

const CONFIGS = join(import.meta.dirname!, "configs");
const DEFAULTS = join(CONFIGS, "ablation.yaml");

async function main(): Promise<void> {
  const help = {
    usage: "deno run -A experiments/sampling_ablation.ts --arm aaw|uniform|all",
    description: "MS-GRPO with one episode-sampling arm; one seed per process.",
  };
  let args = parseExperimentArgs(ablationSchema, ["--config", DEFAULTS, ...Deno.args], help);
  if (args.help === undefined) {
    // the arm, not the recipe, sets the sampling rule
    const recipe = recipeArgs(args.config!.recipe, CONFIGS)
      .filter((a) => a !== "--set" && !a.startsWith("msgrpo.sampling="))
      .flatMap((o) => ["--set", o]);
    args = parseExperimentArgs(
      ablationSchema,
      ["--config", DEFAULTS, ...recipe, ...Deno.args],
      help,
    );
  }
  if (args.help !== undefined) {
    console.log(args.help);
    return;
  }
  const given = args.config!;
  const explicit = args.overrides.find((o) => o.startsWith("msgrpo.sampling="));
  if (explicit && explicit !== `msgrpo.sampling=${given.arm}`) {
    throw new Error(
      `--${explicit.replace("=", " ")} contradicts --arm ${given.arm}; use --arm only`,
    );
  }
  const cfg: AblationConfig = { ...given, msgrpo: { ...given.msgrpo, sampling: given.arm } };
  await initBackend(parseBackendName(cfg.model.backend));
  const experiment = `ablation-${cfg.arm}`;
  const run = args.resume ? { path: args.runDir! } : await createRunDir({
    root: "runs",
    experiment,
    seed: cfg.seed,
    runDir: args.runDir,
    configYaml: dumpConfig(cfg, ablationSchema),
    backend: backendDescription(),
    device: deviceDescription(),
    extra: { role: "trained", arm: cfg.arm },
  });
  console.error(`run directory: ${run.path} (arm ${cfg.arm}, backend ${backendDescription()})`);
  const t0 = performance.now();
  const style = cfg.env.render_style;
  const base = cfg.base.path ? { path: cfg.base.path } : await ensureBaseModel({
    scenarios: cfg.train_scenarios,
    renderStyle: style,
    base: cfg.base,
    shape: cfg.base,
    seed: cfg.base_seed,
    backend: backendDescription(),
  }, { cacheDir: cfg.cache_dir, fallbackDir: join(run.path, "base"), label: "ablation" });
  const summary = await train({ ...cfg, model: { ...cfg.model, path: base.path } }, {
    runDir: run.path,
    resume: args.resume,
    makeEnv: mixedEnvFactory(cfg.train_scenarios, style, cfg.env.format_penalty),
  });
  console.log(JSON.stringify({
    run_dir: run.path,
    arm: cfg.arm,
    seed: cfg.seed,
    iterations: summary.iterations,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    eval: evalOutcomes(summary),
  }));
}

if (import.meta.main) await runMain(main);
