/**
 * LoRA adapters for {@link Qwen2Model}: `W x + (alpha/r) · B A x` on chosen linear modules, with
 * A seeded (PEFT's default Kaiming-uniform, bound `1/sqrt(in)`), B zero (so a fresh adapter leaves
 * the model unchanged), the base frozen, and saving/loading in the PEFT layout
 * (`adapter_config.json` + `adapter_model.safetensors` with names
 * `base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight` `[r, in]` and
 * `….lora_B.weight` `[out, r]`). {@link mergeLora} folds adapters into the base weights.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { deriveSeed, Rng } from "../util/rng.ts";
import type { Qwen2Model } from "./qwen2.ts";
import {
  readSafetensorsHeader,
  readTensor,
  type TensorData,
  writeSafetensors,
} from "./safetensors.ts";

/** Linear modules an adapter can target. */
export const LORA_TARGETS = [
  "q_proj",
  "k_proj",
  "v_proj",
  "o_proj",
  "gate_proj",
  "up_proj",
  "down_proj",
] as const;

/** One of {@link LORA_TARGETS}. */
export type LoraTarget = typeof LORA_TARGETS[number];

/** Options of {@link attachLora}. */
export interface LoraOptions {
  /** Rank r (≥ 1). */
  r: number;
  /** Scaling numerator: the update is scaled by `alpha / r` (`alpha / sqrt(r)` with rsLoRA). */
  alpha: number;
  /** Modules to adapt in every layer (default q/k/v/o projections). */
  targetModules?: LoraTarget[];
  /** Seed of the A initialisation. */
  seed: number;
  /** Use rank-stabilised scaling `alpha / sqrt(r)` (default false). */
  useRslora?: boolean;
}

/** File names of the PEFT adapter layout. */
export const ADAPTER_CONFIG_FILE = "adapter_config.json";
/** Tensor file of the PEFT adapter layout. */
export const ADAPTER_WEIGHTS_FILE = "adapter_model.safetensors";

const _PREFIX = "base_model.model.";

function _modulePath(layer: number, target: LoraTarget): string {
  const part = ["gate_proj", "up_proj", "down_proj"].includes(target) ? "mlp" : "self_attn";
  return `model.layers.${layer}.${part}.${target}`;
}

function _scale(o: { r: number; alpha: number; useRslora?: boolean }): number {
  return o.useRslora ? o.alpha / Math.sqrt(o.r) : o.alpha / o.r;
}

/** Settings of the adapters currently on a model (kept for saving). */
const _settings = new WeakMap<Qwen2Model, Required<Omit<LoraOptions, "seed">>>();

function _validate(o: LoraOptions): Required<Omit<LoraOptions, "seed">> {
  if (!Number.isInteger(o.r) || o.r < 1) {
    throw new Error(`LoRA: r must be an integer ≥ 1, got ${o.r}`);
  }
  if (!(o.alpha > 0)) throw new Error(`LoRA: alpha must be > 0, got ${o.alpha}`);
  const targets = o.targetModules ?? ["q_proj", "k_proj", "v_proj", "o_proj"];
  for (const t of targets) {
    if (!(LORA_TARGETS as readonly string[]).includes(t)) {
      throw new Error(
        `LoRA: unknown target module "${t}" (expected one of ${LORA_TARGETS.join(", ")})`,
      );
    }
  }
  return { r: o.r, alpha: o.alpha, targetModules: [...targets], useRslora: o.useRslora ?? false };
}

/**
 * Add fresh adapters to a model and freeze its base parameters (afterwards
 * `model.trainableVariables()` returns only the adapter matrices).
 *
 * @param model the model (must have no adapters yet).
 * @param opts rank, alpha, target modules, seed.
 * @example
 * ```ts ignore
 * // not run as a test: a fragment; `model` is a loaded Qwen2Model
 * attachLora(model, { r: 8, alpha: 16, seed: 0, targetModules: ["q_proj", "v_proj"] });
 * const opt = new AdamW(model.trainableVariables(), { lr: 1e-4 });
 * ```
 */
export function attachLora(model: Qwen2Model, opts: LoraOptions): void {
  if (model.adapters.size > 0) throw new Error("attachLora: the model already has adapters");
  const s = _validate(opts);
  const c = model.config;
  for (let l = 0; l < c.numLayers; l++) {
    s.targetModules.forEach((target) => {
      const path = _modulePath(l, target);
      const w = model.params.get(`${path}.weight`)!;
      const [inn, out] = w.shape;
      const rng = new Rng(deriveSeed(opts.seed, l, LORA_TARGETS.indexOf(target)));
      const bound = 1 / Math.sqrt(inn);
      const a = Float32Array.from({ length: inn * s.r }, () => (2 * rng.float() - 1) * bound);
      model.adapters.set(path, {
        a: tf.variable(tf.tensor2d(a, [inn, s.r]), true),
        b: tf.variable(tf.zeros([s.r, out]), true),
        scale: _scale(s),
      });
    });
  }
  _settings.set(model, s);
  model.setTrainable(() => false);
}

/**
 * Fold every adapter into its base weight (`W += scale · A B`) and remove the adapters.
 * Base trainability is left as it is.
 *
 * @param model the model.
 */
export function mergeLora(model: Qwen2Model): void {
  for (const [path, ad] of model.adapters) {
    const w = model.params.get(`${path}.weight`)!;
    tf.tidy(() => w.assign(tf.add(w, tf.mul(tf.matMul(ad.a, ad.b), ad.scale))));
    ad.a.dispose();
    ad.b.dispose();
  }
  model.adapters.clear();
  _settings.delete(model);
}

