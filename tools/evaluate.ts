/**
 * Evaluate any policy — our checkpoint, a served model, a scripted baseline — on named scenarios
 * and write the same Arrow `eval` table as training, so a served 72B and a trained 3B land in
 * tables that `readRunDirs` merges:
 *
 * ```
 * deno task evaluate -- --policy lap|http|random|oracle
 *   [--model DIR] [--backend NAME]                                    # lap
 *   [--base-url URL --model-name NAME] [--mode chat|completions]
 *   [--api-key-env OPENAI_API_KEY] [--concurrency 16] [--timeout-s 120] [--retries 4]   # http
 *   --scenarios FrozenLake-NoSlip,Snake-8 (--run-dir DIR | [--root runs] [--experiment NAME])
 *   [--temperature 0.5] [--seed 0] [--episodes N] [--max-new-tokens 64] [--iteration 0]
 *   [--render-style verbose|compact]
 * ```
 *
 * The run directory gets `meta.json` (with a `policy` entry identifying what was evaluated and an
 * `evaluation` entry with the settings; `usage` totals are added at the end), `eval.arrow` (one
 * row per episode, appended scenario by scenario, so an interrupted evaluation keeps the
 * scenarios it finished) and `eval_usage.arrow` (one row per scenario: policy calls, prompt and
 * completion tokens, seconds). `iteration` is 0 by default — "not trained here", as for the
 * untrained policy of a training run; pass `--iteration K` for a checkpoint trained K iterations.
 * Exit status: 0 on success, 1 on an error, 2 on a usage error.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { getScenario, type Scenario } from "../lib/env/scenarios.ts";
import { checkRenderStyle, type RenderStyle } from "../lib/env/tsmg.ts";
import { createRunDir, EVAL, EVAL_USAGE, TableWriter, writeJsonAtomic } from "../lib/log/mod.ts";
import type { Policy } from "../lib/policy/types.ts";
import { evaluateScenario } from "../lib/rollout/evaluate.ts";
import { runMain } from "../lib/util/main.ts";

/** Settings of {@link evaluateToRunDir}. */
export interface EvaluateRunOptions {
  /** Scenario names. */
  scenarios: string[];
  /** Sampling temperature. */
  temperature: number;
  /** Sampling seed. */
  seed: number;
  /** Iteration written to the rows. */
  iteration: number;
  /** Evaluate the first n episodes of each scenario only. */
  episodes?: number;
  /** Cap on generated tokens per decision. */
  maxNewTokens: number;
  /** Prompt rendering. */
  renderStyle?: RenderStyle;
  /** Progress lines (default stderr). */
  log?: (line: string) => void;
}

/** Totals of an evaluation. */
export interface EvaluateTotals {
  /** Episodes played. */
  episodes: number;
  /** Prompt tokens. */
  promptTokens: number;
  /** Completion tokens. */
  completionTokens: number;
  /** Seconds in the policy. */
  policySeconds: number;
}

/**
 * Evaluate `policy` on each scenario in turn, appending its rows to `DIR/eval.arrow` and its usage
 * to `DIR/eval_usage.arrow` as soon as the scenario is done.
 *
 * @param policy the policy.
 * @param dir the run directory.
 * @param opts scenarios and sampling.
 * @returns usage totals.
 */
