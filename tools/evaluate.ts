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
import { c, type Infer, parseConfigArgs } from "../lib/config/mod.ts";
import { backendDescription, initBackend, parseBackendName } from "../lib/engine/mod.ts";
import { getScenario } from "../lib/env/scenarios.ts";
import { createRunDir, writeJsonAtomic } from "../lib/log/mod.ts";
import { loadPolicy, type PolicySpec } from "../lib/policy/load.ts";
import type { Policy } from "../lib/policy/types.ts";
import { type EvaluateRunOptions, evaluateToRunDir } from "../lib/rollout/evaluate_run.ts";
import { runMain, UsageError } from "../lib/util/main.ts";

const schema = c.object({
  policy: c.enum(["lap", "http", "random", "oracle"], { doc: "what to evaluate" }),
  model: c.string({ default: "", doc: "checkpoint folder (lap)" }),
  backend: c.string({ default: "auto", doc: "compute backend (lap)" }),
  "base-url": c.string({ default: "", doc: "server URL, e.g. http://localhost:8000/v1 (http)" }),
  "model-name": c.string({ default: "", doc: "the served model's name (http)" }),
  mode: c.enum(["chat", "completions"], { default: "chat", doc: "endpoint (http)" }),
  "api-key-env": c.string({
    default: "OPENAI_API_KEY",
    doc: "environment variable holding the API key (http)",
  }),
  concurrency: c.int({ default: 16, min: 1, doc: "requests in flight (http)" }),
  "timeout-s": c.float({ default: 120, gt: 0, doc: "seconds per request (http)" }),
  retries: c.int({ default: 4, min: 0, doc: "retries of a failed request (http)" }),
  "backoff-ms": c.float({ default: 500, min: 0, doc: "first retry delay (http)" }),
  scenarios: c.string({ minLength: 1, doc: "comma-separated scenario names" }),
  "run-dir": c.string({ default: "", doc: "run directory to create (default: under --root)" }),
  root: c.string({ default: "runs", doc: "folder of run directories" }),
  experiment: c.string({ default: "", doc: "experiment name (default eval-<policy>)" }),
  temperature: c.float({ default: 0.5, min: 0, doc: "sampling temperature (0 = greedy)" }),
  seed: c.int({ default: 0, doc: "sampling seed" }),
  episodes: c.int<true>({
    default: null,
    nullable: true,
    min: 1,
    doc: "evaluate the first N episodes of each scenario (null = all)",
  }),
  "max-new-tokens": c.int({ default: 64, min: 1, doc: "cap on generated tokens per decision" }),
  iteration: c.int({ default: 0, doc: "iteration written to the rows (0 = not trained here)" }),
  "render-style": c.enum(["verbose", "compact"], {
    default: null,
    nullable: true,
    doc: "prompt rendering (null = the scenario's default)",
  }),
});

type _Args = Infer<typeof schema>;

/** The policy the arguments describe. */
function _spec(a: _Args): PolicySpec {
  const maxNewTokens = a["max-new-tokens"];
  if (a.policy === "lap") {
    if (!a.model) throw new UsageError("--policy lap needs --model DIR");
    return { kind: "lap", model: a.model, maxNewTokens };
  }
  if (a.policy === "http") {
    if (!a["base-url"] || !a["model-name"]) {
      throw new UsageError("--policy http needs --base-url and --model-name");
    }
    return {
      kind: "http",
      baseUrl: a["base-url"],
      modelName: a["model-name"],
      mode: a.mode,
      apiKeyEnv: a["api-key-env"],
      maxTokens: maxNewTokens,
      concurrency: a.concurrency,
      timeoutMs: a["timeout-s"] * 1000,
      maxRetries: a.retries,
      backoffMs: a["backoff-ms"],
    };
  }
  return { kind: a.policy };
}

async function _main(): Promise<number> {
  const parsed = parseConfigArgs(schema, Deno.args.filter((a) => a !== "--"), {
    usage: "deno task evaluate -- --policy lap|http|random|oracle --scenarios A,B [flags]",
    description:
      "Evaluate a policy on named scenarios into a run directory (see tools/evaluate.ts).",
  });
  if (parsed.help !== undefined) {
    console.log(parsed.help);
    return 0;
  }
  const a = parsed.config;
  const scenarios = a.scenarios.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const s of scenarios) {
    try {
      getScenario(s);
    } catch (e) {
      throw new UsageError(`--scenarios: ${(e as Error).message}`);
    }
  }
  const opts: EvaluateRunOptions = {
    scenarios,
    temperature: a.temperature,
    seed: a.seed,
    iteration: a.iteration,
    episodes: a.episodes ?? undefined,
    maxNewTokens: a["max-new-tokens"],
  };
  if (a["render-style"] !== null) opts.renderStyle = a["render-style"];
  const runDir = a["run-dir"] || undefined;
  if (runDir !== undefined) {
    try {
      Deno.statSync(`${runDir}/meta.json`);
      throw new UsageError(
        `--run-dir ${runDir} already holds a run (meta.json); use a new directory`,
      );
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  const spec = _spec(a);
  let backend: string | undefined;
  if (spec.kind === "lap") {
    let name;
    try {
      name = parseBackendName(a.backend);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    await initBackend(name);
    backend = backendDescription();
  }
  const log = console.log;
  console.log = (...x: unknown[]) => console.error(...x); // stdout stays quiet
  let policy: Policy | undefined;
  try {
    const made = await loadPolicy(spec);
    policy = made.policy;
    const run = await createRunDir({
      root: a.root,
      experiment: a.experiment || `eval-${a.policy}`,
      seed: opts.seed,
      runDir,
      config: { ...opts, policy: made.ident },
      backend,
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
  } finally {
    policy?.dispose?.();
  }
  return 0;
}

if (import.meta.main) await runMain(_main, "evaluate");