/**
 * Remove every adapter without merging and make the base trainable again.
 *
 * @param model the model.
 */
export function detachLora(model: Qwen2Model): void {
  for (const ad of model.adapters.values()) {
    ad.a.dispose();
    ad.b.dispose();
  }
  model.adapters.clear();
  _settings.delete(model);
  model.setTrainable(() => true);
}

/**
 * Save the model's adapters in the PEFT layout.
 *
 * @param model a model with adapters from {@link attachLora} or {@link loadLora}.
 * @param dir destination folder (created).
 * @param opts `baseModel` recorded as `base_model_name_or_path`.
 */
export async function saveLora(
  model: Qwen2Model,
  dir: string,
  opts: { baseModel?: string } = {},
): Promise<void> {
  const s = _settings.get(model);
  if (!s || model.adapters.size === 0) throw new Error("saveLora: the model has no adapters");
  await Deno.mkdir(dir, { recursive: true });
  const tensors = new Map<string, TensorData>();
  for (const [path, ad] of model.adapters) {
    for (const [k, v] of [["lora_A", ad.a], ["lora_B", ad.b]] as const) {
      const t = tf.transpose(v);
      tensors.set(`${_PREFIX}${path}.${k}.weight`, {
        shape: [...t.shape],
        data: new Float32Array(await t.data() as Float32Array),
      });
      t.dispose();
    }
  }
  const cfg = {
    peft_type: "LORA",
    task_type: "CAUSAL_LM",
    base_model_name_or_path: opts.baseModel ?? null,
    r: s.r,
    lora_alpha: s.alpha,
    lora_dropout: 0.0,
    target_modules: s.targetModules,
    bias: "none",
    fan_in_fan_out: false,
    use_rslora: s.useRslora,
    init_lora_weights: true,
    inference_mode: true,
    modules_to_save: null,
    layers_to_transform: null,
  };
  await writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), tensors);
  await Deno.writeTextFile(join(dir, ADAPTER_CONFIG_FILE), JSON.stringify(cfg, null, 2) + "\n");
}

/**
 * Load PEFT adapters onto a model (replacing none: the model must have no adapters) and freeze
 * the base.
 *
 * @param model the base model the adapters were trained on.
 * @param dir folder with `adapter_config.json` and `adapter_model.safetensors`.
 */
export async function loadLora(model: Qwen2Model, dir: string): Promise<void> {
  if (model.adapters.size > 0) throw new Error("loadLora: the model already has adapters");
  const cfgPath = join(dir, ADAPTER_CONFIG_FILE);
  const raw = JSON.parse(await Deno.readTextFile(cfgPath));
  if (raw.peft_type !== undefined && raw.peft_type !== "LORA") {
    throw new Error(`${cfgPath}: peft_type is ${JSON.stringify(raw.peft_type)}, expected "LORA"`);
  }
  if (raw.fan_in_fan_out) throw new Error(`${cfgPath}: fan_in_fan_out=true is not supported`);
  if (raw.bias !== undefined && raw.bias !== "none") {
    throw new Error(`${cfgPath}: bias=${JSON.stringify(raw.bias)} is not supported`);
  }
  if (!Array.isArray(raw.target_modules)) {
    throw new Error(
      `${cfgPath}: target_modules must be a list of module names, got ${
        JSON.stringify(raw.target_modules)
      }`,
    );
  }
  const s = _validate({
    r: raw.r,
    alpha: raw.lora_alpha,
    targetModules: raw.target_modules,
    useRslora: raw.use_rslora,
    seed: 0,
  });
  const wPath = join(dir, ADAPTER_WEIGHTS_FILE);
  const header = await readSafetensorsHeader(wPath);
  const expected = new Map<string, number[]>();
  for (let l = 0; l < model.config.numLayers; l++) {
    for (const target of s.targetModules) {
      const path = _modulePath(l, target);
      const [inn, out] = model.params.get(`${path}.weight`)!.shape;
      expected.set(`${_PREFIX}${path}.lora_A.weight`, [s.r, inn]);
      expected.set(`${_PREFIX}${path}.lora_B.weight`, [out, s.r]);
    }
  }
  for (const name of header.entries.keys()) {
    if (!expected.has(name)) {
      throw new Error(`${wPath}: unexpected tensor "${name}" for this model and adapter_config`);
    }
  }
  const data = new Map<string, Float32Array>();
  for (const [name, shape] of expected) {
    const e = header.entries.get(name);
    if (!e) throw new Error(`${wPath}: missing tensor "${name}"`);
    if (e.shape.join() !== shape.join()) {
      throw new Error(
        `${wPath}: tensor "${name}" has shape ${JSON.stringify(e.shape)}, expected ${
          JSON.stringify(shape)
        }`,
      );
    }
    data.set(name, await readTensor(e));
  }
  for (let l = 0; l < model.config.numLayers; l++) {
    for (const target of s.targetModules) {
      const path = _modulePath(l, target);
      const a = data.get(`${_PREFIX}${path}.lora_A.weight`)!,
        b = data.get(`${_PREFIX}${path}.lora_B.weight`)!;
      const [ra, inn] = expected.get(`${_PREFIX}${path}.lora_A.weight`)!;
      const [out] = expected.get(`${_PREFIX}${path}.lora_B.weight`)!;
      const av = tf.tidy(() => tf.variable(tf.transpose(tf.tensor2d(a, [ra, inn])), true));
      const bv = tf.tidy(() => tf.variable(tf.transpose(tf.tensor2d(b, [out, ra])), true));
      model.adapters.set(path, { a: av, b: bv, scale: _scale(s) });
    }
  }
  _settings.set(model, s);
  model.setTrainable(() => false);
}
