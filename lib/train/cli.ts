/**
 * Command lines of experiment scripts: run-level flags (`--run-dir`, `--resume`, and
 * `--backend NAME`, short for `--model.backend NAME`) plus every config field as a flag,
 * `--set key=value` and `--config FILE` (see `lib/config`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { type Field, type Infer, parseConfigArgs, sectionOverrides } from "../config/mod.ts";
import { isFile } from "../util/fs.ts";

/** Parsed command line of an experiment. */
export interface ExperimentArgs<T> {
  /** Help text when `--help` was given (then nothing else is set). */
  help?: string;
  /** The resolved config. */
  config?: T;
  /** `--run-dir`: where to write the run (default: a fresh `runs/<experiment>__<seed>__<time>`). */
  runDir?: string;
  /** `--resume`: continue the run in `--run-dir` from its checkpoint. */
  resume: boolean;
  /** The overrides applied (for the run's metadata). */
  overrides: readonly string[];
}

/**
 * Parse an experiment's arguments.
 *
 * With `--resume --run-dir DIR` the config is the run's own `DIR/config.yaml` (the seed and
 * settings it started with), overridden by any flags and `--set` given now; without that file
 * (a run stopped before it was written) the command line's config is used.
 *
 * @param schema the experiment's config schema (its options block).
 * @param args `Deno.args`.
 * @param help usage line and description for `--help`.
 * @returns config, run directory, resume flag, or the help text.
 */
export function parseExperimentArgs<F extends Field>(
  schema: F,
  args: readonly string[],
  help: { usage: string; description: string },
): ExperimentArgs<Infer<F>> {
  // `deno task NAME -- ARGS` forwards the `--` itself: drop it.
  args = args.filter((a) => a !== "--");
  const { values, tokens } = parseArgs({
    args: [...args],
    options: {
      "run-dir": { type: "string" },
      resume: { type: "boolean" },
      backend: { type: "string" },
    },
    strict: false,
    tokens: true,
    allowPositionals: true,
  });
  const consumed = new Set<number>();
  for (const t of tokens ?? []) {
    if (t.kind === "option" && ["run-dir", "resume", "backend"].includes(t.name)) {
      consumed.add(t.index);
      if (t.name !== "resume" && t.inlineValue !== true) consumed.add(t.index + 1);
    }
  }
  const rest = args.filter((_, i) => !consumed.has(i));
  const runDir = typeof values["run-dir"] === "string" ? values["run-dir"] : undefined;
  const resume = values.resume === true;
  if (resume && runDir !== undefined) {
    // The run's own resolved config is the one to continue (its seed, its settings): the last
    // `--config` wins, and flags and `--set` still override it.
    const saved = join(runDir, "config.yaml");
    if (isFile(saved)) rest.push("--config", saved);
  }
  if (values.backend !== undefined) {
    if (typeof values.backend !== "string") throw new Error("--backend needs a NAME");
    rest.push("--set", `model.backend=${values.backend}`); // last, so it wins over --config
  }
  const usage = `${help.usage} [--run-dir DIR] [--resume] [--backend NAME]`;
  const parsed = parseConfigArgs(schema, rest, { usage, description: help.description });
  if (parsed.help !== undefined) {
    return {
      help: parsed.help +
        "\n\nrun:\n  --run-dir DIR   write the run here (default runs/<experiment>__<seed>__<time>)\n" +
        "  --resume        continue the run in --run-dir from its last checkpoint\n" +
        "  --backend NAME  compute backend (short for --model.backend NAME)",
      resume: false,
      overrides: [],
    };
  }
  if (resume && runDir === undefined) {
    throw new Error("--resume needs --run-dir DIR (the run to continue)");
  }
  return { config: parsed.config, runDir, resume, overrides: parsed.overrides };
}

/**
 * `--set` arguments that layer a recipe file's `msgrpo` and `optim` sections over an experiment's
 * own config file (see `sectionOverrides` in `lib/config`): put them after `--config FILE` and
 * before the user's flags, so the recipe wins over the experiment's file and the flags win over
 * both. Used by experiments that train with the main job's recipe, to keep one source of truth.
 *
 * @param recipe the recipe file: a path that exists (relative to the current folder), else a
 *   file name in `configsDir`; "" = no recipe (no arguments).
 * @param configsDir where bare recipe names are looked up (e.g. `experiments/configs`).
 * @param sections the sections to take (default `msgrpo` and `optim`).
 * @returns `["--set", "msgrpo.groups=8", …]`.
 * @throws naming the file when it is found in neither place or lacks a section.
 */
export function recipeArgs(
  recipe: string,
  configsDir: string,
  sections: readonly string[] = ["msgrpo", "optim"],
): string[] {
  if (!recipe) return [];
  let file = recipe;
  try {
    Deno.statSync(file);
  } catch {
    file = join(configsDir, recipe);
    try {
      Deno.statSync(file);
    } catch {
      throw new Error(`recipe: neither ${recipe} nor ${file} exists`);
    }
  }
  return sectionOverrides(file, sections).flatMap((o) => ["--set", o]);
}
