import assert from "node:assert/strict";
import { FrozenLakeEnv } from "../../lib/env/frozen_lake.ts";
import { initBackend } from "../../lib/engine/backend.ts";
import { sequenceLogprobs } from "../../lib/model/logprob.ts";
import { makeCheckpoint } from "../../lib/model/make_model.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import { Tokenizer } from "../../lib/model/tokenizer.ts";
import { LapPolicy } from "../../lib/policy/lap.ts";

Deno.test("LapPolicy.act() returns tokens whose log-probs equal teacher-forced scoring (PPO ratio 1)", async () => {
  await initBackend();
  const dir = await Deno.makeTempDir({ prefix: "msgrpo-lap-" });
  await makeCheckpoint(dir, {
    hidden: 32,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    intermediate: 64,
    tokenizer: "byte",
    seed: 3,
    initStd: 0.3,
  });
  const model = await Qwen2Model.load(dir);
  const policy = new LapPolicy(model, await Tokenizer.load(dir), { maxNewTokens: 6 });
  const envs = [0, 1, 2].map((s) => {
    const env = new FrozenLakeEnv({
      randomMap: { size: 4, p: 0.8 },
      slippery: false,
      maxSteps: 8,
      renderStyle: "compact",
    });
    env.reset(s);
    return env;
  });
  const inputs = envs.map((env) => ({ ...env.observe(), env }));
  const out = await policy.act(inputs, { temperature: 1, seed: 11 });
  const again = await policy.act(inputs, { temperature: 1, seed: 11 });
  assert.deepEqual(out.map((c) => c.completionIds), again.map((c) => c.completionIds));
  for (const c of out) {
    assert.equal(c.completionIds!.length, c.logprobs!.length);
    assert.equal(c.usage.completionTokens, c.completionIds!.length);
    assert.equal(c.usage.promptTokens, c.promptIds!.length);
  }
  const s = sequenceLogprobs(model, out.map((c) => c.promptIds!), out.map((c) => c.completionIds!));
  const lp = s.logprobs.arraySync() as number[][];
  out.forEach((c, b) =>
    c.logprobs!.forEach((x, j) =>
      assert.ok(Math.abs(x - lp[b][j]) < 1e-4, `row ${b} token ${j}: ${x} vs ${lp[b][j]}`)
    )
  );
  s.logprobs.dispose();
  s.mask.dispose();
  policy.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("LapPolicy prompts hold the instructions and the current state only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "msgrpo-lap-" });
  await makeCheckpoint(dir, {
    hidden: 16,
    layers: 1,
    heads: 2,
    kvHeads: 1,
    intermediate: 32,
    tokenizer: "byte",
    seed: 0,
  });
  const tok = await Tokenizer.load(dir);
  const policy = new LapPolicy(await Qwen2Model.load(dir), tok);
  const env = new FrozenLakeEnv({
    mapName: "4x4",
    slippery: false,
    maxSteps: 10,
    renderStyle: "compact",
  });
  env.reset(0);
  const first = policy.promptIds(env.observe());
  env.step([2]);
  env.step([2]);
  const third = policy.promptIds(env.observe());
  assert.equal(third.length, first.length, "the prompt does not grow with the episode");
  const text = tok.decode(third);
  assert.ok(text.startsWith("<|im_start|>system\n"));
  assert.ok(text.endsWith("<|im_start|>assistant\n"));
  assert.equal(text.split("<|im_start|>user").length, 2, "exactly one user turn");
  policy.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("LapPolicy with stop strings ends each answer at the token that completes one, kept", async () => {
  await initBackend();
  const dir = await Deno.makeTempDir({ prefix: "msgrpo-lap-" });
  await makeCheckpoint(dir, {
    hidden: 32,
    layers: 1,
    heads: 2,
    kvHeads: 1,
    intermediate: 32,
    tokenizer: "byte",
    seed: 5,
    initStd: 0.3,
  });
  const model = await Qwen2Model.load(dir);
  const tok = await Tokenizer.load(dir);
  const prompts = Array.from({ length: 16 }, (_, i) => [65 + i, 66, 67]);
  const options = { temperature: 1, seed: 4, maxNewTokens: 10 };
  const free = await new LapPolicy(model, tok).completeIds(prompts, options);
  // a stop string of two printable ASCII tokens (split across tokens), taken from one row's 3rd
  // and 4th token, so that row must end after its 4th token
  const ascii = (id: number) => id >= 32 && id < 127;
  const row = free.findIndex((c) => {
    const ids = c.completionIds!;
    return ids.length >= 4 && ascii(ids[2]) && ascii(ids[3]) &&
      !tok.decode(ids.slice(0, 3)).includes(tok.decode(ids.slice(2, 4)));
  });
  assert.ok(row >= 0, "the seeded model writes two ASCII bytes in a row somewhere");
  const stop = tok.decode(free[row].completionIds!.slice(2, 4));
  const cut = await new LapPolicy(model, tok, { stop: [stop] }).completeIds(prompts, options);
  assert.deepEqual(cut[row].completionIds, free[row].completionIds!.slice(0, 4));
  assert.equal(cut[row].finishReason, "stop");
  assert.ok(cut[row].text.endsWith(stop));
  cut.forEach((c, r) => {
    const ids = c.completionIds!;
    // each row samples from its own stream: a stopped row is a prefix of its free answer
    assert.deepEqual(ids, free[r].completionIds!.slice(0, ids.length), `row ${r}`);
    assert.ok(!tok.decode(ids.slice(0, -1)).includes(stop), `row ${r} ran past its stop string`);
    if (!tok.decode(ids).includes(stop)) assert.deepEqual(ids, free[r].completionIds, `row ${r}`);
  });
  assert.throws(() => new LapPolicy(model, tok, { stop: [""] }), /stop strings must be non-empty/);
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});
