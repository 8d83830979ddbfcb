/**
 * The main job: a small MS-GRPO run on Frozen Lake that finishes in minutes on a 2-core CPU.
 *
 * Stage 1 builds the base model from nothing (no pretrained weights exist here): transcripts of
 * scripted play on random 4x4 training maps (never the evaluation maps) — each move uniformly
 * random, or with probability `base.oracle_fraction` a shortest-path planner's move — a domain
 * BPE tokenizer, a seeded ~0.8M-parameter Qwen2-architecture model, and supervised pre-training
 * on the answers. The base therefore knows the answer format and, at most, a diluted hint of where
 * to go (its evaluation success is logged at iteration 0). Stage 2 post-trains it with MS-GRPO on
 * FrozenLake-NoSlip-style random maps and evaluates on that scenario's 50 fixed episodes.
 *
 * Departures from the paper: a tiny model with compact prompts (one instruction line; the board,
 * then the player's row, column and neighbouring tiles) instead of Qwen2.5-3B with verbose ones;
 * everything else follows `docs/algorithm.md`.
 *
 * Usage: `deno task demo -- [--run-dir DIR] [--resume] [--msgrpo.iterations N] [--set k=v] …`
 *
 * `--base.path DIR` (or `--model.path DIR`) post-trains that checkpoint instead of building a
 * base. `--resume --run-dir DIR` continues a run from wherever it stopped, even after `kill -9`:
 * the base is written to `DIR/base.partial` and renamed to `DIR/base` only when finished, so a
 * run stopped in stage 1 rebuilds it (seeded: the same base), and stage 2 continues from its last
 * checkpoint or starts over (see `lib/train/resume.ts`).
 *
 * @module
 */
import { join } from "node:path";
import { c, dumpConfig } from "../lib/config/mod.ts";
import {
  backendDescription,
  deviceDescription,
  initBackend,
  parseBackendName,
} from "../lib/engine/mod.ts";
import { createRunDir } from "../lib/log/mod.ts";
import { baseModelSchema } from "../lib/train/base_schema.ts";
import { baseModelOptions, buildBaseModel } from "../lib/train/base_model.ts";
import { buildOnce, prepareStage2 } from "../lib/train/resume.ts";
import { parseExperimentArgs } from "../lib/train/cli.ts";
import { evalOutcomes, train } from "../lib/train/trainer.ts";
import { trainFields } from "../lib/train/schema.ts";
import { runMain } from "../lib/util/main.ts";

/** Options block: the trainer's fields (defaults tuned for this demo) plus the base model. */
const schema = c.object({ ...trainFields, base: baseModelSchema });

/** This experiment's defaults over the trainer's (the YAML beside this script holds them). */
const DEFAULTS = join(import.meta.dirname!, "configs", "frozen_lake_demo.yaml");

async function main(): Promise<void> {
  const args = parseExperimentArgs(schema, ["--config", DEFAULTS, ...Deno.args], {
    usage: "deno task demo --",
    description:
      "Build a small base model, post-train it with MS-GRPO on Frozen Lake, log Arrow tables.",
  });
  if (args.help !== undefined) {
    console.log(args.help);
    return;
  }
  const cfg = args.config!;
  if (cfg.model.path && cfg.base.path && cfg.model.path !== cfg.base.path) {
    throw new Error(
      `--model.path ${cfg.model.path} and --base.path ${cfg.base.path} disagree; ` +
        "give one checkpoint to post-train (--base.path DIR)",
    );
  }
  if (args.resume && !(await Deno.stat(args.runDir!).catch(() => null))?.isDirectory) {
    throw new Error(`--resume: ${args.runDir} is not a run directory (nothing to continue)`);
  }
  await initBackend(parseBackendName(cfg.model.backend));
  const run = args.resume ? { path: args.runDir! } : await createRunDir({
    root: "runs",
    experiment: "frozen_lake_demo",
    seed: cfg.seed,
    runDir: args.runDir,
    configYaml: dumpConfig(cfg, schema),
    backend: backendDescription(),
    device: deviceDescription(),
  });
  console.error(`run directory: ${run.path} (backend ${backendDescription()})`);
  const t0 = performance.now();
  let basePath = cfg.base.path || cfg.model.path;
  if (!basePath) {
    basePath = join(run.path, "base");
    await buildOnce(basePath, async (partial) => {
      console.error(
        `stage 1: building the base model (transcripts of random play with ` +
          `${cfg.base.oracle_fraction * 100}% planner moves, supervised pre-training)`,
      );
      const info = await buildBaseModel(
        partial,
        baseModelOptions(cfg.base, { renderStyle: cfg.env.render_style, seed: cfg.seed }),
      );
      console.error(
        `stage 1 done in ${
          ((performance.now() - t0) / 1000).toFixed(1)
        } s: ${info.parameters} parameters, ` +
          `vocab ${info.vocab}, ${info.examples} examples, final loss ${info.finalLoss.toFixed(4)}`,
      );
    });
  }
  const resume = args.resume && await prepareStage2(run.path);
  console.error(resume ? "stage 2: MS-GRPO, resumed from its checkpoint" : "stage 2: MS-GRPO");
  const summary = await train({ ...cfg, model: { ...cfg.model, path: basePath } }, {
    runDir: run.path,
    resume,
  });
  console.log(JSON.stringify({
    run_dir: run.path,
    iterations: summary.iterations,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    eval: evalOutcomes(summary),
  }));
}

if (import.meta.main) await runMain(main);
