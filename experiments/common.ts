/**
 * Plumbing shared by the experiment scripts: small base models built once per recipe and cached
 * (so S seeds on one machine pre-train once), the mixed-scenario training environment, the
 * evaluation of a baseline policy into a run's `baseline/` directory, and the stdout summary.
 *
 * @module
 */
import { join } from "node:path";
import type { TextEnv } from "../lib/env/tsmg.ts";
import { createRunDir, readTable, writeJsonAtomic } from "../lib/log/mod.ts";
import type { Policy } from "../lib/policy/types.ts";
import type { BaseModelConfig } from "../lib/train/base_schema.ts";
import { buildBaseModel } from "../lib/train/base_model.ts";
import { MixedScenarioEnv } from "../lib/env/mixed.ts";
import { evaluateToRunDir } from "../tools/evaluate.ts";
import { comparisonTable } from "../lib/viz/compare.ts";
import type { EvalLike } from "../lib/viz/eval_summary.ts";

/** The shape of a Qwen2-architecture base model. */
export interface BaseShape {
  hidden: number;
  layers: number;
  heads: number;
  kv_heads: number;
  intermediate: number;
}

/** Everything that fixes a built base model (its cache key). */
export interface BaseRecipe {
  /** Scenarios whose scripted-play transcripts make the corpus. */
  scenarios: readonly string[];
  /** Prompt rendering. */
  renderStyle: "compact" | "verbose";
  /** Transcript, tokenizer and pre-training settings (`path` is ignored). */
  base: BaseModelConfig;
  /** Model shape (overrides the one in `base`). */
  shape: BaseShape;
  /** Seed of transcripts, initialisation and batches. */
  seed: number;
  /** Compute backend (results are deterministic per backend). */
  backend: string;
}

/** A base model ready to use. */
export interface BaseInfo {
  /** Checkpoint folder. */
  path: string;
  /** Parameter count. */
  parameters: number;
  /** Whether it came from the cache. */
  cached: boolean;
}

/**
 * The training environment factory: one scenario, or a seed-chosen mix of several.
 * @param scenarios scenario names.
 * @param renderStyle prompt rendering.
 * @param formatPenalty reward subtracted for an invalid answer.
 * @returns a factory of fresh environments.
 */
export function mixedEnvFactory(
  scenarios: readonly string[],
  renderStyle: "compact" | "verbose",
  formatPenalty: number,
): () => TextEnv {
  new MixedScenarioEnv(scenarios); // validate the names now
  return () => new MixedScenarioEnv(scenarios, { renderStyle, formatPenalty });
}

async function _hash(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(d)].slice(0, 6).map((b) => b.toString(16).padStart(2, "0")).join("");
}

function _exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Build a base model from a recipe, or reuse the one built before. With a cache folder the model
 * lives in `CACHE/base-<label>-<hash of the recipe>/` (built in a temporary folder and renamed, so
 * concurrent processes never see half a model); without one it is built into `fallbackDir`.
 *
 * @param recipe what fixes the model.
 * @param where `cacheDir` ("" = no cache), `fallbackDir`, a `label` for the folder name, `log`.
 * @returns the folder and parameter count.
 */
export async function ensureBaseModel(
  recipe: BaseRecipe,
  where: { cacheDir: string; fallbackDir: string; label: string; log?: (s: string) => void },
): Promise<BaseInfo> {
  const log = where.log ?? ((s: string) => console.error(s));
  const key = JSON.stringify({ ...recipe, base: { ...recipe.base, path: "" } });
  const dir = where.cacheDir
    ? join(where.cacheDir, `base-${where.label}-${await _hash(key)}`)
    : where.fallbackDir;
  const infoFile = join(dir, "recipe.json");
  if (_exists(infoFile)) {
    const info = JSON.parse(await Deno.readTextFile(infoFile));
    log(`base ${where.label}: reusing ${dir} (${info.parameters} parameters)`);
    return { path: dir, parameters: info.parameters, cached: true };
  }
  const tmp = where.cacheDir ? `${dir}.tmp-${Deno.pid}-${Date.now()}` : dir;
  await Deno.mkdir(tmp, { recursive: true });
  const t0 = performance.now();
  const b = recipe.base, s = recipe.shape;
  log(`base ${where.label}: building (${b.episodes} transcript episodes, ${b.steps} steps)`);
  const made = await buildBaseModel(tmp, {
    scenario: recipe.scenarios[0],
    makeEnv: () => new MixedScenarioEnv(recipe.scenarios, { renderStyle: recipe.renderStyle }),
    renderStyle: recipe.renderStyle,
    episodes: b.episodes,
    oracleFraction: b.oracle_fraction,
    hidden: s.hidden,
    layers: s.layers,
    heads: s.heads,
    kvHeads: s.kv_heads,
    intermediate: s.intermediate,
    merges: b.merges,
    steps: b.steps,
    batchSize: b.batch_size,
    lr: b.lr,
    seed: recipe.seed,
  });
  const seconds = (performance.now() - t0) / 1000;
  await writeJsonAtomic(join(tmp, "recipe.json"), { recipe: JSON.parse(key), ...made, seconds });
  if (tmp !== dir) {
    try {
      await Deno.rename(tmp, dir);
    } catch {
      await Deno.remove(tmp, { recursive: true }); // another process finished first
      const info = JSON.parse(await Deno.readTextFile(infoFile));
      return { path: dir, parameters: info.parameters, cached: true };
    }
  }
  log(
    `base ${where.label}: ${made.parameters} parameters, vocab ${made.vocab}, final loss ` +
      `${made.finalLoss.toFixed(4)}, ${seconds.toFixed(1)} s`,
  );
  return { path: dir, parameters: made.parameters, cached: false };
}

