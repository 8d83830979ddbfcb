import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import { sequenceLogprobs } from "../../lib/model/logprob.ts";
import { makeCheckpoint } from "../../lib/model/make_model.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import { runScript } from "../experiments/_run.ts";
import { naiveForward } from "./qwen2_naive.ts";

const IDS = [72, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100, 3];

/** Run tools/score.ts with the given arguments. */
const runScore = (args: string[]) => runScript("tools/score.ts", args);

const CASES = [
  {
    name: "tied F32 classic config, GQA 2",
    opts: {
      heads: 4,
      kvHeads: 2,
      tie: true,
      dtype: "F32" as const,
      configForm: "classic" as const,
    },
  },
  {
    name: "untied BF16 new config, GQA 4",
    opts: { heads: 4, kvHeads: 1, tie: false, dtype: "BF16" as const, configForm: "new" as const },
  },
];

for (const cs of CASES) {
  Deno.test(`score CLI prints one JSON line equal to in-process values (${cs.name})`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const made = await makeCheckpoint(dir, {
        hidden: 32,
        layers: 2,
        intermediate: 48,
        seed: 7,
        tokenizer: "byte",
        initStd: 0.3,
        normStd: 0.1,
        ...cs.opts,
      });
      const res = await runScore(["--model", dir, "--ids", IDS.join(","), "--backend", "wasm"]);
      assert.equal(res.code, 0, res.stderr);
      const lines = res.stdout.split("\n").filter((l) => l !== "");
      assert.equal(lines.length, 1, `stdout must hold one line, got: ${res.stdout}`);
      const got = JSON.parse(lines[0]) as { logprobs: number[]; argmax: number[] };
      assert.deepEqual(Object.keys(got), ["logprobs", "argmax"]);
      assert.equal(got.logprobs.length, IDS.length - 1);
      assert.equal(got.argmax.length, IDS.length);

      await initBackend("wasm");
      const model = await Qwen2Model.load(dir);
      const s = sequenceLogprobs(model, [IDS.slice(0, 1)], [IDS.slice(1)]);
      const lp = s.logprobs.arraySync()[0];
      lp.forEach((x, t) =>
        assert.ok(Math.abs(x - got.logprobs[t]) < 1e-5, `logprob ${t}: ${x} vs ${got.logprobs[t]}`)
      );
      const logits = model.forward([IDS]);
      const am = tf.argMax(logits, -1).arraySync() as number[][];
      assert.deepEqual(got.argmax, am[0]);
      // Against the independent float64 reference on the weights as loaded (BF16 rounded).
      const ref = naiveForward(model.config, await model.toWeights(), IDS);
      ref.forEach((row, t) => {
        const m = Math.max(...row);
        const z = Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) + m;
        if (t + 1 < IDS.length) assert.ok(Math.abs(row[IDS[t + 1]] - z - got.logprobs[t]) < 1e-4);
        assert.equal(got.argmax[t], row.indexOf(m));
      });
      assert.equal(model.config.tieWordEmbeddings, made.config.tieWordEmbeddings);
      tf.dispose([s.logprobs, s.mask, logits]);
      model.dispose();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("score CLI reports usage and data errors on stderr with a non-zero status", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await makeCheckpoint(dir, {
      hidden: 16,
      layers: 1,
      heads: 2,
      kvHeads: 1,
      intermediate: 16,
      seed: 1,
      tokenizer: "byte",
    });
    const noIds = await runScore(["--model", dir]);
    assert.equal(noIds.code, 2);
    assert.equal(noIds.stdout, "");
    assert.match(noIds.stderr, /ids: required/);
    const big = await runScore(["--model", dir, "--ids", "1,99999"]);
    assert.equal(big.code, 1);
    assert.equal(big.stdout, "");
    assert.match(big.stderr, /99999 is outside vocab_size 259/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
