/**
 * The paper's comparison: a small model post-trained with MS-GRPO against a much larger model
 * that gets no MS-GRPO, both evaluated on the very same 50 episodes of four scenarios
 * (FrozenLake-NoSlip, FrozenLake-Slippery, Snake-8, Snake-20). One process = one seed: the small
 * policy is trained (evaluated at iteration 0 — the untrained small model — and every K
 * iterations) into the run directory, and the large baseline(s) are evaluated into
 * `RUN/baseline/` (and on `cpu` `RUN/baseline_long/`) with the same sampling seed, so `S` seeds
 * are `S` processes (or machines, or a job array) and their run directories simply merge for
 * analysis.
 *
 * Two setups (`--setup`, each with its YAML in `experiments/configs/`):
 * - `paper` (`scale_paper.yaml`): Qwen2.5-3B-Instruct from a local folder (`--model.path`),
 *   trained with LoRA on the `webgpu` backend, vs Qwen2.5-72B-Instruct served by any
 *   OpenAI-compatible server (`--baseline.base_url`, `--baseline.model_name`). It checks the
 *   folder, the server and the GPU before doing anything and stops with a clear error otherwise
 *   (`scale/paper_check.ts`).
 * - `cpu` (`scale_cpu.yaml`): an analogue for a 2-core machine, not the paper's experiment. No
 *   pretrained weights exist here, so every model is built from scratch with the same transcript
 *   recipe (scripted play of `base_scenarios`: each move random or, with probability
 *   `base.oracle_fraction`, the planner's; one domain tokenizer per corpus). The small base
 *   (`base`) is then post-trained with the main job's MS-GRPO recipe: the `msgrpo` and `optim`
 *   sections of `recipe` (`frozen_lake_demo.yaml`) are layered over this file, so the recipe has
 *   one source of truth. Two large bases (≥ `min_ratio` × the small one's parameters) get no
 *   MS-GRPO: `large` (baseline `B`, `RUN/baseline/`: the small base's transcripts and at least its
 *   pre-training plus MS-GRPO compute) and `large_long` (baseline `C`, `RUN/baseline_long/`:
 *   pre-trained longer on more transcripts). All bases are built once and cached by recipe
 *   (`cache_dir`; `scale/bases.ts`). At the end the run writes `RUN/compute.json`: the FLOPs of
 *   each model's training (≈ 6 · parameters · tokens, `lib/train/flops.ts`) from the token counts
 *   of this run, and whether each large base got at least the small model's total.
 *
 * Training plays `train_scenarios` (cpu default: FrozenLake-NoSlip, the headline as in the
 * paper; several mix by group, see `lib/env/mixed.ts`); evaluation covers `eval.scenarios` (the
 * four paper scenarios, 50 fixed episodes each, beside the optimum where known).
 *
 * Departures from the paper (whose hyper-parameters are not available): every MS-GRPO setting
 * follows `docs/algorithm.md`, including the main job's departures on `cpu`; the `paper` defaults
 * (LoRA rank 16, lr 2e-5, 700 iterations, N = 2, G = 16, 256 new tokens) are our choice; the cpu
 * analogue uses compact prompts.
 *
 * Usage: `deno run -A [--unstable-webgpu] experiments/scale_comparison.ts [--setup cpu|paper]
 * [--seed S] [--run-dir DIR] [--resume] [--key.path VALUE …] [--set k=v]`; prints one JSON line.
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
import { writeJsonAtomic } from "../lib/log/atomic.ts";
import { type LoadedPolicy, loadPolicy } from "../lib/policy/load.ts";
import { baseModelSchema } from "../lib/train/base_schema.ts";
import { parseExperimentArgs, recipeArgs } from "../lib/train/cli.ts";
import { trainFields } from "../lib/train/schema.ts";
import { train } from "../lib/train/trainer.ts";
import { baseCompute, computeStatement, runMsgrpoTokens } from "../lib/train/flops.ts";
import { mixedEnvFactory } from "../lib/env/mixed.ts";
import { evaluateBaseline } from "../lib/rollout/evaluate_run.ts";
import { runComparison } from "../lib/viz/compare.ts";
import { runMain } from "../lib/util/main.ts";
import { checkPaperSetup } from "./scale/paper_check.ts";
import { ensureScaleBases, type ScaleBases } from "./scale/bases.ts";

const FOUR = ["FrozenLake-NoSlip", "FrozenLake-Slippery", "Snake-8", "Snake-20"];

const _budget = (what: string) => ({
  steps: c.int<true>({
    default: null,
    nullable: true,
    min: 1,
    doc: `cpu: ${what} pre-training steps (null = base.steps)`,
  }),
  episodes: c.int<true>({
    default: null,
    nullable: true,
    min: 1,
    doc: `cpu: ${what} transcript episodes (null = base.episodes; more start with the same ones)`,
  }),
});

/** Options block: the trainer's fields plus the setup, the training mix, the bases and the baseline. */
export const scaleSchema = c.object({
  setup: c.enum(["cpu", "paper"], {
    default: "cpu",
    doc: "cpu: scaled analogue built from scratch; paper: local 3B folder vs served 72B",
  }),
  recipe: c.string({
    default: "",
    doc: "config file whose msgrpo and optim sections are layered over this one (a path, or a " +
      'name in experiments/configs; "" = none)',
  }),
  train_scenarios: c.array(c.string({ doc: "scenario" }), {
    default: FOUR,
    doc: "scenarios mixed in training (a group's scenario is chosen by its seed; repeat to weight)",
  }),
  base_scenarios: c.array(c.string({ doc: "scenario" }), {
    default: [],
    doc: "cpu: scenarios of every base's transcripts ([] = train_scenarios)",
  }),
  ...trainFields,
  base: baseModelSchema,
  base_seed: c.int({ default: 1, doc: "cpu: seed of the bases' transcripts and pre-training" }),
  large: c.object({
    path: c.string({ default: "", doc: "use this checkpoint folder as the large model" }),
    hidden: c.int({ default: 256, min: 8, doc: "hidden size" }),
    layers: c.int({ default: 6, min: 1, doc: "decoder layers" }),
    heads: c.int({ default: 8, min: 1, doc: "query heads" }),
    kv_heads: c.int({ default: 4, min: 1, doc: "key/value heads" }),
    intermediate: c.int({ default: 768, min: 8, doc: "MLP width" }),
    ..._budget("the large base's"),
  }, { doc: "cpu: the large base B (same recipe as base; shape and budget differ)" }),
  large_long: c.object({
    enabled: c.bool({ default: false, doc: "cpu: also evaluate C into RUN/baseline_long/" }),
    path: c.string({ default: "", doc: "use this checkpoint folder as C" }),
    ..._budget("C's"),
  }, { doc: "cpu: the large base C, pre-trained longer (the shape of large)" }),
  min_ratio: c.float({ default: 8, gt: 0, doc: "cpu: least parameter ratio large / small" }),
  cache_dir: c.string({
    default: "runs/bases",
    doc: 'cpu: cache of built bases ("" = build in the run)',
  }),
  baseline: c.object({
    enabled: c.bool({ default: true, doc: "evaluate the large baseline in this process" }),
    base_url: c.string({ default: "http://127.0.0.1:8000/v1", doc: "paper: server URL with /v1" }),
    model_name: c.string({ default: "Qwen2.5-72B-Instruct", doc: "paper: served model name" }),
    mode: c.enum(["chat", "completions"], { default: "chat", doc: "paper: endpoint" }),
    api_key_env: c.string({
      default: "OPENAI_API_KEY",
      doc: "paper: variable holding the API key",
    }),
    concurrency: c.int({ default: 16, min: 1, doc: "paper: requests in flight" }),
    timeout_s: c.float({ default: 300, gt: 0, doc: "paper: per-request timeout" }),
    max_new_tokens: c.int<true>({
      default: null,
      nullable: true,
      min: 1,
      doc: "cap on the baseline's tokens per decision (null = msgrpo.max_new_tokens)",
    }),
  }, { doc: "the large baseline" }),
});

