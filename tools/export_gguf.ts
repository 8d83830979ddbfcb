/**
 * Export a Hugging Face Qwen2 checkpoint folder as an F32 GGUF v3 file for llama.cpp.
 *
 * Usage: `deno run -A tools/export_gguf.ts --model DIR --out FILE.gguf [--name NAME]`
 *
 * The tokenizer (`tokenizer.json`, `tokenizer_config.json`) is read from the model folder.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { loadCheckpoint } from "../lib/model/checkpoint.ts";
import { writeGguf } from "../lib/model/gguf.ts";
import { runMain } from "../lib/util/main.ts";

const USAGE = "usage: deno run -A tools/export_gguf.ts --model DIR --out FILE.gguf [--name NAME]";

/** Parse the command line, export, and print a one-line summary. */
async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      out: { type: "string" },
      name: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.model || !values.out) throw new Error(`--model and --out are required\n${USAGE}`);
  const ckpt = await loadCheckpoint(values.model);
  const { tensors, bytes } = await writeGguf(values.out, ckpt.config, ckpt.weights, ckpt.dir, {
    name: values.name,
  });
  console.log(`${values.out}: ${tensors} tensors, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
}

if (import.meta.main) {
  await runMain(() => main(Deno.args.filter((a) => a !== "--")), "export_gguf");
}