/** Settings of {@link evaluateBaseline}. */
export interface BaselineEvalOptions {
  scenarios: string[];
  temperature: number;
  seed: number;
  episodes?: number;
  maxNewTokens: number;
  renderStyle: "compact" | "verbose";
  /** Experiment name and what identifies the policy, for `meta.json`. */
  experiment: string;
  ident: Record<string, unknown>;
}

/**
 * Evaluate a baseline policy on the very episodes the trained policy is evaluated on, into
 * `RUN/baseline/` (its own `meta.json` with `role: "baseline"`, `eval.arrow`, `eval_usage.arrow`).
 * A finished baseline (`done.json`) is kept; an unfinished one is evaluated again from scratch.
 *
 * @param policy the baseline policy.
 * @param runDir the training run's directory.
 * @param opts scenarios, sampling and identity.
 * @returns the baseline directory.
 */
export async function evaluateBaseline(
  policy: Policy,
  runDir: string,
  opts: BaselineEvalOptions,
): Promise<string> {
  const dir = join(runDir, "baseline");
  if (_exists(join(dir, "done.json"))) return dir;
  if (_exists(dir)) await Deno.remove(dir, { recursive: true });
  const evalOpts = {
    scenarios: opts.scenarios,
    temperature: opts.temperature,
    seed: opts.seed,
    iteration: 0,
    episodes: opts.episodes,
    maxNewTokens: opts.maxNewTokens,
    renderStyle: opts.renderStyle,
  };
  await createRunDir({
    root: runDir,
    experiment: opts.experiment,
    seed: opts.seed,
    runDir: dir,
    config: { ...evalOpts, policy: opts.ident },
    extra: { role: "baseline", policy: opts.ident, evaluation: evalOpts },
  });
  const t0 = performance.now();
  const totals = await evaluateToRunDir(policy, dir, evalOpts);
  await writeJsonAtomic(join(dir, "done.json"), {
    ...totals,
    seconds: (performance.now() - t0) / 1000,
  });
  return dir;
}

function _evalRows(dir: string, run: string): EvalLike[] {
  const file = join(dir, "eval.arrow");
  if (!_exists(file) && !_exists(join(dir, "eval.parts"))) return [];
  return (readTable(file).objects() as Omit<EvalLike, "run">[]).map((r) => ({ ...r, run }));
}

/**
 * The comparison of one run (trained small policy vs its baseline) as plain JSON records.
 * @param runDir the run directory (with `baseline/` when a baseline was evaluated).
 * @returns per scenario: untrained, trained, baseline, optimum, relative improvement (success
 *   rate and mean return).
 */
export function runComparison(runDir: string): Record<string, unknown>[] {
  const trained = _evalRows(runDir, "run"), base = _evalRows(join(runDir, "baseline"), "baseline");
  const bySuccess = comparisonTable(trained, base, "success");
  const byReturn = comparisonTable(trained, base, "return");
  const r3 = (
    x: number | null | undefined,
  ) => (x === null || x === undefined ? null : Math.round(x * 1000) / 1000);
  return bySuccess.map((s, i) => ({
    scenario: s.scenario,
    untrained_success: r3(s.untrained?.mean),
    trained_success: r3(s.trained?.mean),
    baseline_success: r3(s.baseline?.mean),
    optimal_success: r3(s.optimum),
    untrained_return: r3(byReturn[i].untrained?.mean),
    trained_return: r3(byReturn[i].trained?.mean),
    baseline_return: r3(byReturn[i].baseline?.mean),
    relative_improvement_return: r3(byReturn[i].relativeImprovement),
  }));
}
