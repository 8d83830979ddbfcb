/**
 * Loading and saving Hugging Face Qwen2 checkpoint folders: `config.json`,
 * `generation_config.json`, and `model.safetensors` or shards listed in
 * `model.safetensors.index.json`. Tensors keep their HF names and `[out, in]` layout and are
 * held as f32.
 *
 * @module
 */
import { join } from "node:path";
import { parseConfig, type Qwen2Config } from "./config.ts";
import { DTYPE_SIZE, readSafetensorsHeader, readTensor, type TensorEntry } from "./safetensors.ts";
import {
  expectedTensorShapes,
  INDEX_FILE,
  pathExists,
  sameShape,
  SINGLE_FILE,
  type Weights,
} from "./checkpoint_layout.ts";

export {
  countParameters,
  expectedTensorShapes,
  INDEX_FILE,
  SINGLE_FILE,
  TOKENIZER_FILES,
  type Weights,
} from "./checkpoint_layout.ts";
export { saveCheckpoint, type SaveOptions } from "./checkpoint_save.ts";

/** A loaded checkpoint folder. */
export interface Checkpoint {
  /** The folder it was read from. */
  dir: string;
  /** Parsed `config.json` (its `eosTokenIds` also include those of `generation_config.json`). */
  config: Qwen2Config;
  /** Every tensor the config implies (`lm_head.weight` only when untied). */
  weights: Weights;
  /** Parsed `generation_config.json`, or `{}` when the folder has none. */
  generationConfig: Record<string, unknown>;
}

/** What {@link inspectCheckpoint} learns from the headers alone. */
export interface CheckpointInfo {
  /** The folder. */
  dir: string;
  /** Parsed `config.json` (eos ids merged with `generation_config.json`). */
  config: Qwen2Config;
  /** Parsed `generation_config.json`, or `{}`. */
  generationConfig: Record<string, unknown>;
  /** Where each expected tensor is stored (validated against the config). */
  entries: Map<string, TensorEntry>;
  /** Safetensors files holding the weights. */
  files: string[];
  /** Estimated peak bytes of loading: all tensors as f32 plus the largest raw read buffer. */
  bytesNeeded: number;
}

async function _readJson(path: string, optional: boolean): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      if (optional) return undefined;
      throw new Error(`${path}: file not found`);
    }
    throw new Error(`${path}: cannot read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: invalid JSON (${(e as Error).message})`);
  }
}

function _gib(b: number): string {
  return Number((b / 2 ** 30).toPrecision(3)).toString();
}

/** Collect every stored tensor of the folder, from the index's shards or the single file. */
async function _collectEntries(
  dir: string,
): Promise<{ all: Map<string, TensorEntry>; files: string[] }> {
  const indexPath = join(dir, INDEX_FILE);
  const all = new Map<string, TensorEntry>();
  if (await pathExists(indexPath)) {
    const idx = await _readJson(indexPath, false) as Record<string, unknown>;
    const wm = idx?.weight_map;
    if (typeof wm !== "object" || wm === null || Array.isArray(wm)) {
      throw new Error(`${indexPath}: missing "weight_map" object`);
    }
    const byFile = new Map<string, string[]>();
    for (const [name, file] of Object.entries(wm)) {
      if (typeof file !== "string" || file.includes("/") || file.includes("\\")) {
        throw new Error(
          `${indexPath}: weight_map["${name}"] is not a file name: ${JSON.stringify(file)}`,
        );
      }
      byFile.set(file, [...(byFile.get(file) ?? []), name]);
    }
    const files: string[] = [];
    for (const [file, names] of byFile) {
      const path = join(dir, file);
      const h = await readSafetensorsHeader(path);
      files.push(path);
      for (const name of names) {
        const e = h.entries.get(name);
        if (!e) {
          throw new Error(`${path}: tensor "${name}" listed in ${INDEX_FILE} is not in this file`);
        }
        all.set(name, e);
      }
    }
    return { all, files };
  }
  const single = join(dir, SINGLE_FILE);
  if (!(await pathExists(single))) {
    let listing: string[] = [];
    try {
      listing = [...Deno.readDirSync(dir)].map((d) => d.name).sort();
    } catch { /* reported below */ }
    const hint = listing.some((n) => n.endsWith(".bin"))
      ? " (PyTorch .bin weights are not supported; save them as safetensors)"
      : "";
    throw new Error(
      `${dir}: no ${SINGLE_FILE} or ${INDEX_FILE}${hint}; folder holds: ${
        listing.join(", ") || "nothing"
      }`,
    );
  }
  const h = await readSafetensorsHeader(single);
  return { all: h.entries, files: [single] };
}

