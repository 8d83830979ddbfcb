/**
 * The `--setup cpu` bases of `experiments/scale_comparison.ts`: the small base (`base`), the large
 * base `B` (`large`: the large shape, `large.steps` pre-training steps on `large.episodes`
 * transcripts, null = the small base's) and the large base `C` pre-trained longer
 * (`large_long`: the same shape, its own steps and transcripts). All three use the same transcript
 * recipe (`base_scenarios`, `base.oracle_fraction`, `base_seed`; a longer transcript corpus starts
 * with the shorter one's episodes, so it contains all of the small base's data). Each is a given
 * folder (`*.path`) or built once and cached by recipe (`cache_dir`).
 *
 * @module
 */
import { join } from "node:path";
import { inspectCheckpoint } from "../../lib/model/checkpoint.ts";
import { countParameters } from "../../lib/model/checkpoint_layout.ts";
import type { BaseModelConfig } from "../../lib/train/base_schema.ts";
import { type BaseShape, ensureBaseModel } from "../../lib/train/base_cache.ts";

/** A large base's section: a folder, or a shape and a pre-training budget. */
export interface LargeSection {
  path: string;
  steps: number | null;
  episodes: number | null;
}

/** The fields of the scale comparison's config the bases depend on. */
export interface ScaleBasesConfig {
  base_scenarios: readonly string[];
  train_scenarios: readonly string[];
  env: { render_style: "compact" | "verbose" };
  base: BaseModelConfig;
  base_seed: number;
  large: LargeSection & BaseShape;
  large_long: LargeSection & { enabled: boolean };
  min_ratio: number;
  cache_dir: string;
}

/** A base ready to use. */
export interface ScaleBase {
  path: string;
  parameters: number;
}

/** The bases of one run: `long` is null when `large_long.enabled` is false. */
export interface ScaleBases {
  small: ScaleBase;
  large: ScaleBase;
  long: ScaleBase | null;
}

/**
 * The `base` section a large base is built with: the small one's recipe, the large shape, and
 * the section's steps and episodes where given.
 *
 * @param cfg the resolved config.
 * @param section `large` or `large_long`.
 * @returns the base section and the shape.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { largeRecipe } from "./bases.ts";
 * const base = { steps: 400, episodes: 2000, hidden: 128 } as never;
 * const large = { hidden: 320, layers: 6, heads: 8, kv_heads: 4, intermediate: 960, path: "", steps: 800, episodes: null };
 * const r = largeRecipe({ base, large, large_long: { path: "", steps: 1600, episodes: 8000, enabled: true } } as never, "large_long");
 * assert.deepEqual([r.base.steps, r.base.episodes, r.shape.hidden], [1600, 8000, 320]);
 * ```
 */
export function largeRecipe(
  cfg: Pick<ScaleBasesConfig, "base" | "large" | "large_long">,
  section: "large" | "large_long",
): { base: BaseModelConfig; shape: BaseShape } {
  const s = cfg[section], l = cfg.large;
  return {
    base: {
      ...cfg.base,
      steps: s.steps ?? cfg.base.steps,
      episodes: s.episodes ?? cfg.base.episodes,
    },
    shape: {
      hidden: l.hidden,
      layers: l.layers,
      heads: l.heads,
      kv_heads: l.kv_heads,
      intermediate: l.intermediate,
    },
  };
}

async function _given(path: string): Promise<ScaleBase> {
  return { path, parameters: countParameters((await inspectCheckpoint(path)).config) };
}

/**
 * Find or build the small base and the large ones, and check the parameter ratio.
 *
 * @param cfg the resolved config.
 * @param runDir the run (fallback build folders when `cache_dir` is "").
 * @param backend the backend description (part of the cache key).
 * @returns the bases.
 * @throws when the large base has fewer than `min_ratio` × the small one's parameters.
 */
export async function ensureScaleBases(
  cfg: ScaleBasesConfig,
  runDir: string,
  backend: string,
): Promise<ScaleBases> {
  const scenarios = cfg.base_scenarios.length > 0 ? cfg.base_scenarios : cfg.train_scenarios;
  const build = (base: BaseModelConfig, shape: BaseShape, label: string) =>
    ensureBaseModel({
      scenarios,
      renderStyle: cfg.env.render_style,
      base,
      shape,
      seed: cfg.base_seed,
      backend,
    }, { cacheDir: cfg.cache_dir, fallbackDir: join(runDir, `base_${label}`), label });
  const small = cfg.base.path
    ? await _given(cfg.base.path)
    : await build(cfg.base, cfg.base, "small");
  // each large base is checked as soon as it exists, before the next (longer) build starts
  const check = (name: string, l: ScaleBase) => {
    const ratio = l.parameters / small.parameters;
    if (ratio < cfg.min_ratio) {
      throw new Error(
        `scale_comparison (cpu): the ${name} base has ${l.parameters} parameters, only ` +
          `${ratio.toFixed(2)}× the small base's ${small.parameters} ` +
          `(min_ratio ${cfg.min_ratio}); enlarge large.* or shrink base.*`,
      );
    }
    return l;
  };
  const b = largeRecipe(cfg, "large");
  const large = check(
    "large",
    cfg.large.path ? await _given(cfg.large.path) : await build(b.base, b.shape, "large"),
  );
  let long: ScaleBase | null = null;
  if (cfg.large_long.enabled) {
    const r = largeRecipe(cfg, "large_long");
    long = check(
      "large_long",
      cfg.large_long.path
        ? await _given(cfg.large_long.path)
        : await build(r.base, r.shape, "large_long"),
    );
  }
  return {
    small: { path: small.path, parameters: small.parameters },
    large: { path: large.path, parameters: large.parameters },
    long: long && { path: long.path, parameters: long.parameters },
  };
}
