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
import { parseArgs } from "node:util";
import { type BackendName, initBackend } from "../lib/engine/backend.ts";
import { Qwen2Model } from "../lib/model/qwen2.ts";
import { runMain } from "../lib/util/main.ts";

/** What `score` prints. */
export interface ScoreResult {
  /** `log p(ids[t+1] | ids[..t])`, length n−1. */
  logprobs: number[];
  /** Most likely next token after each position, length n. */
  argmax: number[];
}

/**
 * Score ids with a loaded model (float64 log-softmax over the downloaded logits).
 *
 * @param model the model.
 * @param ids at least one token id.
 * @returns next-token log-probs and argmaxes.
 */
export async function scoreIds(model: Qwen2Model, ids: number[]): Promise<ScoreResult> {
  if (ids.length === 0) throw new Error("score: --ids is empty");
  const logits = model.forward([ids]);
  const data = (await logits.data()) as Float32Array;
  logits.dispose();
  const v = model.outputVocab;
  const pad = ids.slice(1).find((id) => id >= v);
  if (pad !== undefined) {
    throw new Error(
      `--ids: token id ${pad} has no token (the tokenizer has ${v}); it cannot be scored`,
    );
  }
  const logprobs: number[] = [], argmax: number[] = [];
  for (let t = 0; t < ids.length; t++) {
    const row = data.subarray(t * v, (t + 1) * v);
    let m = -Infinity, a = 0;
    for (let i = 0; i < v; i++) {
      if (row[i] > m) {
        m = row[i];
        a = i;
      }
    }
    argmax.push(a);
    if (t + 1 < ids.length) {
      let z = 0;
      for (let i = 0; i < v; i++) z += Math.exp(row[i] - m);
      logprobs.push(row[ids[t + 1]] - m - Math.log(z));
    }
  }
  return { logprobs, argmax };
}

function _usage(msg: string): never {
  console.error(
    `score: ${msg}\nusage: deno task score -- --model DIR --ids 3,17,42 [--backend wasm|cpu]`,
  );
  Deno.exit(2);
}

async function _main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args.filter((a) => a !== "--"),
      options: {
        model: { type: "string" },
        ids: { type: "string" },
        backend: { type: "string", default: "wasm" },
      },
      strict: true,
    }));
  } catch (e) {
    _usage((e as Error).message);
  }
  if (!values.model) _usage("--model is required");
  if (values.ids === undefined) _usage("--ids is required");
  const backend = values.backend as BackendName;
  if (backend !== "wasm" && backend !== "cpu") {
    _usage(`--backend must be wasm or cpu, got "${values.backend}"`);
  }
  const ids = values.ids.split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => {
    if (!/^\d+$/.test(s)) _usage(`--ids: "${s}" is not a non-negative integer`);
    return Number(s);
  });
  if (ids.length === 0) _usage("--ids is empty");
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
  } catch (e) {
    console.error(`score: ${(e as Error).message}`);
    Deno.exit(1);
  } finally {
    console.log = log;
  }
}

if (import.meta.main) await runMain(_main, "score");