/**
 * Read a checkpoint folder's config and safetensors headers, validate every tensor against the
 * config, and estimate the memory a full load needs, without reading any tensor data.
 *
 * @param dir the checkpoint folder.
 * @returns config, tensor locations and the memory estimate.
 */
export async function inspectCheckpoint(dir: string): Promise<CheckpointInfo> {
  const cfgPath = join(dir, "config.json");
  const config = parseConfig(await _readJson(cfgPath, false), cfgPath);
  const genPath = join(dir, "generation_config.json");
  const gen = (await _readJson(genPath, true) ?? {}) as Record<string, unknown>;
  if (typeof gen !== "object" || gen === null || Array.isArray(gen)) {
    throw new Error(`${genPath}: expected a JSON object`);
  }
  const genEos = gen.eos_token_id;
  for (const id of Array.isArray(genEos) ? genEos : genEos === undefined ? [] : [genEos]) {
    if (!Number.isInteger(id) || id < 0 || id >= config.vocabSize) {
      throw new Error(`${genPath}: eos_token_id ${JSON.stringify(genEos)} is not a valid token id`);
    }
    if (!config.eosTokenIds.includes(id)) config.eosTokenIds.push(id);
  }

  const { all, files } = await _collectEntries(dir);
  const expected = expectedTensorShapes(config);
  const entries = new Map<string, TensorEntry>();
  for (const [name, shape] of expected) {
    const e = all.get(name);
    if (!e) {
      throw new Error(
        `${dir}: tensor "${name}" (shape ${JSON.stringify(shape)}) is missing from ${
          files.map((f) => f.split("/").pop()).join(", ")
        }`,
      );
    }
    if (!sameShape(e.shape, shape)) {
      throw new Error(
        `${e.file}: tensor "${name}" has shape ${JSON.stringify(e.shape)} but ${cfgPath} implies ${
          JSON.stringify(shape)
        }`,
      );
    }
    entries.set(name, e);
  }
  for (const [name, e] of all) {
    if (expected.has(name)) continue;
    // A tied model may still store lm_head (transformers ignores it); RoPE buffers are derived.
    if (name === "lm_head.weight" && config.tieWordEmbeddings) continue;
    if (name.endsWith(".rotary_emb.inv_freq")) continue;
    throw new Error(
      `${e.file}: unexpected tensor "${name}" for a ${config.numLayers}-layer Qwen2 model (${
        config.tieWordEmbeddings ? "tied" : "untied"
      } embeddings)`,
    );
  }
  let bytesNeeded = 0, maxRaw = 0;
  for (const e of entries.values()) {
    const numel = e.shape.reduce((a, d) => a * d, 1);
    bytesNeeded += numel * 4;
    if (e.dtype !== "F32") maxRaw = Math.max(maxRaw, numel * DTYPE_SIZE[e.dtype]);
  }
  return { dir, config, generationConfig: gen, entries, files, bytesNeeded: bytesNeeded + maxRaw };
}

/**
 * Load a Hugging Face Qwen2 checkpoint folder into f32 weights.
 *
 * Validates the config, every tensor's presence and shape (naming the file and tensor on a
 * mismatch) and, when `opts.maxBytes` is given, the estimated memory, all before reading data.
 *
 * @param dir folder with `config.json` and `model.safetensors` (or a sharded index).
 * @param opts `maxBytes`: refuse with "model needs X GiB, limit Y GiB" when the estimate exceeds it.
 * @returns config, weights and generation config.
 * @example
 * ```ts ignore
 * // not run as a test: it needs a checkpoint folder on disk
 * import { loadCheckpoint } from "./checkpoint.ts";
 * const ck = await loadCheckpoint("runs/tiny", { maxBytes: 2 ** 30 });
 * console.log(ck.weights.get("model.norm.weight")?.shape);
 * ```
 */
export async function loadCheckpoint(
  dir: string,
  opts: { maxBytes?: number } = {},
): Promise<Checkpoint> {
  const info = await inspectCheckpoint(dir);
  if (opts.maxBytes !== undefined && info.bytesNeeded > opts.maxBytes) {
    throw new Error(
      `${dir}: model needs ${_gib(info.bytesNeeded)} GiB as f32, limit ${_gib(opts.maxBytes)} GiB`,
    );
  }
  const weights: Weights = new Map();
  for (const [name, e] of info.entries) {
    weights.set(name, { shape: [...e.shape], data: await readTensor(e) });
  }
  return { dir, config: info.config, weights, generationConfig: info.generationConfig };
}
