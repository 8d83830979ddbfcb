/**
 * Build one small base model into a folder — the step a grid runs once before its runs (see
 * `lib/grid/spec.ts`, `bases:`), so that every run of the grid starts from the same model, passed
 * to them as `--set base.path=FOLDER`. It makes the model the experiments' own base cache makes
 * for the same recipe: scripted-play transcripts of the training scenarios (mixed when several),
 * a domain tokenizer, a seeded Qwen2-shaped checkpoint pre-trained on the transcripts.
 *
 * The folder appears whole or not at all: the model is built in `OUT.tmp-PID` and renamed, with
 * `recipe.json` (the recipe, parameter count, final loss, seconds) inside.
 *
 * ```sh
 * deno run -A tools/build_base.ts --out DIR [--scenarios '[FrozenLake-NoSlip]'] [--seed 1] \
 *   [--base.steps 400 --base.hidden 128 …] [--config FILE]
 * ```
 *
 * @module
 */
import { c, parseConfigArgs } from "../lib/config/mod.ts";
import { backendDescription, initBackend, parseBackendName } from "../lib/engine/mod.ts";
import { writeJsonAtomic } from "../lib/log/atomic.ts";
import { baseModelSchema, buildBaseModel, MixedScenarioEnv } from "../lib/train/mod.ts";

const schema = c.object({
  out: c.string({ minLength: 1, doc: "folder to create (must not exist)" }),
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

async function main(): Promise<number> {
  const args = parseConfigArgs(schema, Deno.args.filter((a) => a !== "--"), {
    usage: "deno run -A tools/build_base.ts --out DIR",
    description: "Build a small base model from scripted-play transcripts into a new folder.",
  });
  if (args.help !== undefined) {
    console.log(args.help);
    return 0;
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
  const made = await buildBaseModel(tmp, {
    scenario: cfg.scenarios[0],
    makeEnv: () => new MixedScenarioEnv(cfg.scenarios, { renderStyle: style }),
    renderStyle: style,
    episodes: b.episodes,
    oracleFraction: b.oracle_fraction,
    hidden: b.hidden,
    layers: b.layers,
    heads: b.heads,
    kvHeads: b.kv_heads,
    intermediate: b.intermediate,
    merges: b.merges,
    steps: b.steps,
    batchSize: b.batch_size,
    lr: b.lr,
    seed: cfg.seed,
  });
  const seconds = (performance.now() - t0) / 1000;
  const recipe = {
    scenarios: cfg.scenarios,
    renderStyle: style,
    base: { ...b, path: "" },
    seed: cfg.seed,
    backend: backendDescription(),
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
