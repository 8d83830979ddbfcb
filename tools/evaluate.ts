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
import { getScenario } from "../lib/env/scenarios.ts";
import { checkRenderStyle } from "../lib/env/tsmg.ts";
import { createRunDir, writeJsonAtomic } from "../lib/log/mod.ts";
import type { Policy } from "../lib/policy/types.ts";
import { type EvaluateRunOptions, evaluateToRunDir } from "../lib/rollout/evaluate_run.ts";
import { backendDescription, initBackend, parseBackendName } from "../lib/engine/mod.ts";
import { loadPolicy } from "../lib/policy/load.ts";
import { runMain } from "../lib/util/main.ts";

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
    return { ...(await loadPolicy({ kind })), backend: undefined };
  }
  if (kind === "lap") {
    if (!v.model) _usage("--policy lap needs --model DIR");
    let backend;
    try {
      backend = parseBackendName(v.backend);
    } catch (e) {
      _usage((e as Error).message);
    }
    await initBackend(backend);
    return {
      ...(await loadPolicy({ kind, model: v.model, maxNewTokens })),
      backend: backendDescription(),
    };
  }
  if (kind === "http") {
    if (!v["base-url"] || !v["model-name"]) {
      _usage("--policy http needs --base-url and --model-name");
    }
    const mode = (v.mode ?? "chat") as "chat" | "completions";
    if (mode !== "chat" && mode !== "completions") _usage(`--mode must be chat or completions`);
    const loaded = await loadPolicy({
      kind,
      baseUrl: v["base-url"],
      modelName: v["model-name"],
      mode,
      apiKeyEnv: v["api-key-env"],
      maxTokens: maxNewTokens,
      concurrency: _num("concurrency", v.concurrency, 16, true),
      timeoutMs: _num("timeout-s", v["timeout-s"], 120, false) * 1000,
      maxRetries: _num("retries", v.retries, 4, true),
      backoffMs: _num("backoff-ms", v["backoff-ms"], 500, false),
    });
    return { ...loaded, backend: undefined };
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
