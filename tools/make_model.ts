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
import { c as f, parseConfigArgs } from "../lib/config/mod.ts";
import { runMain } from "../lib/util/main.ts";
import { makeCheckpoint } from "../lib/model/make_model.ts";
import { countParameters } from "../lib/model/checkpoint.ts";

const _opt = (doc: string) => f.int<true>({ default: null, nullable: true, min: 1, doc });
const _optFloat = (doc: string) => f.float<true>({ default: null, nullable: true, doc });

const schema = f.object({
  out: f.string({ minLength: 1, doc: "checkpoint folder to write" }),
  vocab: _opt("embedding rows (default: the tokenizer's size)"),
  hidden: f.int({ min: 1, doc: "hidden size" }),
  layers: f.int({ min: 1, doc: "decoder layers" }),
  heads: f.int({ min: 1, doc: "query heads" }),
  "kv-heads": f.int({ min: 1, doc: "key/value heads (divides heads)" }),
  intermediate: f.int({ min: 1, doc: "MLP width" }),
  untied: f.bool({ default: false, doc: "an LM head of its own (default: tied to the embedding)" }),
  seed: f.int({ default: 0, doc: "seed of the initialisation" }),
  tokenizer: f.enum(["byte", "qwen"], { default: "byte", doc: "tokenizer shipped with it" }),
  dtype: f.enum(["F32", "BF16"], { default: "F32", doc: "storage dtype" }),
  "config-form": f.enum(["classic", "new"], { default: "classic", doc: "config.json dialect" }),
  "rope-theta": _optFloat("RoPE theta (default 1e6)"),
  "init-std": _optFloat("standard deviation of weights and biases (default 0.02)"),
  "norm-std": _optFloat("standard deviation of norm weights around 1 (default 0)"),
  "shard-bytes": _opt("write shards of about this many bytes"),
});

async function main(): Promise<void> {
  const parsed = parseConfigArgs(schema, Deno.args.filter((a) => a !== "--"), {
    usage: "deno task make-model -- --out DIR --hidden H --layers L --heads NH --kv-heads KV " +
      "--intermediate I [flags]",
  });
  if (parsed.help !== undefined) {
    console.log(parsed.help);
    return;
  }
  const values = parsed.config;
  const opt = <T>(x: T | null) => x ?? undefined;
  const m = await makeCheckpoint(values.out, {
    vocab: opt(values.vocab),
    hidden: values.hidden,
    layers: values.layers,
    heads: values.heads,
    kvHeads: values["kv-heads"],
    intermediate: values.intermediate,
    tie: !values.untied,
    seed: values.seed,
    tokenizer: values.tokenizer,
    dtype: values.dtype,
    configForm: values["config-form"],
    ropeTheta: opt(values["rope-theta"]),
    initStd: opt(values["init-std"]),
    normStd: opt(values["norm-std"]),
    shardBytes: opt(values["shard-bytes"]),
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
