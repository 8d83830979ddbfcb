/**
 * One way to obtain a policy from a description: {@link loadPolicy} builds our model's
 * Language-Agent Policy from a checkpoint folder (model and tokenizer), a served model over HTTP,
 * or a scripted baseline, and says what it built in a JSON-ready `ident` (for `meta.json`). The
 * caller chooses the compute backend first (`initBackend`).
 *
 * @module
 */
import type { HttpPolicyOptions } from "./http.ts";
import type { HttpMode } from "./http_reply.ts";
import type { Policy } from "./types.ts";

/** What {@link loadPolicy} builds. */
export type PolicySpec =
  | { kind: "random" }
  | { kind: "oracle" }
  | {
    kind: "lap";
    /** Checkpoint folder (weights and tokenizer). */
    model: string;
    /** Policy name (default `lap:<folder name>`). */
    name?: string;
    /** Cap on generated tokens per decision. */
    maxNewTokens?: number;
  }
  | {
    kind: "http";
    /** Server URL, e.g. `http://localhost:8000/v1`. */
    baseUrl: string;
    /** The served model's name. */
    modelName: string;
    /** Endpoint (default `"chat"`). */
    mode?: HttpMode;
    /** Environment variable holding the API key (default `OPENAI_API_KEY`). */
    apiKeyEnv?: string;
    /** Cap on generated tokens per decision. */
    maxTokens?: number;
  } & Pick<HttpPolicyOptions, "concurrency" | "timeoutMs" | "maxRetries" | "backoffMs">;

/** A built policy and what identifies it. */
export interface LoadedPolicy {
  /** The policy (dispose it when done). */
  policy: Policy;
  /** Kind, name and source of the policy (a LAP's shape and parameter count), JSON-ready. */
  ident: Record<string, unknown>;
}

/**
 * Build the policy a spec describes.
 *
 * @param spec what to build.
 * @returns the policy and its identity.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadPolicy } from "./load.ts";
 * const { policy, ident } = await loadPolicy({ kind: "random" });
 * assert.deepEqual([policy.name, ident], ["random", { kind: "random", name: "random" }]);
 * ```
 */
export async function loadPolicy(spec: PolicySpec): Promise<LoadedPolicy> {
  if (spec.kind === "random" || spec.kind === "oracle") {
    const { OraclePolicy, RandomPolicy } = await import("./scripted.ts");
    const policy = spec.kind === "random" ? new RandomPolicy() : new OraclePolicy();
    return { policy, ident: { kind: spec.kind, name: spec.kind } };
  }
  if (spec.kind === "lap") {
    const { Qwen2Model } = await import("../model/qwen2.ts");
    const { Tokenizer } = await import("../model/tokenizer.ts");
    const { LapPolicy } = await import("./lap.ts");
    const [model, tok] = await Promise.all([
      Qwen2Model.load(spec.model, { trainable: false }),
      Tokenizer.load(spec.model),
    ]);
    const name = spec.name ?? `lap:${spec.model.replace(/\/+$/, "").split("/").pop()}`;
    const c = model.config;
    return {
      policy: new LapPolicy(model, tok, { name, maxNewTokens: spec.maxNewTokens }),
      ident: {
        kind: "lap",
        name,
        model: spec.model,
        vocab_size: c.vocabSize,
        hidden_size: c.hiddenSize,
        num_layers: c.numLayers,
        parameters: model.numParameters(),
      },
    };
  }
  if (spec.kind === "http") {
    const { HttpPolicy } = await import("./http.ts");
    const mode = spec.mode ?? "chat";
    const policy = new HttpPolicy({
      baseUrl: spec.baseUrl,
      model: spec.modelName,
      mode,
      apiKeyEnv: spec.apiKeyEnv,
      maxTokens: spec.maxTokens,
      concurrency: spec.concurrency,
      timeoutMs: spec.timeoutMs,
      maxRetries: spec.maxRetries,
      backoffMs: spec.backoffMs,
    });
    return {
      policy,
      ident: {
        kind: "http",
        name: policy.name,
        base_url: spec.baseUrl,
        model_name: spec.modelName,
        mode,
        api_key_env: spec.apiKeyEnv ?? "OPENAI_API_KEY",
      },
    };
  }
  throw new Error(
    `loadPolicy: unknown policy kind ${JSON.stringify((spec as { kind: unknown }).kind)}`,
  );
}