/** A resolved scale-comparison config. */
export type ScaleConfig = Infer<typeof scaleSchema>;

const CONFIGS = join(import.meta.dirname!, "configs");

function _baselinePolicy(
  cfg: ScaleConfig,
  largePath: string,
  maxNewTokens: number,
  name: string,
): Promise<LoadedPolicy> {
  const b = cfg.baseline;
  return cfg.setup === "paper"
    ? loadPolicy({
      kind: "http",
      baseUrl: b.base_url,
      modelName: b.model_name,
      mode: b.mode,
      apiKeyEnv: b.api_key_env,
      maxTokens: maxNewTokens,
      concurrency: b.concurrency,
      timeoutMs: b.timeout_s * 1000,
    })
    : loadPolicy({ kind: "lap", model: largePath, name: `lap:${name}`, maxNewTokens });
}

/** Parse the command line: the setup picks `configs/scale_<setup>.yaml`, its `recipe` is layered. */
function _parse(argv: readonly string[]) {
  const help = {
    usage: "deno run -A experiments/scale_comparison.ts [--setup cpu|paper]",
    description:
      "Train a small policy with MS-GRPO and compare it with large bases that get no MS-GRPO.",
  };
  const first = parseExperimentArgs(scaleSchema, argv, help);
  if (first.help !== undefined) return first;
  const setupFile = join(CONFIGS, `scale_${first.config!.setup}.yaml`);
  const second = parseExperimentArgs(scaleSchema, ["--config", setupFile, ...argv], help);
  const recipe = recipeArgs(second.config!.recipe, CONFIGS);
  return parseExperimentArgs(scaleSchema, ["--config", setupFile, ...recipe, ...argv], help);
}

