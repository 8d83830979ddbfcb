/**
 * Test helper: a copy of a checkpoint whose embedding (and untied head) has `copies` times as
 * many rows as its tokenizer has tokens, the extra rows repeating the real ones — so without a
 * vocabulary mask every padding id would be exactly as likely as its real twin, and with the mask
 * the padded model must behave exactly like the original.
 */
import { loadCheckpoint, saveCheckpoint } from "../../lib/model/checkpoint.ts";

/** Copy `src` into `dst` with the vocabulary tiled `copies` times; returns `dst`. */
export async function padVocab(src: string, dst: string, copies = 2): Promise<string> {
  const ck = await loadCheckpoint(src);
  const v = ck.config.vocabSize;
  for (const name of ["model.embed_tokens.weight", "lm_head.weight"]) {
    const w = ck.weights.get(name);
    if (w === undefined) continue;
    const data = new Float32Array(w.data.length * copies);
    for (let c = 0; c < copies; c++) data.set(w.data, c * w.data.length);
    ck.weights.set(name, { shape: [v * copies, w.shape[1]], data });
  }
  await saveCheckpoint(dst, { ...ck.config, vocabSize: v * copies }, ck.weights, {
    tokenizerFrom: src,
    generationConfig: ck.generationConfig,
  });
  return dst;
}
