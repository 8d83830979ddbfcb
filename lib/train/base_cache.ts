/**
 * Small base models built once per recipe and cached: {@link ensureBaseModel} keys a folder by a
 * hash of everything that fixes the model (scenarios, rendering, transcript and pre-training
 * settings, shape, seed, backend), so S seeds of an experiment on one machine pre-train once, and
 * concurrent processes never see half a model (it is built in a temporary folder and renamed).
 *
 * @module
 */
import { join } from "node:path";
import { writeJsonAtomic } from "../log/atomic.ts";
import type { BaseModelConfig } from "./base_schema.ts";
import { baseModelOptions, buildBaseModel } from "./base_model.ts";
import { pathExists } from "../util/fs.ts";

/** The shape of a Qwen2-architecture base model. */
export interface BaseShape {
  hidden: number;
  layers: number;
  heads: number;
  kv_heads: number;
  intermediate: number;
}

/** Everything that fixes a built base model (its cache key). */
export interface BaseRecipe {
  /** Scenarios whose scripted-play transcripts make the corpus. */
  scenarios: readonly string[];
  /** Prompt rendering. */
  renderStyle: "compact" | "verbose";
  /** Transcript, tokenizer and pre-training settings (`path` is ignored). */
  base: BaseModelConfig;
  /** Model shape (overrides the one in `base`). */
  shape: BaseShape;
  /** Seed of transcripts, initialisation and batches. */
  seed: number;
  /** Compute backend (results are deterministic per backend). */
  backend: string;
}

/** A base model ready to use. */
export interface BaseInfo {
  /** Checkpoint folder. */
  path: string;
  /** Parameter count. */
  parameters: number;
  /** Whether it came from the cache. */
  cached: boolean;
}

async function _hash(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(d)].slice(0, 6).map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Build a base model from a recipe, or reuse the one built before. With a cache folder the model
 * lives in `CACHE/base-<label>-<hash of the recipe>/` (built in a temporary folder and renamed, so
 * concurrent processes never see half a model); without one it is built into `fallbackDir`.
 *
 * @param recipe what fixes the model.
 * @param where `cacheDir` ("" = no cache), `fallbackDir`, a `label` for the folder name, `log`.
 * @returns the folder and parameter count.
 */
export async function ensureBaseModel(
  recipe: BaseRecipe,
  where: { cacheDir: string; fallbackDir: string; label: string; log?: (s: string) => void },
): Promise<BaseInfo> {
  const log = where.log ?? ((s: string) => console.error(s));
  const key = JSON.stringify({ ...recipe, base: { ...recipe.base, path: "" } });
  const dir = where.cacheDir
    ? join(where.cacheDir, `base-${where.label}-${await _hash(key)}`)
    : where.fallbackDir;
  const infoFile = join(dir, "recipe.json");
  if (pathExists(infoFile)) {
    const info = JSON.parse(await Deno.readTextFile(infoFile));
    log(`base ${where.label}: reusing ${dir} (${info.parameters} parameters)`);
    return { path: dir, parameters: info.parameters, cached: true };
  }
  const tmp = where.cacheDir ? `${dir}.tmp-${Deno.pid}-${Date.now()}` : dir;
  await Deno.mkdir(tmp, { recursive: true });
  const t0 = performance.now();
  const b = recipe.base, s = recipe.shape;
  log(`base ${where.label}: building (${b.episodes} transcript episodes, ${b.steps} steps)`);
  const made = await buildBaseModel(
    tmp,
    baseModelOptions({ ...b, ...s }, {
      renderStyle: recipe.renderStyle,
      seed: recipe.seed,
      scenarios: recipe.scenarios,
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await writeJsonAtomic(join(tmp, "recipe.json"), { recipe: JSON.parse(key), ...made, seconds });
  if (tmp !== dir) {
    try {
      await Deno.rename(tmp, dir);
    } catch {
      await Deno.remove(tmp, { recursive: true }); // another process finished first
      const info = JSON.parse(await Deno.readTextFile(infoFile));
      return { path: dir, parameters: info.parameters, cached: true };
    }
  }
  log(
    `base ${where.label}: ${made.parameters} parameters, vocab ${made.vocab}, final loss ` +
      `${made.finalLoss.toFixed(4)}, ${seconds.toFixed(1)} s`,
  );
  return { path: dir, parameters: made.parameters, cached: false };
}
