/**
 * Supervised pre-training of a small base model on rendered transcripts: next-token
 * cross-entropy on the answer tokens (and the closing stop token) given the chat prompt, so the
 * model learns the answer format — and whatever the transcripts' moves teach — before MS-GRPO.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { sequenceLogprobs } from "../model/logprob.ts";
import { AdamW, clipByGlobalNorm } from "../model/optim.ts";
import type { Qwen2Model } from "../model/qwen2.ts";
import type { Tokenizer } from "../model/tokenizer.ts";
import { Rng } from "../util/rng.ts";
import { pretrainSeed } from "../util/seeds.ts";
import type { TranscriptExample } from "./transcripts.ts";

/** Options of {@link pretrainOnTranscripts}. */
export interface PretrainOptions {
  /** Optimizer steps. */
  steps: number;
  /** Examples per step (drawn with replacement). */
  batchSize: number;
  /** AdamW learning rate (linear warm-up over the first 5% of steps, then constant). */
  lr: number;
  /** Seed of the example draws. */
  seed: number;
  /**
   * Called after every step with the step number (from 1), its loss and the tokens the step's
   * forward and backward pass went through (prompts and answers of the batch).
   */
  onStep?: (step: number, loss: number, tokens: number) => void;
}

/** A tokenized example: chat prompt ids and answer ids (ending with the stop token). */
export interface TokenizedExample {
  prompt: number[];
  answer: number[];
}

/**
 * Tokenize transcript examples for {@link pretrainOnTranscripts}.
 *
 * @param tokenizer the model's tokenizer.
 * @param examples rendered decisions.
 * @returns prompt and answer ids per example (the answer ends with the first eos id).
 */
export function tokenizeExamples(
  tokenizer: Tokenizer,
  examples: readonly TranscriptExample[],
): TokenizedExample[] {
  const stop = tokenizer.eosTokenIds[0];
  const cache = new Map<string, number[]>();
  return examples.map((e) => {
    const key = `${e.system}\u0000${e.user}`;
    let prompt = cache.get(key);
    if (!prompt) {
      prompt = tokenizer.encodeChat([{ role: "system", content: e.system }, {
        role: "user",
        content: e.user,
      }], {
        addGenerationPrompt: true,
      });
      cache.set(key, prompt);
    }
    return { prompt, answer: [...tokenizer.encode(e.answer), stop] };
  });
}

/**
 * Train `model` to continue each prompt with its answer.
 *
 * @param model the model (its trainable variables are updated in place).
 * @param examples tokenized examples.
 * @param opts steps, batch size, learning rate and seed.
 * @returns the mean loss of the last 10% of steps.
 */
export async function pretrainOnTranscripts(
  model: Qwen2Model,
  examples: readonly TokenizedExample[],
  opts: PretrainOptions,
): Promise<number> {
  if (examples.length === 0) throw new Error("pretrainOnTranscripts: no examples");
  const vars = model.trainableVariables();
  const optimizer = new AdamW(vars, { lr: opts.lr, weightDecay: 0 });
  const rng = new Rng(pretrainSeed(opts.seed));
  const warmup = Math.max(1, Math.floor(opts.steps * 0.05));
  const tail: number[] = [];
  try {
    for (let step = 1; step <= opts.steps; step++) {
      const batch = Array.from(
        { length: opts.batchSize },
        () => examples[rng.int(examples.length)],
      );
      optimizer.lr = opts.lr * Math.min(1, step / warmup);
      const { value, grads } = tf.variableGrads(() => {
        const s = sequenceLogprobs(model, batch.map((b) => b.prompt), batch.map((b) => b.answer));
        return tf.neg(tf.div(tf.sum(tf.mul(s.logprobs, s.mask)), tf.sum(s.mask))) as tf.Scalar;
      }, vars);
      const loss = (await value.data())[0];
      value.dispose();
      const { grads: clipped } = await clipByGlobalNorm(grads, 1);
      optimizer.step(vars, clipped);
      tf.dispose(Object.values(grads));
      tf.dispose(Object.values(clipped));
      if (step > opts.steps * 0.9) tail.push(loss);
      opts.onStep?.(step, loss, batch.reduce((n, b) => n + b.prompt.length + b.answer.length, 0));
    }
  } finally {
    optimizer.dispose();
  }
  return tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length);
}
