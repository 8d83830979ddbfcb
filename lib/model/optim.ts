/**
 * Training primitives: the AdamW optimiser (decoupled weight decay, bias correction, exactly as
 * `torch.optim.AdamW`; one in-place native pass per variable on the fast backend, through the
 * engine's `adamwUpdate`) with a state that serialises to `Float32Array`s for checkpoint/resume, and
 * gradient clipping by global norm (as `torch.nn.utils.clip_grad_norm_`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { adamwUpdate } from "../engine/adamw.ts";

/** Hyper-parameters of {@link AdamW}. */
export interface AdamWOptions {
  /** Learning rate (mutable later through `AdamW.lr`). */
  lr: number;
  /** First-moment decay (default 0.9). */
  beta1?: number;
  /** Second-moment decay (default 0.999). */
  beta2?: number;
  /** Denominator epsilon (default 1e-8). */
  eps?: number;
  /** Decoupled weight decay (default 0.01). */
  weightDecay?: number;
  /** Which variables get weight decay (default: all); e.g. skip biases and norms. */
  decay?: (v: tf.Variable, index: number) => boolean;
}

/** Serialisable optimiser state (moments in the order of the variables given to the constructor). */
export interface AdamWState {
  /** Updates applied so far. */
  step: number;
  /** First moments. */
  m: Float32Array[];
  /** Second moments. */
  v: Float32Array[];
}

/**
 * A device-side copy of an optimiser's parameters and moments (from {@link AdamW.snapshot}):
 * {@link AdamW.restore} puts it back, e.g. to undo a step. Free it with `dispose`.
 */
export interface AdamWSnapshot {
  /** Updates applied when the copy was taken. */
  readonly step: number;
  /** Parameters, moments m and v (copy-free clones: an in-place update copies first). */
  readonly params: readonly tf.Tensor[];
  readonly m: readonly tf.Tensor[];
  readonly v: readonly tf.Tensor[];
  /** Free the copies. */
  dispose(): void;
}

/**
 * AdamW over a fixed list of variables.
 *
 * Update for each parameter p with gradient g at step t (1-based):
 * `p ← p·(1 − lr·wd)`, `m ← β1 m + (1−β1) g`, `v ← β2 v + (1−β2) g²`,
 * `p ← p − (lr / (1−β1^t)) · m / (sqrt(v) / sqrt(1−β2^t) + eps)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-cpu";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { AdamW } from "./optim.ts";
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.scalar(1));
 * const opt = new AdamW([w], { lr: 0.1, weightDecay: 0 });
 * opt.apply([tf.scalar(2)]);
 * assert.deepEqual(w.dataSync()[0].toFixed(4), "0.9000");
 * ```
 */
export class AdamW {
  /** Learning rate used by the next {@link AdamW.apply} (set it for schedules). */
  lr: number;
  /** Updates applied so far (t of the bias correction). */
  iterations = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly vars: tf.Variable[];
  #decay: boolean[];
  #m: tf.Variable[];
  #v: tf.Variable[];

  /**
   * @param vars the parameters to update (order defines the state layout).
   * @param opts hyper-parameters.
   */
  constructor(vars: tf.Variable[], opts: AdamWOptions) {
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    for (
      const [k, x] of Object.entries({ lr: this.lr, eps: this.eps, weightDecay: this.weightDecay })
    ) {
      if (!(x >= 0) || !Number.isFinite(x)) {
        throw new Error(`AdamW: ${k} must be a finite number ≥ 0, got ${x}`);
      }
    }
    for (const [k, x] of Object.entries({ beta1: this.beta1, beta2: this.beta2 })) {
      if (!(x >= 0 && x < 1)) throw new Error(`AdamW: ${k} must be in [0, 1), got ${x}`);
    }
    this.vars = [...vars];
    this.#decay = this.vars.map((v, i) => (opts.decay ? opts.decay(v, i) : true));
    this.#m = this.vars.map((v) => tf.variable(tf.zerosLike(v), false));
    this.#v = this.vars.map((v) => tf.variable(tf.zerosLike(v), false));
  }

