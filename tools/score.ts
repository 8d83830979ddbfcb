/**
 * Score a token sequence with a checkpoint: `deno task score -- --model DIR --ids 3,17,42,…`
 * prints exactly one JSON line on stdout,
 *
 * ```
 * {"logprobs":[…],"argmax":[…]}
 * ```
 *
 * where, for ids of length n, `logprobs[t] = log p(ids[t+1] | ids[0..t])` (length n−1, natural
 * log, temperature 1) and `argmax[t]` is the most likely next token after position t (length n —
 * the last position is included; ties go to the lowest id). The whole sequence runs as one
 * unpadded forward pass; no BOS token is added. On a checkpoint with more embedding rows than
 * tokenizer tokens the softmax runs over the tokens only (the padding ids are masked, as in
 * sampling), and a padding id cannot be scored after the first position. Options: `--backend wasm|cpu` (default wasm).
 * Notices and errors go to stderr; the exit status is 0 on success, 1 on an error, 2 on a usage
 * error.
 *
 * @module
 */
import { c, parseConfigArgs } from "../lib/config/mod.ts";
import { type BackendName, initBackend } from "../lib/engine/backend.ts";
import { scoreIds } from "../lib/model/logprob.ts";
import { Qwen2Model } from "../lib/model/qwen2.ts";
import { runMain, UsageError } from "../lib/util/main.ts";

const schema = c.object({
  model: c.string({ minLength: 1, doc: "checkpoint folder" }),
  ids: c.string({ doc: "comma-separated token ids, e.g. 3,17,42" }),
  backend: c.enum(["wasm", "cpu"], { default: "wasm", doc: "compute backend" }),
});

async function _main(): Promise<number> {
  const parsed = parseConfigArgs(schema, Deno.args.filter((a) => a !== "--"), {
    usage: "deno task score -- --model DIR --ids 3,17,42 [--backend wasm|cpu]",
  });
  if (parsed.help !== undefined) {
    console.log(parsed.help);
    return 0;
  }
  const values = parsed.config;
  const backend: BackendName = values.backend;
  const ids = values.ids.split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => {
    if (!/^\d+$/.test(s)) throw new UsageError(`--ids: "${s}" is not a non-negative integer`);
    return Number(s);
  });
  if (ids.length === 0) throw new UsageError("--ids is empty");
  // Keep stdout for the result alone: tfjs prints notices through console.log/warn.
  const log = console.log;
  console.log = (...a: unknown[]) => console.error(...a);
  try {
    await initBackend(backend);
    const model = await Qwen2Model.load(values.model, { trainable: false });
    const bad = ids.find((id) => id >= model.config.vocabSize);
    if (bad !== undefined) {
      throw new Error(`--ids: token id ${bad} is outside vocab_size ${model.config.vocabSize}`);
    }
    const result = await scoreIds(model, ids);
    model.dispose();
    log(JSON.stringify(result));
  } finally {
    console.log = log;
  }
  return 0;
}

if (import.meta.main) await runMain(_main, "score");
