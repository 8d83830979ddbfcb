/**
 * Adapters from the toolkit's policies to the server's {@link ServedPolicy}:
 *
 * - {@link servedLap}: a `LapPolicy` batched across requests — all rows of a batch go through one
 *   `generate` call, row i sampling from `Rng(rowSeeds[i])`; chat messages go through the
 *   checkpoint's chat template, raw prompts are encoded as they are.
 * - {@link servedPolicy}: any other `Policy`. Its `act` draws row i from `(seed, i)`, so a
 *   request can only have its own stream when it is alone in the call: each request is one
 *   `act([input], { seed })` call (no batching across requests). A chat request must be one
 *   system (optional) and one user message; a raw prompt becomes the user turn.
 *
 * @module
 */
import { LapPolicy } from "../policy/lap.ts";
import type { Completion, Policy, PolicyInput } from "../policy/types.ts";
import type { RowOptions, ServedPolicy, ServeInput } from "./types.ts";

/**
 * Serve a {@link LapPolicy} with cross-request batching.
 *
 * @param lap the policy (its model and tokenizer are used directly).
 * @returns the served policy.
 */
export function servedLap(lap: LapPolicy): ServedPolicy {
  const tok = lap.tokenizer;
  const vocab = Math.min(tok.vocabSize, lap.model.config.vocabSize);
  const maxPos = lap.model.config.maxPositionEmbeddings;
  const encoded = new WeakMap<ServeInput, number[]>(); // check() encodes, actRows() reuses
  const encode = (x: ServeInput): number[] => {
    if ("promptIds" in x) return x.promptIds;
    if ("prompt" in x) return tok.encode(x.prompt);
    const m = x.messages;
    if (m.length === 2 && m[0].role === "system" && m[1].role === "user") {
      return lap.promptIds({ system: m[0].content, user: m[1].content }); // cached across requests
    }
    return tok.encodeChat(m, { addGenerationPrompt: true });
  };
  const ids = (x: ServeInput): number[] => {
    let out = encoded.get(x);
    if (out === undefined) encoded.set(x, out = encode(x));
    return out;
  };
  return {
    name: lap.name,
    check(x: ServeInput, o: RowOptions): string | undefined {
      if ("promptIds" in x) {
        const bad = x.promptIds.find((id) => id >= vocab);
        if (bad !== undefined) return `prompt token id ${bad} is outside the vocabulary (${vocab})`;
      }
      let n: number;
      try {
        n = ids(x).length;
      } catch (e) {
        return (e as Error).message;
      }
      if (n === 0) return "the prompt is empty";
      if (n + o.maxNewTokens > maxPos) {
        return `prompt (${n} tokens) + max_tokens (${o.maxNewTokens}) exceed the model's ` +
          `context (${maxPos})`;
      }
      return undefined;
    },
    actRows: (inputs, o, rowSeeds, hooks): Promise<Completion[]> =>
      lap.completeIds(inputs.map(ids), {
        ...o,
        seed: 0,
        rowSeeds,
        onToken: hooks && ((row, t) => hooks[row]?.onToken?.(t)),
      }),
    tokenText: (id: number) => id < tok.vocabSize ? tok.decode([id]) : `token_id:${id}`,
    decode: (ids: number[]) => tok.decode(ids, { skipSpecial: true }),
    dispose: () => lap.dispose(),
  };
}

function _policyInput(x: ServeInput): PolicyInput | string {
  if ("promptIds" in x) return "this policy takes text prompts, not token ids";
  if ("prompt" in x) return { system: "", user: x.prompt };
  const m = x.messages;
  const sys = m.length === 2 ? m[0] : undefined;
  const user = m[m.length - 1];
  if (m.length > 2 || (sys !== undefined && sys.role !== "system") || user?.role !== "user") {
    return "this policy takes one optional system message followed by one user message";
  }
  return { system: sys?.content ?? "", user: user.content };
}

/**
 * Serve any {@link Policy}: one `act([input], { seed })` call per request.
 *
 * @param policy the policy.
 * @returns the served policy.
 */
export function servedPolicy(policy: Policy): ServedPolicy {
  return {
    name: policy.name,
    check: (x) => {
      const r = _policyInput(x);
      return typeof r === "string" ? r : undefined;
    },
    actRows: (inputs, o, rowSeeds) =>
      Promise.all(inputs.map(async (x, i) => {
        const input = _policyInput(x);
        if (typeof input === "string") throw new Error(input);
        const [c] = await policy.act([input], { ...o, seed: rowSeeds[i] });
        return c;
      })),
    dispose: () => policy.dispose?.(),
  };
}

/** Whether a value is already a {@link ServedPolicy}. */
export function isServedPolicy(p: unknown): p is ServedPolicy {
  return typeof p === "object" && p !== null &&
    typeof (p as { actRows?: unknown }).actRows === "function";
}

/**
 * The best adapter for a policy: {@link servedLap} for a `LapPolicy`, the value itself for a
 * {@link ServedPolicy}, {@link servedPolicy} otherwise.
 */
export function toServed(p: Policy | ServedPolicy): ServedPolicy {
  if (isServedPolicy(p)) return p;
  if (p instanceof LapPolicy) return servedLap(p);
  return servedPolicy(p);
}
