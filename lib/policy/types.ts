/**
 * The one interface every policy implements — the Language-Agent Policy over our model, scripted
 * policies and policies served over HTTP — so rollouts and evaluation treat them alike.
 *
 * @module
 */
import type { TextEnv } from "../env/tsmg.ts";

/** One decision to make: the rendered prompt of a language agent (and, for scripted policies, its env). */
export interface PolicyInput {
  /** Instructions (the chat system turn). */
  system: string;
  /** The current state (the chat user turn): never a history of earlier turns. */
  user: string;
  /** The environment the prompt was rendered from; only scripted policies look at it. */
  env?: TextEnv;
  /** Which language agent of `env` acts (default 0). */
  agent?: number;
}

/** Sampling settings for one batch of decisions. */
export interface ActOptions {
  /** Sampling temperature; 0 = greedy. */
  temperature: number;
  /** Seed of this call; row i samples from a stream derived from (seed, i). */
  seed: number;
  /** Cap on generated tokens per completion. */
  maxNewTokens?: number;
  /** Nucleus sampling mass (1 = off). */
  topP?: number;
  /** Keep only the k most likely tokens (0 = off). */
  topK?: number;
}

/** What a policy answered for one {@link PolicyInput}. */
export interface Completion {
  /** The generated text (what the environment parses). */
  text: string;
  /** Prompt token ids, when the policy has a tokenizer. */
  promptIds?: number[];
  /** Generated token ids; a stop token that ended generation is included (it is trained on). */
  completionIds?: number[];
  /** log π(token) at temperature 1 for each generated token, when available. */
  logprobs?: number[];
  /** Per generated token, the most likely alternatives (id, log π at temperature 1), when asked for. */
  topLogprobs?: { token: number; logprob: number }[][];
  /** Why generation ended. */
  finishReason: "stop" | "length" | "scripted";
  /** Token usage (0 for scripted policies). */
  usage: { promptTokens: number; completionTokens: number };
}

/** A policy maps a batch of prompts to a batch of completions. */
export interface Policy {
  /** Human-readable name, logged with every evaluation. */
  readonly name: string;
  /** Answer every input; the result has one completion per input, in order. */
  act(inputs: PolicyInput[], options: ActOptions): Promise<Completion[]>;
  /** Release resources (model tensors, sockets). */
  dispose?(): void;
}
