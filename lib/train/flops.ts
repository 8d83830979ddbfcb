/**
 * Compute accounting for the scale comparison: training FLOPs ≈ 6 · parameters · tokens (forward
 * and backward of a dense decoder; attention's own FLOPs and embedding look-ups neglected),
 * forward-only work ≈ 2 · parameters · tokens.
 *
 * - Pre-training: 6 · P · T, T = every token of every batch (`recipe.json`'s `tokens`, written by
 *   `buildBaseModel`).
 * - MS-GRPO: rollouts 2 · P · T_rollout (every prompt and completion token of every step, an
 *   upper bound: generation computes shared prompts once) plus updates 6 · P · T_update (every
 *   token of every step of every drawn episode, times its draws, times `msgrpo.epochs`; the old
 *   policy's log-probabilities come from sampling and cost nothing more). Evaluation is left out:
 *   every arm evaluates the same episodes.
 *
 * @module
 */
import { join } from "node:path";
import { readTable } from "../log/mod.ts";

/** Tokens an MS-GRPO run processed. */
export interface MsgrpoTokens {
  /** Prompt + completion tokens of every rollout step. */
  rollout: number;
  /** Prompt + completion tokens of every drawn step, times its draws and the epochs. */
  update: number;
}

/** One `steps` row's token columns (see `docs/logs.md`). */
export interface StepTokens {
  prompt_tokens: number;
  completion_tokens: number;
  times_drawn: number;
}

/**
 * Count an MS-GRPO run's tokens from its `steps` rows.
 *
 * @param steps the rows of `steps.arrow`.
 * @param epochs `msgrpo.epochs` (passes over the drawn batch).
 * @returns rollout and update tokens.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { msgrpoTokens } from "./flops.ts";
 * const row = (p: number, c: number, d: number) =>
 *   ({ prompt_tokens: p, completion_tokens: c, times_drawn: d });
 * assert.deepEqual(msgrpoTokens([row(80, 3, 2), row(90, 3, 0)], 1), { rollout: 176, update: 166 });
 * ```
 */
export function msgrpoTokens(steps: Iterable<StepTokens>, epochs = 1): MsgrpoTokens {
  let rollout = 0, update = 0;
  for (const s of steps) {
    const n = s.prompt_tokens + s.completion_tokens;
    rollout += n;
    update += n * s.times_drawn * epochs;
  }
  return { rollout, update };
}

/**
 * Count a run directory's MS-GRPO tokens (its `steps.arrow`).
 *
 * @param runDir the training run.
 * @param epochs `msgrpo.epochs`.
 * @returns rollout and update tokens.
 * @throws naming the file when the run has no `steps.arrow`.
 */
export function runMsgrpoTokens(runDir: string, epochs = 1): MsgrpoTokens {
  const file = join(runDir, "steps.arrow");
  let rows: StepTokens[];
  try {
    rows = readTable(file).objects() as unknown as StepTokens[];
  } catch (e) {
    throw new Error(`flops: cannot read ${file}: ${(e as Error).message}`);
  }
  return msgrpoTokens(rows, epochs);
}

/** A base model's size and pre-training tokens (from its `recipe.json`). */
export interface BaseCompute {
  parameters: number;
  tokens: number;
}

/**
 * Read a built base's parameters and pre-training tokens from `DIR/recipe.json`.
 *
 * @param dir a base folder made by `ensureBaseModel` or `tools/build_base.ts`.
 * @returns parameters and tokens.
 * @throws naming the file and field when either is missing (e.g. a base built before tokens
 *   were recorded: rebuild it).
 */
export function baseCompute(dir: string): BaseCompute {
  const file = join(dir, "recipe.json");
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(Deno.readTextFileSync(file));
  } catch (e) {
    throw new Error(`flops: cannot read ${file}: ${(e as Error).message}`);
  }
  for (const k of ["parameters", "tokens"]) {
    if (typeof info[k] !== "number") {
      throw new Error(`flops: ${file} has no numeric "${k}" (got ${JSON.stringify(info[k])})`);
    }
  }
  return { parameters: info.parameters as number, tokens: info.tokens as number };
}

/** The compute statement of one seed of the scale comparison. */
export interface ComputeStatement {
  /** Small base: pre-training 6·P·T. */
  small_pretrain_flops: number;
  /** Small model's MS-GRPO: 2·P·T_rollout + 6·P·T_update. */
  small_msgrpo_flops: number;
  /** Small total: pre-training + MS-GRPO. */
  small_total_flops: number;
  /** Each large base's pre-training 6·P·T, by name (`baseline`, `baseline_long`). */
  large_pretrain_flops: Record<string, number>;
  /** Each large base's pre-training FLOPs over the small model's total (≥ 1: it got at least as much). */
  large_over_small: Record<string, number>;
  /** Token counts behind the numbers. */
  tokens:
    & { small_pretrain: number; msgrpo_rollout: number; msgrpo_update: number }
    & Record<
      string,
      number
    >;
  /** Parameter counts. */
  parameters: Record<string, number>;
}

/**
 * The compute statement: small pre-training and MS-GRPO FLOPs against each large base's.
 *
 * @param small the small base.
 * @param msgrpo the small model's MS-GRPO tokens.
 * @param large the large bases by name.
 * @returns FLOPs, ratios, tokens and parameters.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeStatement } from "./flops.ts";
 * const s = computeStatement({ parameters: 10, tokens: 100 }, { rollout: 30, update: 10 }, {
 *   baseline: { parameters: 90, tokens: 100 },
 * });
 * assert.deepEqual([s.small_total_flops, s.large_pretrain_flops.baseline], [7200, 54000]);
 * assert.equal(s.large_over_small.baseline, 7.5);
 * ```
 */
export function computeStatement(
  small: BaseCompute,
  msgrpo: MsgrpoTokens,
  large: Record<string, BaseCompute>,
): ComputeStatement {
  const pre = 6 * small.parameters * small.tokens;
  const rl = 2 * small.parameters * msgrpo.rollout + 6 * small.parameters * msgrpo.update;
  const total = pre + rl;
  const flops: Record<string, number> = {}, ratio: Record<string, number> = {};
  const tokens: ComputeStatement["tokens"] = {
    small_pretrain: small.tokens,
    msgrpo_rollout: msgrpo.rollout,
    msgrpo_update: msgrpo.update,
  };
  const parameters: Record<string, number> = { small: small.parameters };
  for (const [name, b] of Object.entries(large)) {
    flops[name] = 6 * b.parameters * b.tokens;
    ratio[name] = flops[name] / total;
    tokens[`${name}_pretrain`] = b.tokens;
    parameters[name] = b.parameters;
  }
  return {
    small_pretrain_flops: pre,
    small_msgrpo_flops: rl,
    small_total_flops: total,
    large_pretrain_flops: flops,
    large_over_small: ratio,
    tokens,
    parameters,
  };
}