  /**
   * Apply one update.
   *
   * @param grads gradients in variable order, or a map by variable name (as from
   *   `tf.variableGrads`); a missing gradient leaves that variable (and its moments) untouched.
   *   The gradients are not disposed.
   */
  apply(grads: (tf.Tensor | undefined)[] | tf.NamedTensorMap): void {
    const list = Array.isArray(grads) ? grads : this.vars.map((v) => grads[v.name]);
    if (list.length !== this.vars.length) {
      throw new Error(`AdamW.apply: ${list.length} gradients for ${this.vars.length} variables`);
    }
    this.vars.forEach((p, i) => {
      const g = list[i];
      if (g && g.shape.join() !== p.shape.join()) {
        throw new Error(
          `AdamW.apply: gradient ${i} has shape [${g.shape}], variable has [${p.shape}]`,
        );
      }
    });
    this.iterations++;
    const t = this.iterations;
    this.vars.forEach((p, i) => {
      const g = list[i];
      if (!g) return;
      adamwUpdate(p, g, this.#m[i], this.#v[i], t, {
        lr: this.lr,
        beta1: this.beta1,
        beta2: this.beta2,
        eps: this.eps,
        weightDecay: this.#decay[i] ? this.weightDecay : 0,
      });
    });
  }

  /**
   * Apply one update, checking that `vars` are this optimiser's variables in the same order
   * (a convenience for call sites that hold the variable list).
   *
   * @param vars the variables given to the constructor.
   * @param grads as for {@link AdamW.apply}.
   */
  step(vars: tf.Variable[], grads: (tf.Tensor | undefined)[] | tf.NamedTensorMap): void {
    if (vars.length !== this.vars.length || vars.some((v, i) => v !== this.vars[i])) {
      throw new Error(
        `AdamW.step: got ${vars.length} variables that are not the optimiser's ${this.vars.length} (same variables, same order)`,
      );
    }
    this.apply(grads);
  }

  /** @returns a copy of the state (moments read back to the CPU, asynchronously). */
  async getState(): Promise<AdamWState> {
    const read = (xs: tf.Variable[]) =>
      Promise.all(xs.map(async (x) => new Float32Array(await x.data() as Float32Array)));
    return { step: this.iterations, m: await read(this.#m), v: await read(this.#v) };
  }

  /**
   * Restore a state from {@link AdamW.getState} (same variables, same order).
   *
   * @param s the state.
   */
  setState(s: AdamWState): void {
    if (s.m.length !== this.vars.length || s.v.length !== this.vars.length) {
      throw new Error(
        `AdamW.setState: state has ${s.m.length} moments, optimiser has ${this.vars.length} variables`,
      );
    }
    this.vars.forEach((p, i) => {
      for (const [k, arr] of [["m", s.m[i]], ["v", s.v[i]]] as const) {
        if (arr.length !== p.size) {
          throw new Error(
            `AdamW.setState: ${k}[${i}] has ${arr.length} values, variable has ${p.size}`,
          );
        }
      }
      tf.tidy(() => {
        this.#m[i].assign(tf.tensor(s.m[i], p.shape));
        this.#v[i].assign(tf.tensor(s.v[i], p.shape));
      });
    });
    this.iterations = s.step;
  }

  /**
   * Copy the parameters and moments (cheap: clones share buffers until the next update, which
   * gives a shared parameter its own copy first).
   *
   * @returns the copy; pass it to {@link AdamW.restore} to undo the updates since.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import "@tensorflow/tfjs-backend-cpu";
   * import * as tf from "@tensorflow/tfjs-core";
   * import { AdamW } from "./optim.ts";
   * await tf.setBackend("cpu");
   * const w = tf.variable(tf.scalar(1));
   * const opt = new AdamW([w], { lr: 0.1, weightDecay: 0 });
   * const before = opt.snapshot();
   * opt.apply([tf.scalar(2)]);
   * opt.restore(before);
   * before.dispose();
   * assert.deepEqual([w.dataSync()[0], opt.iterations], [1, 0]);
   * ```
   */
  snapshot(): AdamWSnapshot {
    const params = this.vars.map((x) => tf.clone(x));
    const m = this.#m.map((x) => tf.clone(x));
    const v = this.#v.map((x) => tf.clone(x));
    return {
      step: this.iterations,
      params,
      m,
      v,
      dispose: () => tf.dispose([...params, ...m, ...v]),
    };
  }

  /**
   * Put back a {@link AdamW.snapshot} of this optimiser (its parameters, moments and step).
   *
   * @param s the snapshot (still owned by the caller).
   */
  restore(s: AdamWSnapshot): void {
    const n = this.vars.length;
    if (s.params.length !== n || s.m.length !== n || s.v.length !== n) {
      throw new Error(
        `AdamW.restore: snapshot has ${s.params.length} parameters, optimiser has ${n} variables`,
      );
    }
    this.vars.forEach((p, i) => {
      if (s.params[i].shape.join() !== p.shape.join()) {
        throw new Error(
          `AdamW.restore: parameter ${i} has shape [${
            s.params[i].shape
          }], variable has [${p.shape}]`,
        );
      }
      p.assign(s.params[i]);
      this.#m[i].assign(s.m[i]);
      this.#v[i].assign(s.v[i]);
    });
    this.iterations = s.step;
  }

  /** Free the moment tensors. */
  dispose(): void {
    for (const x of [...this.#m, ...this.#v]) x.dispose();
  }
}

/**
 * Scale gradients so that their global L2 norm is at most `maxNorm`
 * (factor `min(1, maxNorm / (norm + 1e-6))`, as PyTorch).
 *
 * @param grads gradients (array or name map); not disposed.
 * @param maxNorm the cap (> 0).
 * @returns new gradient tensors in the same structure, and the norm before clipping.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-cpu";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { clipByGlobalNorm } from "./optim.ts";
 * await tf.setBackend("cpu");
 * const { grads, norm } = await clipByGlobalNorm([tf.tensor1d([3, 4])], 1);
 * assert.deepEqual([norm, grads[0].dataSync()[0].toFixed(3)], [5, "0.600"]);
 * ```
 */
export async function clipByGlobalNorm<G extends tf.Tensor[] | tf.NamedTensorMap>(
  grads: G,
  maxNorm: number,
): Promise<{ grads: G; norm: number }> {
  if (!(maxNorm > 0)) throw new Error(`clipByGlobalNorm: maxNorm must be > 0, got ${maxNorm}`);
  const list = Array.isArray(grads) ? grads : Object.values(grads);
  let norm = 0;
  if (list.length > 0) {
    const t = tf.tidy(() => tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g))))));
    norm = (await t.data())[0];
    t.dispose();
  }
  const scale = Math.min(1, maxNorm / (norm + 1e-6));
  const f = (g: tf.Tensor) => tf.mul(g, scale);
  const out = Array.isArray(grads)
    ? grads.map(f)
    : Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, f(g)]));
  return { grads: out as G, norm };
}
