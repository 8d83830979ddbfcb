/**
 * Write a seeded random Qwen2 checkpoint in the Hugging Face layout.
 *
 * ```sh
 * deno run -A tools/make_model.ts --out DIR --hidden 64 --layers 2 --heads 4 --kv-heads 2 \
 *   --intermediate 128 --tokenizer byte --seed 0 [--vocab N] [--untied] [--dtype BF16] \
 *   [--config-form new] [--rope-theta 1e6] [--init-std 0.02] [--norm-std 0] [--shard-bytes N]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { runMain } from "../lib/util/main.ts";
import { makeCheckpoint } from "../lib/model/make_model.ts";
import { countParameters } from "../lib/model/checkpoint.ts";

const USAGE =
  "usage: make_model.ts --out DIR --hidden H --layers L --heads NH --kv-heads KV --intermediate I " +
  "--tokenizer byte|qwen --seed S [--vocab V] [--untied] [--dtype F32|BF16] [--config-form classic|new] " +
  "[--rope-theta T] [--init-std S] [--norm-std S] [--shard-bytes N]";

function num(v: string | undefined, flag: string, int = true): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || (int && !Number.isInteger(x))) {
    throw new Error(
      `--${flag}: expected ${int ? "an integer" : "a number"}, got ${JSON.stringify(v)}`,
    );
  }
  return x;
}

function need(v: number | undefined, flag: string): number {
  if (v === undefined) throw new Error(`--${flag} is required\n${USAGE}`);
  return v;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args.filter((a) => a !== "--"),
    options: {
      out: { type: "string" },
      vocab: { type: "string" },
      hidden: { type: "string" },
      layers: { type: "string" },
      heads: { type: "string" },
      "kv-heads": { type: "string" },
      intermediate: { type: "string" },
      untied: { type: "boolean", default: false },
      seed: { type: "string", default: "0" },
      tokenizer: { type: "string", default: "byte" },
      dtype: { type: "string", default: "F32" },
      "config-form": { type: "string", default: "classic" },
      "rope-theta": { type: "string" },
      "init-std": { type: "string" },
      "norm-std": { type: "string" },
      "shard-bytes": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.out) throw new Error(`--out is required\n${USAGE}`);
  if (values.dtype !== "F32" && values.dtype !== "BF16") {
    throw new Error(`--dtype must be F32 or BF16`);
  }
  if (values.tokenizer !== "byte" && values.tokenizer !== "qwen") {
    throw new Error(`--tokenizer must be byte or qwen`);
  }
  if (values["config-form"] !== "classic" && values["config-form"] !== "new") {
    throw new Error(`--config-form must be classic or new`);
  }
  const m = await makeCheckpoint(values.out, {
    vocab: num(values.vocab, "vocab"),
    hidden: need(num(values.hidden, "hidden"), "hidden"),
    layers: need(num(values.layers, "layers"), "layers"),
    heads: need(num(values.heads, "heads"), "heads"),
    kvHeads: need(num(values["kv-heads"], "kv-heads"), "kv-heads"),
    intermediate: need(num(values.intermediate, "intermediate"), "intermediate"),
    tie: !values.untied,
    seed: need(num(values.seed, "seed"), "seed"),
    tokenizer: values.tokenizer,
    dtype: values.dtype,
    configForm: values["config-form"],
    ropeTheta: num(values["rope-theta"], "rope-theta", false),
    initStd: num(values["init-std"], "init-std", false),
    normStd: num(values["norm-std"], "norm-std", false),
    shardBytes: num(values["shard-bytes"], "shard-bytes"),
  });
  const c = m.config;
  console.log(
    `wrote ${values.out}: ${countParameters(c).toLocaleString("en")} parameters ` +
      `(vocab ${c.vocabSize}, hidden ${c.hiddenSize}, layers ${c.numLayers}, heads ${c.numHeads}/${c.numKvHeads}, ` +
      `intermediate ${c.intermediateSize}, ${
        c.tieWordEmbeddings ? "tied" : "untied"
      }, ${values.dtype})`,
  );
}

if (import.meta.main) await runMain(main, "make_model");
