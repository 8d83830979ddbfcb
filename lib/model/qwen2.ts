/**
 * The Qwen2 / Qwen2.5 decoder in TensorFlow.js, exactly as transformers' `modeling_qwen2.py`:
 * RMSNorm without offset, RoPE with `rotate_half`, grouped-query attention
 * with consecutive query-head groups, q/k/v biases, SwiGLU MLP, tied or untied LM head.
 * RMSNorm, RoPE, causal attention and SwiGLU are the engine's fused ops (single native kernels on
 * the fast backend, composite tfjs expressions elsewhere); activations stay in the projections'
 * `[B·T, heads·D]` layout throughout, so a layer has no transposes.
 *
 * Parameters are `tf.Variable`s keyed by their Hugging Face names. Linear weights are held
 * transposed (`[in, out]`) so every projection is a plain 2-D matmul; the embedding is held
 * `[H, V]` when tied (it doubles as the LM head) and `[V, H]` otherwise. {@link Qwen2Model.toWeights}
 * converts back to the HF `[out, in]` layout.
 *
 * Batches are rectangular `[B, T]` id arrays; rows may be left-padded (mask 0). RoPE positions
 * are counted per row over real tokens only and continue from a {@link KVCache}.
 *
 * Padding rows: a checkpoint may have more embedding rows than its tokenizer has tokens (Qwen2.5:
 * `vocab_size` 151,936, 151,665 tokens). {@link Qwen2Model.outputVocab} (set by
 * {@link Qwen2Model.load} from the folder's tokenizer, or by {@link Qwen2Model.limitOutputs})
 * is how many logits the LM head returns: ids at or above it have no token, so they are masked
 * out of every softmax — sampling never draws them and log-probs, entropies and losses are taken
 * over the tokens that exist.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Qwen2Config } from "./config.ts";
import { expectedTensorShapes, loadCheckpoint, type Weights } from "./checkpoint.ts";
import type { KVCache } from "./kv_cache.ts";
import { causalAttention } from "../engine/ops_attention.ts";
import { swiglu } from "../engine/ops_norm.ts";
import { embedLookup, linear, matMul, rmsNorm } from "./layers.ts";
import { applyRotary, ropeHalfTables } from "./rope.ts";
import { tokenizerSize } from "./tokenizer_size.ts";

/**
 * Additive attention bias of masked positions in the composite attention formulation (kept for
 * callers that build their own bias; the model itself passes a key mask to the fused attention).
 */
export const MASKED_BIAS = -1e9;

/** Options of {@link Qwen2Model.forward} and {@link Qwen2Model.hidden}. */
export interface ForwardOptions {
  /**
   * `[B][T]` for the ids of this call: 1 = real token, 0 = padding (left padding expected).
   * Default: all ones. Padding is never attended to and does not advance positions.
   */
  attentionMask?: number[][];
  /** Cache to read earlier positions from and extend with this call's keys/values. */
  cache?: KVCache;
}

/** A low-rank adapter on one linear module: `y += scale · (x A) B`, A `[in, r]`, B `[r, out]`. */
export interface LinearAdapter {
  /** Down-projection, `[in, r]` (PEFT's `lora_A.weight` transposed). */
  a: tf.Variable;
  /** Up-projection, `[r, out]` (PEFT's `lora_B.weight` transposed). */
  b: tf.Variable;
  /** `alpha / r` (or `alpha / sqrt(r)` for rsLoRA). */
  scale: number;
}

/** Options of {@link Qwen2Model.fromWeights}. */
export interface ModelOptions {
  /** Whether the base parameters are trainable (default true). */
  trainable?: boolean;
}

/** Options of {@link Qwen2Model.load}. */
export interface LoadOptions extends ModelOptions {
  /** Refuse models whose f32 size exceeds this many bytes. */
  maxBytes?: number;
  /**
   * Logits the head returns (see {@link Qwen2Model.outputVocab}); default: the token count of
   * the folder's `tokenizer.json` when it has fewer tokens than `vocab_size`, else `vocab_size`.
   */
  outputVocab?: number;
}

const _LINEAR = /\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)\.weight$/;

/**
 * A Qwen2 causal language model whose parameters live in tfjs variables.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs a checkpoint folder on disk
 * import { initBackend } from "../engine/backend.ts";
 * import { Qwen2Model } from "./qwen2.ts";
 * await initBackend("wasm");
 * const model = await Qwen2Model.load("path/to/checkpoint");
 * const logits = model.forward([[1, 2, 3]]); // [1, 3, vocab]
 * logits.dispose();
 * model.dispose();
 * ```
 */