export async function evaluateToRunDir(
  policy: Policy,
  dir: string,
  opts: EvaluateRunOptions,
): Promise<EvaluateTotals> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const scenarios: Scenario[] = opts.scenarios.map(getScenario);
  const evalW = TableWriter.open(dir, EVAL);
  const usageW = TableWriter.open(dir, EVAL_USAGE);
  const totals: EvaluateTotals = {
    episodes: 0,
    promptTokens: 0,
    completionTokens: 0,
    policySeconds: 0,
  };
  try {
    for (const sc of scenarios) {
      const t0 = performance.now();
      const { rows, stats } = await evaluateScenario(policy, sc, {
        iteration: opts.iteration,
        temperature: opts.temperature,
        seed: opts.seed,
        maxNewTokens: opts.maxNewTokens,
        renderStyle: opts.renderStyle,
        limit: opts.episodes,
      });
      const wall = (performance.now() - t0) / 1000;
      evalW.append(rows);
      usageW.append([{
        iteration: opts.iteration,
        scenario: sc.name,
        policy: policy.name,
        episodes: rows.length,
        policy_calls: stats.policyCalls,
        prompt_tokens: stats.promptTokens,
        completion_tokens: stats.completionTokens,
        policy_s: stats.policySeconds,
        wall_s: wall,
      }]);
      totals.episodes += rows.length;
      totals.promptTokens += stats.promptTokens;
      totals.completionTokens += stats.completionTokens;
      totals.policySeconds += stats.policySeconds;
      const mean = (f: (r: typeof rows[number]) => number) =>
        rows.reduce((s, r) => s + f(r), 0) / Math.max(1, rows.length);
      const opt = rows.every((r) => r.optimal_success !== null)
        ? ` (optimal ${mean((r) => r.optimal_success!).toFixed(2)})`
        : "";
      log(
        `${sc.name}: success ${mean((r) => Number(r.success)).toFixed(2)}${opt}, return ` +
          `${mean((r) => r.return).toFixed(3)}, valid ${mean((r) => r.valid_rate).toFixed(2)}, ` +
          `${rows.length} episodes, ${stats.promptTokens} prompt + ${stats.completionTokens} ` +
          `completion tokens, ${wall.toFixed(1)} s`,
      );
    }
  } finally {
    evalW.close();
    usageW.close();
  }
  return totals;
}

const _USAGE = "usage: deno task evaluate -- --policy lap|http|random|oracle " +
  "[--model DIR] [--base-url URL --model-name NAME] --scenarios A,B " +
  "(--run-dir DIR | --root runs [--experiment NAME]) [--temperature 0.5] [--seed 0] " +
  "[--episodes N] [--max-new-tokens 64] [--iteration 0] (see tools/evaluate.ts)";

function _usage(msg: string): never {
  console.error(`evaluate: ${msg}\n${_USAGE}`);
  Deno.exit(2);
}

function _num(name: string, v: string | undefined, dflt: number, integer: boolean): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (v.trim() === "" || !Number.isFinite(x) || (integer && !Number.isInteger(x))) {
    _usage(`--${name} must be ${integer ? "an integer" : "a number"}, got "${v}"`);
  }
  return x;
}

type _Values = Record<string, string | undefined>;

async function _policy(v: _Values, maxNewTokens: number) {
  const kind = v.policy;
  if (kind === "random" || kind === "oracle") {
    const { OraclePolicy, RandomPolicy } = await import("../lib/policy/scripted.ts");
    return {
      policy: kind === "random" ? new RandomPolicy() : new OraclePolicy(),
      ident: { kind, name: kind },
      backend: undefined,
    };
  }
  if (kind === "lap") {
    if (!v.model) _usage("--policy lap needs --model DIR");
    const { initBackend, parseBackendName, backendDescription } = await import(
      "../lib/engine/mod.ts"
    );
    const { Qwen2Model } = await import("../lib/model/qwen2.ts");
    const { Tokenizer } = await import("../lib/model/tokenizer.ts");
    const { LapPolicy } = await import("../lib/policy/lap.ts");
    let backend;
    try {
      backend = parseBackendName(v.backend);
    } catch (e) {
      _usage((e as Error).message);
    }
    await initBackend(backend);
    const [model, tok] = await Promise.all([
      Qwen2Model.load(v.model, { trainable: false }),
      Tokenizer.load(v.model),
    ]);
    const name = `lap:${v.model.replace(/\/+$/, "").split("/").pop()}`;
    const c = model.config;
    return {
      policy: new LapPolicy(model, tok, { name, maxNewTokens }),
      ident: {
        kind,
        name,
        model: v.model,
        vocab_size: c.vocabSize,
        hidden_size: c.hiddenSize,
        num_layers: c.numLayers,
      },
      backend: backendDescription(),
    };
  }
  if (kind === "http") {
    if (!v["base-url"] || !v["model-name"]) {
      _usage("--policy http needs --base-url and --model-name");
    }
    const { HttpPolicy } = await import("../lib/policy/http.ts");
    const mode = (v.mode ?? "chat") as "chat" | "completions";
    if (mode !== "chat" && mode !== "completions") _usage(`--mode must be chat or completions`);
    const policy = new HttpPolicy({
      baseUrl: v["base-url"],
      model: v["model-name"],
      mode,
      apiKeyEnv: v["api-key-env"],
      maxTokens: maxNewTokens,
      concurrency: _num("concurrency", v.concurrency, 16, true),
      timeoutMs: _num("timeout-s", v["timeout-s"], 120, false) * 1000,
      maxRetries: _num("retries", v.retries, 4, true),
      backoffMs: _num("backoff-ms", v["backoff-ms"], 500, false),
    });
    return {
      policy,
      ident: {
        kind,
        name: policy.name,
        base_url: v["base-url"],
        model_name: v["model-name"],
        mode,
        api_key_env: v["api-key-env"] ?? "OPENAI_API_KEY",
      },
      backend: undefined,
    };
  }
  return _usage(`--policy must be lap, http, random or oracle, got "${kind ?? ""}"`);
}

