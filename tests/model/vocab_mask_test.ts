import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import { generate } from "../../lib/model/generate.ts";
import { sequenceLogprobs } from "../../lib/model/logprob.ts";
import { makeCheckpoint } from "../../lib/model/make_model.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import { Tokenizer } from "../../lib/model/tokenizer.ts";
import { tokenizerJsonSize, tokenizerSize } from "../../lib/model/tokenizer_size.ts";
import { padVocab } from "./_padded.ts";

const TINY = { hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 64, initStd: 0.3 };

async function tinyPair() {
  const src = await makeCheckpoint(await Deno.makeTempDir({ prefix: "msgrpo-vm-" }), {
    ...TINY,
    tokenizer: "byte",
    seed: 5,
  });
  const padded = await padVocab(src.dir, await Deno.makeTempDir({ prefix: "msgrpo-vm-pad-" }));
  return { src: src.dir, padded };
}

Deno.test("tokenizerJsonSize() counts model ids and added tokens, like Tokenizer.vocabSize", async () => {
  assert.equal(tokenizerJsonSize({ model: { vocab: { a: 0, b: 3 } }, added_tokens: [] }), 4);
  assert.equal(tokenizerJsonSize({ model: { vocab: [["a", 0], ["b", -1]] } }), 2);
  assert.equal(tokenizerJsonSize({ model: { vocab: {} } }), undefined);
  const dir = await Deno.makeTempDir({ prefix: "msgrpo-vm-q-" });
  await makeCheckpoint(dir, {
    ...TINY,
    vocab: 151_700,
    hidden: 8,
    heads: 2,
    kvHeads: 1,
    intermediate: 8,
    layers: 1,
    tokenizer: "qwen",
    seed: 0,
  });
  assert.equal(await tokenizerSize(dir), (await Tokenizer.load(dir)).vocabSize);
  assert.equal(await tokenizerSize(dir), 151_665);
  assert.equal(await tokenizerSize(`${dir}/nowhere`), undefined);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("Qwen2Model.load() masks embedding rows past the tokenizer; unmasked they get sampled", async () => {
  await initBackend();
  const { src, padded } = await tinyPair();
  const original = await Qwen2Model.load(src);
  const masked = await Qwen2Model.load(padded);
  const unmasked = await Qwen2Model.load(padded, { outputVocab: 518 });
  assert.equal(original.outputVocab, 259);
  assert.equal(masked.config.vocabSize, 518);
  assert.equal(masked.outputVocab, 259);
  assert.equal(unmasked.outputVocab, 518);
  assert.throws(() => masked.limitOutputs(519), /\[1, 518\]/);
  const prompts = [[1, 2, 3], [40, 41], [7]];
  const opts = { maxNewTokens: 12, temperature: 1, seed: 3, stopTokenIds: [] };
  // Without the mask, each padding id is as likely as its twin: about half the draws are padding.
  const raw = await generate(unmasked, prompts, opts);
  assert.ok(raw.tokens.flat().some((id) => id >= 259), "the unmasked model never drew padding");
  // With it, the padded model is the original model: same tokens, same log-probs.
  const want = await generate(original, prompts, opts);
  const got = await generate(masked, prompts, opts);
  assert.deepEqual(got.tokens, want.tokens);
  got.logprobs.flat().forEach((x, i) => assert.ok(Math.abs(x - want.logprobs.flat()[i]) < 1e-5));
  // Scoring takes the softmax over the same 259 ids as sampling (PPO ratio 1).
  const s = sequenceLogprobs(masked, prompts, got.tokens);
  const lp = (await s.logprobs.array()) as number[][];
  got.logprobs.forEach((row, b) =>
    row.forEach((x, j) =>
      assert.ok(Math.abs(x - lp[b][j]) < 1e-4, `${b}/${j}: ${x} vs ${lp[b][j]}`)
    )
  );
  // By hand: the masked log-prob is the log-softmax over the first 259 of the full logits.
  const full = unmasked.forward([[...prompts[0], ...got.tokens[0].slice(0, 1)]]);
  const row = ((await full.array()) as number[][][])[0][prompts[0].length - 1];
  const m = Math.max(...row.slice(0, 259));
  const lse = m + Math.log(row.slice(0, 259).reduce((a, x) => a + Math.exp(x - m), 0));
  assert.ok(Math.abs(row[got.tokens[0][0]] - lse - got.logprobs[0][0]) < 1e-4);
  // A target without a token is refused by name.
  assert.throws(() => sequenceLogprobs(masked, [[1]], [[300]]), /target 300/);
  tf.dispose([s.logprobs, s.mask, full]);
  for (const x of [original, masked, unmasked]) x.dispose();
  await Deno.remove(src, { recursive: true });
  await Deno.remove(padded, { recursive: true });
});
