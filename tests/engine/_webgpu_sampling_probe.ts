/**
 * Subprocess for backend_test.ts: next-token sampling on the GPU (`MgSampleRows`) against the
 * CPU's `sampleToken` on the same logits and uniform draws, and `generate()` on webgpu (which then
 * samples on the GPU) against `generate()` on the cpu backend, same model and seed. Prints one
 * JSON line: `{"skip": reason}` without an adapter, else the mismatches and largest differences.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import { inPlaceKvWrites } from "../../lib/engine/ops_kvcache.ts";
import { webGpuUnavailableReason } from "../../lib/engine/webgpu.ts";
import { deviceSamplingActive, sampleRowsOnDevice } from "../../lib/engine/webgpu_sampling.ts";
import { parseConfig } from "../../lib/model/config.ts";
import { generate } from "../../lib/model/generate.ts";
import { randomWeights } from "../../lib/model/make_model.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import { sampleToken } from "../../lib/model/sampling.ts";
import { Rng } from "../../lib/util/rng.ts";

const reason = await webGpuUnavailableReason();
if (reason !== null) {
  console.log(JSON.stringify({ skip: reason }));
  Deno.exit(0);
}

const rng = new Rng(91);
const nodes = 13, rows = 40, v = 300;
const logits = Float32Array.from({ length: nodes * v }, () => rng.normal() * 3);
logits.fill(-2, 4 * v, 5 * v); // node 4: every logit ties; greedy takes id 0
logits[4 * v + 7] = 5;
logits[4 * v + 9] = 5; // ... then two tie at the top: greedy takes the lower id, 7
const nodeOf = Array.from({ length: rows }, (_, i) => (i * 5) % nodes);
const u = Array.from({ length: rows }, () => rng.float());

/** Two generations: a short one that stops at EOS, and 70 tokens without stops (the cache outgrows its first capacity, prompt + 64 spare). */
async function generateTokens(): Promise<{ tokens: number[][]; logprobs: number[][] }> {
  const config = parseConfig({
    model_type: "qwen2",
    vocab_size: 50,
    hidden_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    intermediate_size: 24,
    eos_token_id: 49,
  });
  const model = Qwen2Model.fromWeights(config, randomWeights(config, { seed: 4, initStd: 0.5 }));
  const prompts = [[1, 2, 3], [1, 2, 3], [4, 5], [1, 2, 3]];
  const out = await generate(model, prompts, { temperature: 1, maxNewTokens: 6, seed: 12 });
  const long = await generate(model, prompts, {
    temperature: 1,
    maxNewTokens: 70,
    seed: 13,
    stopTokenIds: [],
  });
  model.dispose();
  return {
    tokens: [...out.tokens, ...long.tokens],
    logprobs: [...out.logprobs, ...long.logprobs],
  };
}

await initBackend("cpu");
const cpuGenerated = await generateTokens();
await initBackend("webgpu");
const logitsT = tf.tensor2d(logits, [nodes, v]);
const result: Record<string, unknown> = {
  backend: tf.getBackend(),
  active: deviceSamplingActive(),
  inPlaceKv: inPlaceKvWrites(),
};
for (const temperature of [0, 0.5, 1]) {
  const got = await sampleRowsOnDevice(logitsT, nodeOf, u, temperature);
  let mismatches = 0, maxDiff = 0;
  got.forEach((g, i) => {
    const row = logits.subarray(nodeOf[i] * v, (nodeOf[i] + 1) * v);
    // the CPU draws its one uniform from a stream: hand it the same number
    const want = sampleToken(row, { temperature }, { float: () => u[i] } as Rng);
    if (g.token !== want.token) mismatches++;
    maxDiff = Math.max(
      maxDiff,
      Math.abs(g.logprob - want.logprob),
      Math.abs(g.samplingLogprob - want.samplingLogprob),
    );
  });
  result[`t${temperature}`] = { mismatches, maxDiff, greedyTieRow: got[nodeOf.indexOf(4)].token };
}
const nan = Float32Array.from(logits.subarray(0, v));
nan[17] = NaN;
const nanT = tf.tensor2d(nan, [1, v]);
result.nanToken = (await sampleRowsOnDevice(nanT, [0], [0.5], 1))[0].token;
const gpuGenerated = await generateTokens();
result.generateSame = JSON.stringify(gpuGenerated.tokens) === JSON.stringify(cpuGenerated.tokens);
result.generateMaxDiff = Math.max(
  ...gpuGenerated.logprobs.flatMap((r, i) =>
    r.map((x, j) => Math.abs(x - cpuGenerated.logprobs[i][j]))
  ),
);
result.generateTokens = gpuGenerated.tokens.flat().length;
console.log(JSON.stringify(result));