async function _main(): Promise<void> {
  const str = { type: "string" } as const;
  let values: _Values;
  try {
    values = parseArgs({
      args: Deno.args.filter((a) => a !== "--"),
      options: Object.fromEntries(
        [
          "policy",
          "model",
          "backend",
          "base-url",
          "model-name",
          "mode",
          "api-key-env",
          "concurrency",
          "timeout-s",
          "retries",
          "backoff-ms",
          "scenarios",
          "run-dir",
          "root",
          "experiment",
          "temperature",
          "seed",
          "episodes",
          "max-new-tokens",
          "iteration",
          "render-style",
        ].map((k) => [k, str]),
      ),
      strict: true,
    }).values as _Values;
  } catch (e) {
    _usage((e as Error).message);
  }
  if (!values.scenarios) _usage("--scenarios is required");
  const scenarios = values.scenarios.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const s of scenarios) {
    try {
      getScenario(s);
    } catch (e) {
      _usage(`--scenarios: ${(e as Error).message}`);
    }
  }
  const opts: EvaluateRunOptions = {
    scenarios,
    temperature: _num("temperature", values.temperature, 0.5, false),
    seed: _num("seed", values.seed, 0, true),
    iteration: _num("iteration", values.iteration, 0, true),
    episodes: values.episodes === undefined
      ? undefined
      : _num("episodes", values.episodes, 0, true),
    maxNewTokens: _num("max-new-tokens", values["max-new-tokens"], 64, true),
  };
  if (opts.temperature < 0) _usage(`--temperature must be ≥ 0, got ${opts.temperature}`);
  if (opts.episodes !== undefined && opts.episodes < 1) _usage("--episodes must be ≥ 1");
  if (opts.maxNewTokens < 1) _usage("--max-new-tokens must be ≥ 1");
  if (values["render-style"] !== undefined) {
    try {
      opts.renderStyle = checkRenderStyle(values["render-style"], "--render-style");
    } catch (e) {
      _usage((e as Error).message);
    }
  }
  if (values["run-dir"] !== undefined) {
    try {
      Deno.statSync(`${values["run-dir"]}/meta.json`);
      _usage(`--run-dir ${values["run-dir"]} already holds a run (meta.json); use a new directory`);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  const log = console.log;
  console.log = (...a: unknown[]) => console.error(...a); // stdout stays quiet
  let policy: Policy | undefined;
  try {
    const made = await _policy(values, opts.maxNewTokens);
    policy = made.policy;
    const run = await createRunDir({
      root: values.root ?? "runs",
      experiment: values.experiment ?? `eval-${values.policy}`,
      seed: opts.seed,
      runDir: values["run-dir"],
      config: { ...opts, policy: made.ident },
      backend: made.backend,
      extra: { policy: made.ident, evaluation: { ...opts } },
    });
    console.error(`evaluate: ${made.ident.name} → ${run.path}`);
    const totals = await evaluateToRunDir(policy, run.path, opts);
    await writeJsonAtomic(`${run.path}/meta.json`, {
      ...run.meta,
      usage: {
        episodes: totals.episodes,
        prompt_tokens: totals.promptTokens,
        completion_tokens: totals.completionTokens,
        policy_s: totals.policySeconds,
      },
    });
    log(run.path);
  } catch (e) {
    console.error(`evaluate: ${(e as Error).message}`);
    Deno.exit(1);
  } finally {
    policy?.dispose?.();
  }
}

if (import.meta.main) await runMain(_main, "evaluate");
