/**
 * Build one small base model into a folder — the step a grid runs once before its runs (see
 * `lib/grid/spec.ts`, `bases:`), so that every run of the grid starts from the same model, passed
 * to them as `--set base.path=FOLDER`. It makes the model the experiments' own base cache makes
 * for the same recipe: scripted-play transcripts of the training scenarios (mixed when several),
 * a domain tokenizer, a seeded Qwen2-shaped checkpoint pre-trained on the transcripts.
 *
 * `--from FILE` reads the recipe from an experiment's config file — its `base_scenarios` (else
 * `train_scenarios`), `env.render_style`, `model.backend`, `base_seed` and `base` section — so the
 * grid builds exactly the base the experiment would build for itself; `--shape-from large` takes
 * the model shape from another section of that file (the scale comparison's large base), and
 * `--budget-from large_long` its non-null `steps` and `episodes` (the pre-training budget). Flags
 * and `--set` override what the file gives.
 *
 * The folder appears whole or not at all: the model is built in `OUT.tmp-PID` and renamed, with
 * `recipe.json` (the recipe, parameter count, final loss, seconds) inside.
 *
 * ```sh
 * deno run -A tools/build_base.ts --out DIR [--from experiments/configs/ablation.yaml] \
 *   [--shape-from large] [--budget-from large] [--scenarios '[FrozenLake-NoSlip]'] [--seed 1] [--base.steps 400 …]
 * ```
 *
 * @module
 */
import { parse } from "yaml";
import { c, parseConfigArgs } from "../lib/config/mod.ts";
import {
  backendDescription,
  deviceDescription,
  initBackend,
  parseBackendName,
} from "../lib/engine/mod.ts";
import { writeJsonAtomic } from "../lib/log/atomic.ts";
import { baseModelOptions, baseModelSchema, buildBaseModel } from "../lib/train/mod.ts";

const schema = c.object({
  out: c.string({ minLength: 1, doc: "folder to create (must not exist)" }),
  from: c.string({
    default: "",
    doc: 'experiment config file to read the recipe from ("" = none)',
  }),
  "shape-from": c.string({
    default: "",
    doc: "section of the --from file whose hidden/layers/heads/kv_heads/intermediate to use",
  }),
  "budget-from": c.string({
    default: "",
    doc: "section of the --from file whose non-null steps/episodes to use",
  }),
  scenarios: c.array(c.string({ doc: "scenario" }), {
    default: ["FrozenLake-NoSlip"],
    minLength: 1,
    doc: "scenarios whose scripted-play transcripts make the corpus",
  }),
  render_style: c.enum(["compact", "verbose"], { default: "compact", doc: "prompt rendering" }),
  seed: c.int({ default: 1, doc: "seed of transcripts, initialisation and batches" }),
  backend: c.string({ default: "auto", doc: "compute backend" }),
  base: baseModelSchema,
});

const SHAPE = ["hidden", "layers", "heads", "kv_heads", "intermediate"];

/** `--set` arguments for the recipe fields of an experiment's config file. */
function fromFile(file: string, shapeFrom: string, budgetFrom: string): string[] {
  let doc: Record<string, unknown>;
  try {
    doc = (parse(Deno.readTextFileSync(file)) ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`--from ${file}: ${(e as Error).message}`);
  }
  const sets: [string, unknown][] = [];
  const section = (k: string) => (doc[k] ?? {}) as Record<string, unknown>;
  const scenarios = Array.isArray(doc.base_scenarios) && doc.base_scenarios.length > 0
    ? doc.base_scenarios
    : doc.train_scenarios;
  if (scenarios !== undefined) sets.push(["scenarios", scenarios]);
  if (section("env").render_style !== undefined) {
    sets.push(["render_style", section("env").render_style]);
  }
  if (section("model").backend !== undefined) sets.push(["backend", section("model").backend]);
  if (doc.base_seed !== undefined) sets.push(["seed", doc.base_seed]);
  for (const [k, v] of Object.entries(section("base"))) {
    if (k !== "path") sets.push([`base.${k}`, v]);
  }
  if (shapeFrom) {
    if (doc[shapeFrom] === undefined) throw new Error(`--shape-from: ${file} has no ${shapeFrom}`);
    for (const k of SHAPE) {
      const v = section(shapeFrom)[k];
      if (v !== undefined) sets.push([`base.${k}`, v]);
    }
  }
  if (budgetFrom) {
    if (doc[budgetFrom] === undefined) {
      throw new Error(`--budget-from: ${file} has no ${budgetFrom}`);
    }
    for (const k of ["steps", "episodes"]) {
      const v = section(budgetFrom)[k];
      if (v !== undefined && v !== null) sets.push([`base.${k}`, v]);
    }
  }
  return sets.flatMap(([k, v]) => ["--set", `${k}=${JSON.stringify(v)}`]);
}

async function main(): Promise<number> {
  const argv = Deno.args.filter((a) => a !== "--");
  const help = {
    usage: "deno run -A tools/build_base.ts --out DIR",
    description: "Build a small base model from scripted-play transcripts into a new folder.",
  };
  let args = parseConfigArgs(schema, argv, help);
  if (args.help !== undefined) {
    console.log(args.help);
    return 0;
  }
  if (args.config.from) {
    const sets = fromFile(args.config.from, args.config["shape-from"], args.config["budget-from"]);
    args = parseConfigArgs(schema, [...sets, ...argv], help);
    if (args.help !== undefined) return 0;
  } else if (args.config["shape-from"] || args.config["budget-from"]) {
    throw new Error("--shape-from and --budget-from need --from FILE");
  }
  const cfg = args.config;
  try {
    Deno.statSync(cfg.out);
    throw new Error(`--out ${cfg.out} exists already`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await initBackend(parseBackendName(cfg.backend));
  const b = cfg.base, style = cfg.render_style;
  const tmp = `${cfg.out}.tmp-${Deno.pid}`;
  await Deno.mkdir(tmp, { recursive: true });
  const t0 = performance.now();
  console.error(`build_base: ${b.episodes} transcript episodes, ${b.steps} steps → ${cfg.out}`);
  const made = await buildBaseModel(
    tmp,
    baseModelOptions(b, { renderStyle: style, seed: cfg.seed, scenarios: cfg.scenarios }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const recipe = {
    scenarios: cfg.scenarios,
    renderStyle: style,
    base: { ...b, path: "" },
    seed: cfg.seed,
    backend: backendDescription(),
    device: deviceDescription(),
  };
  await writeJsonAtomic(`${tmp}/recipe.json`, { recipe, ...made, seconds });
  await Deno.rename(tmp, cfg.out);
  console.error(
    `build_base: ${made.parameters} parameters, vocab ${made.vocab}, final loss ` +
      `${made.finalLoss.toFixed(4)}, ${seconds.toFixed(1)} s`,
  );
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
