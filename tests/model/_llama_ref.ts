/**
 * llama.cpp (through `node-llama-cpp`'s prebuilt CPU binary) as an independent reference:
 * tokenization and full next-token distributions of a GGUF model.
 *
 * @module
 */

import {
  type ControlledEvaluateInputItem,
  getLlama,
  type Llama,
  type LlamaContext,
  LlamaLogLevel,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";

/** A loaded GGUF model in llama.cpp. */
export interface LlamaRef {
  /** The llama.cpp model (for metadata such as `tokens.bos`). */
  model: LlamaModel;
  /**
   * Tokenize like llama.cpp (`llama_tokenize` without BOS).
   *
   * @param text the text
   * @param special whether special-token strings such as `<|im_end|>` become their ids
   */
  tokenize(text: string, special: boolean): number[];
  /**
   * Detokenize like llama.cpp.
   *
   * @param ids token ids
   * @param special whether special tokens are rendered as their text
   */
  detokenize(ids: number[], special: boolean): string;
  /**
   * Evaluate a token sequence from an empty cache and return, for every position, the full
   * softmax distribution of the next token (temperature 1, no sampling filters).
   */
  nextTokenProbs(ids: number[]): Promise<Float32Array[]>;
  /**
   * Evaluate a token sequence from an empty cache and return, for every position, only the most
   * likely next token and its probability (much cheaper than {@link LlamaRef.nextTokenProbs}).
   */
  nextTokenTop(ids: number[]): Promise<{ token: number; prob: number }[]>;
  /** Free the context, the model and the llama.cpp instance. */
  dispose(): Promise<void>;
}

let _llama: Promise<Llama> | undefined;

function _getLlama(): Promise<Llama> {
  // CPU only and never build: the prebuilt binary is the reference, whatever the host has.
  _llama ??= getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  return _llama;
}

/**
 * Why llama.cpp cannot be used here, or `undefined` when it can.
 *
 * @returns a printable reason, or undefined
 */
export async function llamaCppUnavailable(): Promise<string | undefined> {
  try {
    await _getLlama();
    return undefined;
  } catch (e) {
    _llama = undefined;
    return `node-llama-cpp could not load its prebuilt llama.cpp binary: ${(e as Error).message}`;
  }
}

/** Options of {@link openLlamaRef}. */
export interface OpenLlamaRefOptions {
  /** Load only the vocabulary (for tokenizer checks; no context is created). */
  vocabOnly?: boolean;
  /** Longest sequence {@link LlamaRef.nextTokenProbs} accepts (default 256). */
  contextSize?: number;
}

/**
 * Load a GGUF file in llama.cpp.
 *
 * The context keeps its KV cache in F32 and runs without flash attention, so the reference is
 * computed in F32 throughout (llama.cpp's default F16 cache alone moves probabilities by ~5e-3
 * on peaky synthetic models).
 *
 * @param ggufPath the model file
 * @param opts vocabulary-only loading, context size
 * @returns the loaded reference; call `dispose()` when done
 */
export async function openLlamaRef(
  ggufPath: string,
  opts: OpenLlamaRefOptions = {},
): Promise<LlamaRef> {
  const llama = await _getLlama();
  const model = await llama.loadModel({
    modelPath: ggufPath,
    gpuLayers: 0,
    vocabOnly: opts.vocabOnly ?? false,
  });
  const contextSize = opts.contextSize ?? 256;
  let context: LlamaContext | undefined;
  if (!opts.vocabOnly) {
    context = await model.createContext({
      contextSize,
      batchSize: contextSize,
      sequences: 1,
      threads: 2,
      flashAttention: false,
      experimentalKvCacheKeyType: "F32",
      experimentalKvCacheValueType: "F32",
    });
  }
  const evaluate = async (ids: number[], generateNext: Record<string, boolean>) => {
    if (!context) throw new Error(`${ggufPath}: loaded vocabulary-only, cannot evaluate`);
    if (ids.length > contextSize) {
      throw new Error(`${ids.length} tokens exceed the llama.cpp context of ${contextSize}`);
    }
    const seq = context.getSequence();
    try {
      const input = ids.map((t) =>
        [t as unknown as Token, { generateNext }] as ControlledEvaluateInputItem
      );
      return await seq.controlledEvaluate(input);
    } finally {
      seq.dispose();
    }
  };
  return {
    model,
    tokenize: (text, special) => [...model.tokenize(text, special)].map(Number),
    detokenize: (ids, special) => model.detokenize(ids as unknown as Token[], special),
    async nextTokenProbs(ids) {
      const out = await evaluate(ids, { probabilities: true });
      return out.map((o, i) => {
        const probs = o?.next.probabilities;
        if (!probs) throw new Error(`nextTokenProbs: llama.cpp returned no probabilities at ${i}`);
        // llama.cpp returns every token id once (the whole vocabulary, sorted by probability).
        const dense = new Float32Array(probs.size);
        for (const [tok, p] of probs) dense[tok as number] = p;
        return dense;
      });
    },
    async nextTokenTop(ids) {
      // Temperature 0 selects the greedy sampler: `token` is the argmax of the raw logits.
      const out = await evaluate(ids, { token: true, confidence: true });
      return out.map((o, i) => {
        const token = o?.next.token, prob = o?.next.confidence;
        if (token == null || prob == null) {
          throw new Error(`nextTokenTop: llama.cpp returned no token at ${i}`);
        }
        return { token: Number(token), prob };
      });
    },
    async dispose() {
      await context?.dispose();
      await model.dispose();
    },
  };
}

/** Dispose the shared llama.cpp instance (call once, after every {@link LlamaRef} is disposed). */
export async function disposeLlamaCpp(): Promise<void> {
  if (!_llama) return;
  const l = await _llama.catch(() => undefined);
  _llama = undefined;
  await l?.dispose();
}