export class Qwen2Model {
  /** The architecture. */
  readonly config: Qwen2Config;
  /** Every base parameter by HF name (internal layout, see the module doc). */
  readonly params: Map<string, tf.Variable>;
  /** LoRA adapters by module path (e.g. `model.layers.0.self_attn.q_proj`). */
  readonly adapters: Map<string, LinearAdapter> = new Map();
  #outputVocab: number;

  private constructor(config: Qwen2Config, params: Map<string, tf.Variable>) {
    this.config = config;
    this.params = params;
    this.#outputVocab = config.vocabSize;
  }

  /**
   * Number of logits the LM head returns: ids `[0, outputVocab)` can be produced, ids at or above
   * it (embedding rows without a token) are masked out of every softmax. Default `vocab_size`.
   */
  get outputVocab(): number {
    return this.#outputVocab;
  }

  /**
   * Mask the ids at or above `n` out of the head's logits (padding rows without a token).
   *
   * @param n number of ids that exist, in `[1, vocab_size]`.
   * @example
   * ```ts
   * import "@tensorflow/tfjs-backend-cpu";
   * import * as tf from "@tensorflow/tfjs-core";
   * import { parseConfig } from "./config.ts";
   * import { randomWeights } from "./make_model.ts";
   * import { Qwen2Model } from "./qwen2.ts";
   * const c = parseConfig({
   *   model_type: "qwen2", vocab_size: 12, hidden_size: 8, num_hidden_layers: 1,
   *   num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 16,
   * });
   * await tf.setBackend("cpu");
   * const m = Qwen2Model.fromWeights(c, randomWeights(c, { seed: 1 }));
   * m.limitOutputs(10);
   * const logits = m.forward([[1, 2]]);
   * console.log(logits.shape); // [1, 2, 10]
   * logits.dispose();
   * m.dispose();
   * ```
   */
  limitOutputs(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > this.config.vocabSize) {
      throw new Error(
        `Qwen2Model.limitOutputs: ${n} must be an integer in [1, ${this.config.vocabSize}]`,
      );
    }
    this.#outputVocab = n;
  }

  /**
   * Build a model from HF-named f32 weights in `[out, in]` layout (as `loadCheckpoint` returns).
   *
   * @param config the architecture.
   * @param weights every tensor the config implies; extra tensors are ignored.
   * @param opts `trainable` flag of the base parameters.
   * @returns the model (call {@link Qwen2Model.dispose} to free it).
   */
  static fromWeights(config: Qwen2Config, weights: Weights, opts: ModelOptions = {}): Qwen2Model {
    const trainable = opts.trainable ?? true;
    const params = new Map<string, tf.Variable>();
    try {
      for (const [name, shape] of expectedTensorShapes(config)) {
        const w = weights.get(name);
        if (!w) throw new Error(`Qwen2Model.fromWeights: missing tensor "${name}"`);
        const n = shape.reduce((a, d) => a * d, 1);
        if (
          w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i]) ||
          w.data.length !== n
        ) {
          throw new Error(
            `Qwen2Model.fromWeights: tensor "${name}" has shape ${
              JSON.stringify(w.shape)
            } (${w.data.length} values), config implies ${JSON.stringify(shape)}`,
          );
        }
        const transpose = _needsT(name, config);
        const t = tf.tidy(() => {
          const raw = tf.tensor(w.data, shape, "float32");
          return transpose ? tf.transpose(raw) : raw;
        });
        params.set(name, tf.variable(t, trainable));
        t.dispose();
      }
    } catch (e) {
      for (const v of params.values()) v.dispose();
      throw e;
    }
    return new Qwen2Model(config, params);
  }

  /**
   * Load a Hugging Face checkpoint folder (F32/BF16/F16 safetensors, single or sharded).
   *
   * When the folder's `tokenizer.json` has fewer tokens than `vocab_size`, the ids past its
   * last token are masked out of the head (see {@link Qwen2Model.outputVocab}).
   *
   * @param dir the folder.
   * @param opts `trainable` flag, `maxBytes` cap, `outputVocab` override.
   * @returns the model.
   */
  static async load(dir: string, opts: LoadOptions = {}): Promise<Qwen2Model> {
    const ck = await loadCheckpoint(dir, { maxBytes: opts.maxBytes });
    const n = opts.outputVocab ?? await tokenizerSize(dir);
    const model = Qwen2Model.fromWeights(ck.config, ck.weights, opts);
    if (n !== undefined && n < ck.config.vocabSize) model.limitOutputs(n);
    return model;
  }

  /** Every variable: base parameters, then adapter matrices. */
  variables(): tf.Variable[] {
    const out = [...this.params.values()];
    for (const a of this.adapters.values()) out.push(a.a, a.b);
    return out;
  }

  /** The variables with `trainable` set (pass these to `tf.variableGrads` and the optimiser). */
  trainableVariables(): tf.Variable[] {
    return this.variables().filter((v) => v.trainable);
  }

  /**
   * Set the `trainable` flag of base parameters by name.
   *
   * @param pred receives each HF name; true = trainable.
   */
  setTrainable(pred: (name: string) => boolean): void {
    for (const [name, v] of this.params) v.trainable = pred(name);
  }

  /** Number of base parameters (tied head counted once). */
  numParameters(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /**
   * The base weights in HF layout (`[out, in]`), f32, by HF name — ready for `saveCheckpoint`.
   * Adapters are not included (merge them first, or save them with `saveLora`).
   *
   * Reads asynchronously, so it works on backends without synchronous reads (WebGPU).
   *
   * @returns a new map of copies.
   */
  async toWeights(): Promise<Weights> {
    const out: Weights = new Map();
    const shapes = expectedTensorShapes(this.config);
    for (const [name, shape] of shapes) {
      const v = this.params.get(name)!;
      const t = _needsT(name, this.config) ? tf.transpose(v) : v;
      out.set(name, { shape: [...shape], data: new Float32Array(await t.data() as Float32Array) });
      if (t !== v) t.dispose();
    }
    return out;
  }

  /**
   * Final-normed hidden states `[B, T, H]` (before the LM head).
   *
   * @param ids `[B][T]` token ids (rectangular; pad with any valid id where the mask is 0).
   * @param opts attention mask and KV cache.
   * @returns hidden states; the caller disposes them.
   */
  hidden(ids: number[][], opts: ForwardOptions = {}): tf.Tensor3D {
    const c = this.config;
    const b = ids.length;
    if (b === 0) throw new Error("Qwen2Model.forward: empty batch");
    const t = ids[0].length;
    if (t === 0) throw new Error("Qwen2Model.forward: rows have no tokens");
    const flat = new Int32Array(b * t);
    for (let r = 0; r < b; r++) {
      if (ids[r].length !== t) {
        throw new Error(
          `Qwen2Model.forward: row ${r} has ${
            ids[r].length
          } ids, row 0 has ${t} (pad to a rectangle)`,
        );
      }
      for (let j = 0; j < t; j++) {
        const id = ids[r][j];
        if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) {
          throw new Error(
            `Qwen2Model.forward: token id ${id} at [${r}][${j}] is outside [0, ${c.vocabSize})`,
          );
        }
        flat[r * t + j] = id;
      }
    }
    const mask = opts.attentionMask ?? ids.map((row) => row.map(() => 1));
    if (mask.length !== b || mask.some((m) => m.length !== t)) {
      throw new Error(`Qwen2Model.forward: attentionMask must be [${b}][${t}] like the ids`);
    }
    const cache = opts.cache;
    if (cache && cache.batchSize !== 0 && cache.batchSize !== b) {
      throw new Error(`Qwen2Model.forward: cache holds ${cache.batchSize} rows, batch has ${b}`);
    }
    const s0 = cache?.length ?? 0, s = s0 + t;
    const startPos = cache && cache.batchSize === b ? cache.nextPos : new Array(b).fill(0);
    const pastMask = cache && cache.batchSize === b ? cache.keyMask : ids.map(() => [] as number[]);
    // Positions (per row, over real tokens only) and which keys are real tokens ([B, S]).
    const pos = new Float64Array(b * t);
    const nextPos: number[] = [];
    const keyMask: number[][] = [];
    let padded = false;
    for (let r = 0; r < b; r++) {
      let p = startPos[r];
      const km = pastMask[r].concat(mask[r].map((m) => (m ? 1 : 0)));
      keyMask.push(km);
      for (let j = 0; j < t; j++) {
        pos[r * t + j] = p;
        if (mask[r][j]) p++;
      }
      if (!padded && km.includes(0)) padded = true;
      nextPos.push(p);
    }
    const result = tf.tidy(() => {
      const d = c.headDim, n = b * t, qw = c.numHeads * d, kw = c.numKvHeads * d;
      const rope = ropeHalfTables(pos, d, c.ropeTheta);
      const attnOpts = {
        numHeads: c.numHeads,
        numKvHeads: c.numKvHeads,
        keyMask: padded ? tf.tensor2d(Float32Array.from(keyMask.flat()), [b, s]) : undefined,
      };
      const embed = this.params.get("model.embed_tokens.weight")! as tf.Tensor as tf.Tensor2D;
      let h = embedLookup(embed, tf.tensor1d(flat, "int32"), c.tieWordEmbeddings ? "HV" : "VH");
      for (let i = 0; i < c.numLayers; i++) {
        const p = `model.layers.${i}.`;
        const x = rmsNorm(h, this.#p(`${p}input_layernorm.weight`), c.rmsNormEps);
        const q = applyRotary(this.#linear(x, `${p}self_attn.q_proj`), rope);
        const k = applyRotary(this.#linear(x, `${p}self_attn.k_proj`), rope);
        const v = this.#linear(x, `${p}self_attn.v_proj`);
        const kNew = tf.reshape(k, [b, t, kw]) as tf.Tensor3D;
        const vNew = tf.reshape(v, [b, t, kw]) as tf.Tensor3D;
        const kv = cache ? cache.append(i, kNew, vNew) : { keys: kNew, values: vNew, length: t };
        const o = causalAttention(tf.reshape(q, [b, t, qw]), kv.keys, kv.values, {
          ...attnOpts,
          keyLength: kv.length,
        });
        h = tf.add(h, this.#linear(tf.reshape(o, [n, qw]), `${p}self_attn.o_proj`));
        const y = rmsNorm(h, this.#p(`${p}post_attention_layernorm.weight`), c.rmsNormEps);
        const g = this.#linear(y, `${p}mlp.gate_proj`);
        const u = this.#linear(y, `${p}mlp.up_proj`);
        h = tf.add(h, this.#linear(swiglu(g, u) as tf.Tensor2D, `${p}mlp.down_proj`));
      }
      const out = rmsNorm(h, this.#p("model.norm.weight"), c.rmsNormEps);
      return tf.reshape(out, [b, t, c.hiddenSize]) as tf.Tensor3D;
    });
    if (cache) {
      cache.keyMask = keyMask;
      cache.nextPos = nextPos;
    }
    return result;
  }

  /**
   * Apply the LM head to hidden states.
   *
   * @param h `[N, H]` final-normed hidden states (from {@link Qwen2Model.hidden}).
   * @returns `[N, V]` logits, `V` = {@link Qwen2Model.outputVocab} (padding rows dropped).
   */
  head(h: tf.Tensor2D): tf.Tensor2D {
    const w = this.config.tieWordEmbeddings
      ? this.params.get("model.embed_tokens.weight")!
      : this.params.get("lm_head.weight")!;
    const n = this.#outputVocab;
    if (n === this.config.vocabSize) return matMul(h, w as tf.Tensor as tf.Tensor2D);
    return tf.tidy(() => tf.slice(matMul(h, w as tf.Tensor as tf.Tensor2D), [0, 0], [-1, n]));
  }

  /**
   * The full forward pass: logits for every position.
   *
   * @param ids `[B][T]` token ids.
   * @param opts attention mask (left padding) and KV cache (positions continue from it).
   * @returns `[B, T, V]` logits (`V` = {@link Qwen2Model.outputVocab}); the caller disposes them.
   */
  forward(ids: number[][], opts: ForwardOptions = {}): tf.Tensor3D {
    const h = this.hidden(ids, opts);
    return tf.tidy(() => {
      const [b, t, hs] = h.shape;
      const logits = this.head(tf.reshape(h, [b * t, hs]));
      h.dispose();
      return tf.reshape(logits, [b, t, this.#outputVocab]) as tf.Tensor3D;
    });
  }

  /** Free every variable (base and adapters). */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    for (const a of this.adapters.values()) {
      a.a.dispose();
      a.b.dispose();
    }
    this.adapters.clear();
  }

  #p(name: string): tf.Tensor1D {
    const v = this.params.get(name);
    if (!v) throw new Error(`Qwen2Model: parameter "${name}" is missing`);
    return v as tf.Tensor as tf.Tensor1D;
  }

  #linear(x: tf.Tensor2D, module: string): tf.Tensor2D {
    const w = this.params.get(`${module}.weight`)! as tf.Tensor as tf.Tensor2D;
    const bias = this.params.get(`${module}.bias`) as tf.Tensor | undefined as
      | tf.Tensor1D
      | undefined;
    const y = linear(x, w, bias);
    const ad = this.adapters.get(module);
    if (!ad) return y;
    return tf.add(
      y,
      tf.mul(
        matMul(matMul(x, ad.a as tf.Tensor as tf.Tensor2D), ad.b as tf.Tensor as tf.Tensor2D),
        ad.scale,
      ),
    );
  }
}

function _needsT(name: string, c: Qwen2Config): boolean {
  return _LINEAR.test(name) || name === "lm_head.weight" ||
    (name === "model.embed_tokens.weight" && c.tieWordEmbeddings);
}
