/**
 * The paper's comparison: a small model post-trained with MS-GRPO against a much larger model
 * that gets no MS-GRPO, both evaluated on the very same 50 episodes of four scenarios
 * (FrozenLake-NoSlip, FrozenLake-Slippery, Snake-8, Snake-20). One process = one seed: the small
 * policy is trained (evaluated at iteration 0 — the untrained small model — and every K
 * iterations) into the run directory, and the large baseline is evaluated into
 * `RUN/baseline/` with the same sampling seed, so `S` seeds are `S` processes (or machines, or a
 * job array) and their run directories simply merge for analysis.
 *
 * Two setups (`--setup`, each with its YAML in `experiments/configs/`):
 * - `paper` (`scale_paper.yaml`): Qwen2.5-3B-Instruct from a local folder (`--model.path`),
 *   trained with LoRA on the `webgpu` backend, vs Qwen2.5-72B-Instruct served by any
 *   OpenAI-compatible server (`--baseline.base_url`, `--baseline.model_name`). It checks the
 *   folder, the server and the GPU before doing anything and stops with a clear error otherwise.
 * - `cpu` (`scale_cpu.yaml`): an analogue for a 2-core machine, not the paper's experiment. No
 *   pretrained weights exist here, so both models are built from scratch with the same recipe
 *   (transcripts of the four scenarios in which each move is random or, with probability
 *   `base.oracle_fraction`, the scripted planner's — hurried Frozen Lake oracle, greedy Snake —
 *   one domain tokenizer, the same pre-training steps); only the shape differs, and the large one must have at least `min_ratio` (8) times
 *   the small one's parameters. The small one then gets MS-GRPO; the large one does not. Both
 *   bases are cached by recipe (`cache_dir`), so seeds on one machine pre-train once.
 *
 * Training covers both games in one policy: every group plays a scenario chosen by its initial
 * state seed from `train_scenarios` (default: the four evaluation scenarios' settings, on random
 * training seeds that never meet the evaluation seeds), see `lib/env/mixed.ts`. Why mixed
 * rather than one run per game: the comparison is one small model against one large generalist
 * on four scenarios, as in the paper's figure (one run, four evaluation curves); separate runs
 * would need two small models to stand against one large one. A group always plays a single
 * scenario, so advantages compare episodes of the same game.
 *
 * Departures from the paper (whose hyper-parameters are not available): every MS-GRPO setting
 * follows `docs/algorithm.md`; the `paper` defaults (LoRA rank 16, lr 2e-5, 700 iterations,
 * N = 2, G = 16, 256 new tokens) are our choice; the cpu analogue uses compact prompts.
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
  initBackend,
  parseBackendName,
  webGpuUnavailableReason,
} from "../lib/engine/mod.ts";
import { createRunDir } from "../lib/log/mod.ts";
import { type LoadedPolicy, loadPolicy } from "../lib/policy/load.ts";
import { servedModels } from "../lib/policy/http_probe.ts";
import { inspectCheckpoint } from "../lib/model/checkpoint.ts";
import { countParameters } from "../lib/model/checkpoint_layout.ts";
import { baseModelSchema } from "../lib/train/base_schema.ts";
import { parseExperimentArgs } from "../lib/train/cli.ts";
import { trainFields } from "../lib/train/schema.ts";
import { train } from "../lib/train/trainer.ts";
import { mixedEnvFactory } from "../lib/env/mixed.ts";
import { evaluateBaseline } from "../lib/rollout/evaluate_run.ts";
import { ensureBaseModel } from "../lib/train/base_cache.ts";
import { runComparison } from "../lib/viz/compare.ts";
import { runMain } from "../lib/util/main.ts";

const FOUR = ["FrozenLake-NoSlip", "FrozenLake-Slippery", "Snake-8", "Snake-20"];

/** Options block: the trainer's fields plus the setup, the training mix, the bases and the baseline. */
export const scaleSchema = c.object({
  setup: c.enum(["cpu", "paper"], {
    default: "cpu",
    doc: "cpu: scaled analogue built from scratch; paper: local 3B folder vs served 72B",
  }),
  train_scenarios: c.array(c.string({ doc: "scenario" }), {
    default: FOUR,
    doc: "scenarios mixed in training (a group's scenario is chosen by its seed; repeat to weight)",
  }),
  ...trainFields,
  base: baseModelSchema,
  base_seed: c.int({ default: 1, doc: "cpu: seed of both bases' transcripts and pre-training" }),
  large: c.object({
    path: c.string({ default: "", doc: "use this checkpoint folder as the large model" }),
    hidden: c.int({ default: 256, min: 8, doc: "hidden size" }),
    layers: c.int({ default: 6, min: 1, doc: "decoder layers" }),
    heads: c.int({ default: 8, min: 1, doc: "query heads" }),
    kv_heads: c.int({ default: 4, min: 1, doc: "key/value heads" }),
    intermediate: c.int({ default: 768, min: 8, doc: "MLP width" }),
  }, { doc: "cpu: the large base (same recipe as base, only the shape differs)" }),
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

function _isFile(p: string): boolean {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
}

/**
 * Check what the `paper` setup needs before anything runs: the model folder, the baseline server
 * (when enabled) and a WebGPU adapter (for the `webgpu` backend).
 * @param cfg the resolved config.
 * @throws an error naming what is missing and how to provide it.
 */
export async function checkPaperSetup(cfg: ScaleConfig): Promise<void> {
  const p = cfg.model.path;
  const get = "download Qwen2.5-3B-Instruct (e.g. `huggingface-cli download " +
    "Qwen/Qwen2.5-3B-Instruct --local-dir DIR`) and pass --model.path DIR";
  if (!p) throw new Error(`scale_comparison (paper): model.path is empty; ${get}`);
  let isDir = false;
  try {
    isDir = Deno.statSync(p).isDirectory;
  } catch { /* missing */ }
  if (!isDir) throw new Error(`scale_comparison (paper): model.path ${p} is not a folder; ${get}`);
  for (const f of ["config.json", "tokenizer.json"]) {
    if (!_isFile(join(p, f))) {
      throw new Error(`scale_comparison (paper): ${join(p, f)} is missing; ${get}`);
    }
  }
  if (![...Deno.readDirSync(p)].some((e) => e.name.endsWith(".safetensors"))) {
    throw new Error(`scale_comparison (paper): no *.safetensors weights in ${p}; ${get}`);
  }
  if (cfg.baseline.enabled) {
    const url = `${cfg.baseline.base_url.replace(/\/+$/, "")}/models`;
    const serve = `start an OpenAI-compatible server for ${cfg.baseline.model_name} (e.g. ` +
      `\`vllm serve Qwen/Qwen2.5-72B-Instruct --served-model-name ${cfg.baseline.model_name}\`) ` +
      `and pass --baseline.base_url URL, or --no-baseline.enabled`;
    let ids: string[];
    try {
      ids = await servedModels(cfg.baseline.base_url, { apiKeyEnv: cfg.baseline.api_key_env });
    } catch (e) {
      throw new Error(`scale_comparison (paper): ${(e as Error).message}; ${serve}`);
    }
    if (ids.length > 0 && !ids.includes(cfg.baseline.model_name)) {
      throw new Error(
        `scale_comparison (paper): ${url} serves ${ids.join(", ")}, not ` +
          `${cfg.baseline.model_name}; pass --baseline.model_name NAME`,
      );
    }
  }
  if (cfg.model.backend === "webgpu") {
    const why = await webGpuUnavailableReason();
    if (why !== null) {
      throw new Error(`scale_comparison (paper): backend webgpu unavailable: ${why}`);
    }
  }
}

function _baselinePolicy(
  cfg: ScaleConfig,
  largePath: string,
  maxNewTokens: number,
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
    : loadPolicy({ kind: "lap", model: largePath, name: "lap:large-base", maxNewTokens });
}

async function main(): Promise<void> {
  const help = {
    usage: "deno run -A experiments/scale_comparison.ts [--setup cpu|paper]",
    description:
      "Train a small policy with MS-GRPO and compare it with a large untrained baseline.",
  };
  // The setup picks the options file (configs/scale_<setup>.yaml) the flags then override.
  const first = parseExperimentArgs(scaleSchema, Deno.args, help);
  if (first.help !== undefined) {
    console.log(first.help);
    return;
  }
  const setupFile = join(CONFIGS, `scale_${first.config!.setup}.yaml`);
  const args = parseExperimentArgs(scaleSchema, ["--config", setupFile, ...Deno.args], help);
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
    extra: { role: "trained", setup: cfg.setup },
  });
  console.error(`run directory: ${run.path} (backend ${backendDescription()})`);
  const t0 = performance.now();
  const style = cfg.env.render_style;
  let smallPath = cfg.model.path, largePath = "";
  const sizes: Record<string, number> = {};
  if (cfg.setup === "cpu") {
    const recipe = (
      shape: {
        hidden: number;
        layers: number;
        heads: number;
        kv_heads: number;
        intermediate: number;
      },
    ) => ({
      scenarios: cfg.train_scenarios,
      renderStyle: style,
      base: cfg.base,
      shape,
      seed: cfg.base_seed,
      backend: backendDescription(),
    });
    const where = (label: string) => ({
      cacheDir: cfg.cache_dir,
      fallbackDir: join(run.path, `base_${label}`),
      label,
    });
    const small = cfg.base.path
      ? { path: cfg.base.path, parameters: await _countParameters(cfg.base.path) }
      : await ensureBaseModel(recipe(cfg.base), where("small"));
    const large = cfg.large.path
      ? { path: cfg.large.path, parameters: await _countParameters(cfg.large.path) }
      : await ensureBaseModel(recipe(cfg.large), where("large"));
    smallPath = small.path;
    largePath = large.path;
    sizes.small_parameters = small.parameters;
    sizes.large_parameters = large.parameters;
    const ratio = large.parameters / small.parameters;
    if (ratio < cfg.min_ratio) {
      throw new Error(
        `scale_comparison (cpu): the large base has ${large.parameters} parameters, only ` +
          `${
            ratio.toFixed(2)
          }× the small base's ${small.parameters} (min_ratio ${cfg.min_ratio}); ` +
          `enlarge large.* or shrink base.*`,
      );
    }
    console.error(
      `bases: small ${small.parameters}, large ${large.parameters} parameters (${
        ratio.toFixed(1)
      }×)`,
    );
  }
  const maxNew = cfg.baseline.max_new_tokens ?? cfg.msgrpo.max_new_tokens;
  if (cfg.baseline.enabled && cfg.eval.scenarios.length > 0) {
    const { policy, ident } = await _baselinePolicy(cfg, largePath, maxNew);
    try {
      console.error(`baseline: evaluating ${ident.name}`);
      await evaluateBaseline(policy, run.path, {
        scenarios: [...cfg.eval.scenarios],
        temperature: cfg.eval.temperature,
        seed: cfg.seed,
        episodes: cfg.eval.episodes ?? undefined,
        maxNewTokens: maxNew,
        renderStyle: style,
        experiment,
        ident,
      });
    } finally {
      policy.dispose?.();
    }
  }
  console.error("MS-GRPO on the small model");
  const summary = await train({ ...cfg, model: { ...cfg.model, path: smallPath } }, {
    runDir: run.path,
    resume: args.resume,
    makeEnv: mixedEnvFactory(cfg.train_scenarios, style, cfg.env.format_penalty),
  });
  console.log(JSON.stringify({
    run_dir: run.path,
    setup: cfg.setup,
    seed: cfg.seed,
    iterations: summary.iterations,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    ...sizes,
    comparison: runComparison(run.path),
  }));
}

async function _countParameters(path: string): Promise<number> {
  return countParameters((await inspectCheckpoint(path)).config);
}

if (import.meta.main) await runMain(main);