async function main(): Promise<void> {
  const args = _parse(Deno.args);
  if (args.help !== undefined) {
    console.log(args.help);
    return;
  }
  const cfg = args.config!;
  if (cfg.setup === "paper") await checkPaperSetup(cfg);
  await initBackend(parseBackendName(cfg.model.backend));
  const experiment = `scale_${cfg.setup}`;
  const run = args.resume ? { path: args.runDir! } : await createRunDir({
    root: "runs",
    experiment,
    seed: cfg.seed,
    runDir: args.runDir,
    configYaml: dumpConfig(cfg, scaleSchema),
    backend: backendDescription(),
    device: deviceDescription(),
    extra: { role: "trained", setup: cfg.setup },
  });
  console.error(`run directory: ${run.path} (backend ${backendDescription()})`);
  const t0 = performance.now();
  const style = cfg.env.render_style;
  let bases: ScaleBases | null = null;
  if (cfg.setup === "cpu") {
    bases = await ensureScaleBases(cfg, run.path, backendDescription());
    const r = (b: { parameters: number }) => (b.parameters / bases!.small.parameters).toFixed(1);
    console.error(
      `bases: small ${bases.small.parameters}, large ${bases.large.parameters} (${
        r(bases.large)
      }×)` + (bases.long ? `, large_long ${bases.long.parameters} (${r(bases.long)}×)` : ""),
    );
  }
  const maxNew = cfg.baseline.max_new_tokens ?? cfg.msgrpo.max_new_tokens;
  const baselines: [string, string][] = [["baseline", bases?.large.path ?? ""]];
  if (bases?.long) baselines.push(["baseline_long", bases.long.path]);
  for (
    const [name, path] of cfg.baseline.enabled && cfg.eval.scenarios.length > 0 ? baselines : []
  ) {
    const { policy, ident } = await _baselinePolicy(cfg, path, maxNew, name);
    try {
      console.error(`${name}: evaluating ${ident.name}`);
      await evaluateBaseline(policy, run.path, {
        scenarios: [...cfg.eval.scenarios],
        temperature: cfg.eval.temperature,
        seed: cfg.seed,
        episodes: cfg.eval.episodes ?? undefined,
        maxNewTokens: maxNew,
        renderStyle: style,
        experiment,
        ident,
        name,
        meta: path ? { base_path: path } : undefined,
      });
    } finally {
      policy.dispose?.();
    }
  }
  console.error("MS-GRPO on the small model");
  const summary = await train({
    ...cfg,
    model: { ...cfg.model, path: bases?.small.path ?? cfg.model.path },
  }, {
    runDir: run.path,
    resume: args.resume,
    makeEnv: mixedEnvFactory(cfg.train_scenarios, style, cfg.env.format_penalty),
  });
  let compute = null;
  if (bases) {
    const large: Record<string, ReturnType<typeof baseCompute>> = {
      baseline: baseCompute(bases.large.path),
    };
    if (bases.long) large.baseline_long = baseCompute(bases.long.path);
    compute = computeStatement(
      baseCompute(bases.small.path),
      runMsgrpoTokens(run.path, cfg.msgrpo.epochs),
      large,
    );
    await writeJsonAtomic(join(run.path, "compute.json"), compute);
    for (const [name, x] of Object.entries(compute.large_over_small)) {
      if (x < 1) {
        console.error(
          `warning: ${name}'s pre-training got ${x.toFixed(2)}× the small model's compute ` +
            "(pre-training + MS-GRPO), less than registered; raise large.steps",
        );
      }
    }
  }
  console.log(JSON.stringify({
    run_dir: run.path,
    setup: cfg.setup,
    seed: cfg.seed,
    iterations: summary.iterations,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    small_parameters: bases?.small.parameters,
    large_parameters: bases?.large.parameters,
    large_long_parameters: bases?.long?.parameters,
    compute,
    comparison: runComparison(run.path),
  }));
}

if (import.meta.main) await runMain(main);
