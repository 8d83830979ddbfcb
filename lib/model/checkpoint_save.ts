/**
 * Writing Hugging Face Qwen2 checkpoint folders: `config.json`, `generation_config.json`, and
 * `model.safetensors` or shards with `model.safetensors.index.json`, plus tokenizer files.
 *
 * @module
 */
import { join } from "node:path";
import { type Qwen2Config, toHfConfig } from "./config.ts";
import { DTYPE_SIZE, writeSafetensors } from "./safetensors.ts";
import {
  expectedTensorShapes,
  INDEX_FILE,
  pathExists,
  sameShape,
  SINGLE_FILE,
  TOKENIZER_FILES,
  type Weights,
} from "./checkpoint_layout.ts";

/** Options of {@link saveCheckpoint}. */
export interface SaveOptions {
  /** Storage dtype (default "F32"; "BF16" rounds to nearest even). */
  dtype?: "F32" | "BF16";
  /** Split into shards of at most about this many bytes (with `model.safetensors.index.json`). */
  shardBytes?: number;
  /** Folder to copy tokenizer files from ({@link TOKENIZER_FILES}). */
  tokenizerFrom?: string;
  /** Write `config.json` in the "classic" (default) or "new" form. */
  configForm?: "classic" | "new";
  /** Contents of `generation_config.json` (default: bos/eos from the config). */
  generationConfig?: Record<string, unknown>;
}

async function _writeTextAtomic(path: string, text: string) {
  const tmp = `${path}.tmp-${Deno.pid}-${Date.now().toString(36)}`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

/**
 * Write a checkpoint folder in the Hugging Face layout: `config.json`, `generation_config.json`,
 * and `model.safetensors` or shards `model-0000i-of-0000n.safetensors` plus the index.
 *
 * @param dir destination folder (created).
 * @param config the configuration; weights must match {@link expectedTensorShapes}.
 * @param weights tensors by HF name.
 * @param opts dtype, sharding, tokenizer source and config form.
 */
export async function saveCheckpoint(
  dir: string,
  config: Qwen2Config,
  weights: Weights,
  opts: SaveOptions = {},
): Promise<void> {
  const dtype = opts.dtype ?? "F32";
  if (dtype !== "F32" && dtype !== "BF16") {
    throw new Error(`saveCheckpoint: unsupported dtype ${dtype}`);
  }
  const expected = expectedTensorShapes(config);
  const ordered: Weights = new Map();
  for (const [name, shape] of expected) {
    const t = weights.get(name);
    if (!t) throw new Error(`saveCheckpoint(${dir}): weights lack tensor "${name}"`);
    if (!sameShape(t.shape, shape) || t.data.length !== shape.reduce((a, d) => a * d, 1)) {
      throw new Error(
        `saveCheckpoint(${dir}): tensor "${name}" has shape ${
          JSON.stringify(t.shape)
        } (${t.data.length} values), config implies ${JSON.stringify(shape)}`,
      );
    }
    ordered.set(name, t);
  }
  for (const name of weights.keys()) {
    if (!expected.has(name) && !(name === "lm_head.weight" && config.tieWordEmbeddings)) {
      throw new Error(`saveCheckpoint(${dir}): unexpected tensor "${name}" for this config`);
    }
  }
  await Deno.mkdir(dir, { recursive: true });
  const torchDtype = dtype === "BF16" ? "bfloat16" : "float32";
  const hf = toHfConfig({ ...config, torchDtype }, opts.configForm ?? "classic");
  await _writeTextAtomic(join(dir, "config.json"), JSON.stringify(hf, null, 2) + "\n");
  const gen = opts.generationConfig ?? {
    ...(config.bosTokenId !== undefined ? { bos_token_id: config.bosTokenId } : {}),
    ...(config.eosTokenIds.length
      ? {
        eos_token_id: config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : config.eosTokenIds,
      }
      : {}),
  };
  await _writeTextAtomic(join(dir, "generation_config.json"), JSON.stringify(gen, null, 2) + "\n");

  const item = DTYPE_SIZE[dtype];
  const shards: Weights[] = [new Map()];
  let cur = 0, total = 0;
  for (const [name, t] of ordered) {
    const nb = t.data.length * item;
    total += nb;
    if (opts.shardBytes !== undefined && cur > 0 && cur + nb > opts.shardBytes) {
      shards.push(new Map());
      cur = 0;
    }
    shards[shards.length - 1].set(name, t);
    cur += nb;
  }
  const single = join(dir, SINGLE_FILE), index = join(dir, INDEX_FILE);
  if (shards.length === 1) {
    await writeSafetensors(single, shards[0], { dtype });
    await Deno.remove(index).catch(() => {});
  } else {
    const n = shards.length, pad = (i: number) => String(i).padStart(5, "0");
    const weightMap: Record<string, string> = {};
    for (let i = 0; i < n; i++) {
      const file = `model-${pad(i + 1)}-of-${pad(n)}.safetensors`;
      await writeSafetensors(join(dir, file), shards[i], { dtype });
      for (const name of shards[i].keys()) weightMap[name] = file;
    }
    const idx = { metadata: { total_size: total }, weight_map: weightMap };
    await _writeTextAtomic(index, JSON.stringify(idx, null, 2) + "\n");
    await Deno.remove(single).catch(() => {});
  }
  if (opts.tokenizerFrom !== undefined) {
    let copied = 0;
    for (const f of TOKENIZER_FILES) {
      const src = join(opts.tokenizerFrom, f);
      if (await pathExists(src)) {
        if (src !== join(dir, f)) await Deno.copyFile(src, join(dir, f));
        copied++;
      }
    }
    if (copied === 0) {
      throw new Error(`saveCheckpoint: ${opts.tokenizerFrom} holds no tokenizer files`);
    }
  }
}
