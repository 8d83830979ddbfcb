/**
 * The Language-Agent Policy (LAP): our Qwen2 model as a policy over domain actions. Each decision's
 * prompt is the chat-formatted instructions (system turn) and the *current state only* (user
 * turn) — no history — so context length stays flat however long an episode runs. The sampled
 * tokens and their temperature-1 log-probabilities are returned for the MS-GRPO update; the
 * environment turns the text into an action.
 *
 * @module
 */
import { generate, type GenerateOptions } from "../model/generate.ts";
import type { Qwen2Model } from "../model/qwen2.ts";
import type { Tokenizer } from "../model/tokenizer.ts";
import { findStop } from "./stop_strings.ts";
import type { ActOptions, Completion, Policy, PolicyInput } from "./types.ts";

/** Options of {@link LapPolicy}. */
export interface LapPolicyOptions {
  /** Name recorded in evaluation logs (default "lap"). */
  name?: string;
  /** Default cap on generated tokens per decision (default 64). */
  maxNewTokens?: number;
  /**
   * Stop strings (default none): a row ends at the token whose text completes one of them, that
   * token kept (it was sampled, so it is trained on), as a stop token is. E.g. `["</action>"]`
   * ends an answer at its closing tag, so no token after the answer is sampled or trained.
   */
  stop?: readonly string[];
}

/**
 * A policy that samples answers from a {@link Qwen2Model}.
 *
 * @example
 * ```ts ignore
 * // not run as a test: a fragment; model, tokenizer and env come from a checkpoint and a scenario
 * const policy = new LapPolicy(model, tokenizer);
 * const [c] = await policy.act([env.observe()], { temperature: 1, seed: 0 });
 * env.stepText([c.text]);
 * ```
 */
export class LapPolicy implements Policy {
  /** @inheritdoc */
  readonly name: string;
  readonly #maxNewTokens: number;
  readonly #stop: readonly string[];
  readonly #promptCache = new Map<string, number[]>();

  /**
   * @param model the language model (its weights may change between calls: training); when it
   *   has more embedding rows than the tokenizer has tokens, the extra ids are masked out of its
   *   head ({@link Qwen2Model.limitOutputs}), for sampling and scoring alike.
   * @param tokenizer the checkpoint's tokenizer and chat template.
   * @param opts name and default length cap.
   */
  constructor(
    readonly model: Qwen2Model,
    readonly tokenizer: Tokenizer,
    opts: LapPolicyOptions = {},
  ) {
    this.name = opts.name ?? "lap";
    this.#maxNewTokens = opts.maxNewTokens ?? 64;
    this.#stop = opts.stop ?? [];
    if (this.#stop.some((s) => typeof s !== "string" || s.length === 0)) {
      throw new Error(
        `LapPolicy: stop strings must be non-empty strings, got ${JSON.stringify(opts.stop)}`,
      );
    }
    // Embedding rows past the tokenizer's last token (padding rows) must never be sampled.
    if (tokenizer.vocabSize < model.outputVocab) model.limitOutputs(tokenizer.vocabSize);
  }

  /** Token ids of the chat prompt for one input (cached: prompts repeat across episodes). */
  promptIds(input: PolicyInput): number[] {
    const key = `${input.system}\u0000${input.user}`;
    let ids = this.#promptCache.get(key);
    if (ids === undefined) {
      ids = this.tokenizer.encodeChat([
        { role: "system", content: input.system },
        { role: "user", content: input.user },
      ], { addGenerationPrompt: true });
      if (this.#promptCache.size > 50_000) this.#promptCache.clear();
      this.#promptCache.set(key, ids);
    }
    return ids;
  }

  /** @inheritdoc */
  act(inputs: PolicyInput[], options: ActOptions): Promise<Completion[]> {
    return this.completeIds(inputs.map((input) => this.promptIds(input)), options);
  }

  /**
   * Generate completions for prompts already tokenized (e.g. by a server that batches requests).
   *
   * @param prompts prompt token ids, one row per completion.
   * @param options sampling settings; `rowSeeds` gives each row its own seed instead of
   *   deriving them from `seed`; `topLogprobs` and `onToken` as in `generate`.
   * @returns one completion per prompt, in order.
   */
  async completeIds(
    prompts: number[][],
    options:
      & ActOptions
      & { rowSeeds?: number[] }
      & Pick<GenerateOptions, "topLogprobs" | "onToken">,
  ): Promise<Completion[]> {
    if (prompts.length === 0) return [];
    const out = await generate(this.model, prompts, {
      maxNewTokens: options.maxNewTokens ?? this.#maxNewTokens,
      temperature: options.temperature,
      topP: options.topP,
      topK: options.topK,
      seed: options.seed,
      rowSeeds: options.rowSeeds,
      stopTokenIds: this.tokenizer.eosTokenIds,
      topLogprobs: options.topLogprobs,
      onToken: this.#stopAtStrings(prompts.length, options.onToken),
    });
    return prompts.map((promptIds, i) => ({
      text: this.tokenizer.decode(out.tokens[i], { skipSpecial: true }),
      promptIds,
      completionIds: out.tokens[i],
      logprobs: out.logprobs[i],
      topLogprobs: out.topLogprobs?.[i],
      finishReason: out.finishReason[i],
      usage: { promptTokens: promptIds.length, completionTokens: out.tokens[i].length },
    }));
  }

  /** The `onToken` hook of one `generate` call: ends a row at a stop string, then asks `inner`. */
  #stopAtStrings(
    rows: number,
    inner: GenerateOptions["onToken"],
  ): GenerateOptions["onToken"] {
    if (this.#stop.length === 0) return inner;
    const ids: number[][] = Array.from({ length: rows }, () => []);
    return (row, t) => {
      ids[row].push(t.token);
      // the whole row's text: a stop string may be split across tokens
      const text = this.tokenizer.decode(ids[row], { skipSpecial: true });
      return inner?.(row, t) === true || findStop(text, this.#stop) >= 0;
    };
  }

  /** @inheritdoc */
  dispose(): void {
    this.model.dispose();
  }
}
