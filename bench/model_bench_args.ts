/**
 * Command line of bench/model_bench.ts: integer shape and timing flags, `--backend`, `--torch`,
 * and LoRA (`--lora-rank R`, `--lora-targets q_proj,k_proj,…` or `all` / `attn`).
 *
 * `--lora-rank 0` (the default) trains every parameter; `R ≥ 1` attaches rank-R adapters to the
 * target projections of every layer with `attachLora` (base frozen, alpha 16 as the trainer's
 * `model.lora_alpha` default) and the train step updates only them. The default targets are all
 * seven attention and MLP projections; the trainer's `model.lora_rank` adapts q/k/v/o only
 * (`--lora-targets attn`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBenchArgs } from "./model_bench_args.ts";
 * const o = parseBenchArgs(["--", "--hidden", "64", "--lora-rank", "8", "--lora-targets", "attn"]);
 * assert.deepEqual([o.hidden, o["lora-rank"], o.loraTargets.join()], [64, 8, "q_proj,k_proj,v_proj,o_proj"]);
 * assert.throws(() => parseBenchArgs(["--lora-rank", "x"]), /--lora-rank: expected an integer ≥ 0, got "x"/);
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { parseBackendName } from "../lib/engine/backend.ts";
import { LORA_TARGETS, type LoraTarget } from "../lib/model/lora.ts";

/** Integer flags and their defaults (passed on to bench/torch_bench.py under the same names). */
export const INT_OPTS = [
  ["vocab", 512],
  ["hidden", 256],
  ["layers", 4],
  ["heads", 4],
  ["kv-heads", 2],
  ["intermediate", 512],
  ["batch", 8],
  ["seq", 128],
  ["steps", 5],
  ["warmup", 2],
  ["seed", 0],
  ["prompt", 32],
  ["new", 64],
  ["train", 1],
  ["quick-init", 0],
  ["lora-rank", 0],
] as const;

/** LoRA scaling numerator of the benchmark (the trainer's `model.lora_alpha` default). */
export const BENCH_LORA_ALPHA = 16;

/** Parsed benchmark options. */
export type BenchOptions = Record<(typeof INT_OPTS)[number][0], number> & {
  /** `--backend` value (validated). */
  backend: string;
  /** Also run bench/torch_bench.py. */
  torch: boolean;
  /** Modules that get adapters when `lora-rank` > 0. */
  loraTargets: LoraTarget[];
};

const _ATTN: LoraTarget[] = ["q_proj", "k_proj", "v_proj", "o_proj"];

/**
 * Parse a `--lora-targets` value: `all` (every projection), `attn` (q/k/v/o) or a comma list of
 * module names.
 *
 * @param raw the flag's value (undefined: `all`).
 * @returns the modules, in {@link LORA_TARGETS} order for `all`.
 */
export function parseLoraTargets(raw: string | undefined): LoraTarget[] {
  const v = (raw ?? "all").trim();
  if (v === "all") return [...LORA_TARGETS];
  if (v === "attn") return [..._ATTN];
  const parts = v.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (parts.length === 0) throw new Error(`--lora-targets: empty list "${raw}"`);
  for (const p of parts) {
    if (!(LORA_TARGETS as readonly string[]).includes(p)) {
      throw new Error(
        `--lora-targets: unknown module "${p}"; expected all, attn or a comma list of ${
          LORA_TARGETS.join(", ")
        }`,
      );
    }
  }
  return parts as LoraTarget[];
}

/**
 * Parse the command line (integers are validated, `--backend` through parseBackendName).
 *
 * @param args arguments after the script name (a leading `--` is dropped).
 * @returns the options.
 */
export function parseBenchArgs(args: string[]): BenchOptions {
  const options: Record<string, { type: "string" | "boolean" }> = {
    backend: { type: "string" },
    torch: { type: "boolean" },
    "lora-targets": { type: "string" },
  };
  for (const [k] of INT_OPTS) options[k] = { type: "string" };
  // `deno task bench:model -- …` forwards the separator itself.
  const rest = args[0] === "--" ? args.slice(1) : args;
  const { values } = parseArgs({ args: rest, options, allowPositionals: false });
  const out: Record<string, unknown> = {
    backend: parseBackendName(values.backend as string | undefined),
    torch: !!values.torch,
    loraTargets: parseLoraTargets(values["lora-targets"] as string | undefined),
  };
  for (const [k, d] of INT_OPTS) {
    const raw = values[k] as string | undefined;
    const v = raw === undefined ? d : Number(raw);
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`--${k}: expected an integer ≥ 0, got "${raw}"`);
    }
    out[k] = v;
  }
  return out as BenchOptions;
}
