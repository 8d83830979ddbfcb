/**
 * Export a Hugging Face Qwen2 checkpoint folder as an F32 GGUF v3 file for llama.cpp.
 *
 * Usage: `deno run -A tools/export_gguf.ts --model DIR --out FILE.gguf [--name NAME]`
 *
 * The tokenizer (`tokenizer.json`, `tokenizer_config.json`) is read from the model folder.
 *
 * @module
 */

import { c, parseConfigArgs } from "../lib/config/mod.ts";
import { loadCheckpoint } from "../lib/model/checkpoint.ts";
import { writeGguf } from "../lib/model/gguf.ts";
import { runMain } from "../lib/util/main.ts";

const schema = c.object({
  model: c.string({ minLength: 1, doc: "checkpoint folder" }),
  out: c.string({ minLength: 1, doc: "GGUF file to write" }),
  name: c.string<true>({ default: null, nullable: true, doc: "model name in the GGUF metadata" }),
});

/** Parse the command line, export, and print a one-line summary. */
async function main(args: string[]): Promise<void> {
  const parsed = parseConfigArgs(schema, args, {
    usage: "deno run -A tools/export_gguf.ts --model DIR --out FILE.gguf [--name NAME]",
  });
  if (parsed.help !== undefined) {
    console.log(parsed.help);
    return;
  }
  const values = parsed.config;
  const ckpt = await loadCheckpoint(values.model);
  const { tensors, bytes } = await writeGguf(values.out, ckpt.config, ckpt.weights, ckpt.dir, {
    name: values.name ?? undefined,
  });
  console.log(`${values.out}: ${tensors} tensors, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
}

if (import.meta.main) {
  await runMain(() => main(Deno.args.filter((a) => a !== "--")), "export_gguf");
}
