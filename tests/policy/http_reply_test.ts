import assert from "node:assert/strict";
import { byteTokenizerFiles, writeTokenizerFiles } from "../../lib/model/byte_tokenizer.ts";
import { Tokenizer } from "../../lib/model/tokenizer.ts";
import { backoffDelay, HttpPolicyError, parseRetryAfter } from "../../lib/policy/http_fetch.ts";
import { ConcurrencyLimit } from "../../lib/policy/http_limit.ts";
import { chatMlPrompt, parseReply } from "../../lib/policy/http_reply.ts";
import { HttpPolicy } from "../../lib/policy/http.ts";
import { Rng } from "../../lib/util/rng.ts";

const ctx = { url: "http://h/v1/chat/completions", status: 200, text: "{}" };

Deno.test("parseReply() reads a vLLM-style chat reply: text, log-probs, token ids, usage", () => {
  const c = parseReply("chat", {
    choices: [{
      message: { role: "assistant", content: "<action>up</action>" },
      logprobs: { content: [{ token: "<", logprob: -0.25 }, { token: "up", logprob: -1 }] },
      finish_reason: "length",
      token_ids: [27, 454],
    }],
    prompt_token_ids: [1, 2, 3, 4],
    usage: { prompt_tokens: 4, completion_tokens: 2 },
  }, ctx);
  assert.deepEqual(c, {
    text: "<action>up</action>",
    finishReason: "length",
    usage: { promptTokens: 4, completionTokens: 2 },
    promptIds: [1, 2, 3, 4],
    completionIds: [27, 454],
    logprobs: [-0.25, -1],
  });
});

Deno.test("parseReply() reads token ids from `token_id:N` tokens and falls back on counted usage", () => {
  const c = parseReply("chat", {
    choices: [{
      message: { content: null },
      logprobs: {
        content: [{ token: "token_id:9", logprob: -2 }, { token: "token_id:4", logprob: -3 }],
      },
    }],
  }, ctx);
  assert.equal(c.text, "");
  assert.equal(c.finishReason, "stop");
  assert.deepEqual(c.completionIds, [9, 4]);
  assert.deepEqual(c.usage, { promptTokens: 0, completionTokens: 2 });
});

Deno.test("parseReply() reads the legacy completions shape", () => {
  const c = parseReply("completions", {
    choices: [{
      text: "ab",
      logprobs: { tokens: ["a", "b"], token_logprobs: [-0.5, -0.75], top_logprobs: null },
      finish_reason: "stop",
    }],
    usage: { prompt_tokens: 7, completion_tokens: 2 },
  }, ctx);
  assert.deepEqual(c, {
    text: "ab",
    finishReason: "stop",
    usage: { promptTokens: 7, completionTokens: 2 },
    logprobs: [-0.5, -0.75],
  });
});

Deno.test("parseReply() names the malformed field, the URL and the reply", () => {
  const cases: [unknown, RegExp][] = [
    [null, /not a JSON object/],
    [{ choices: [{}] }, /choices\[0\]\.message is missing/],
    [
      { choices: [{ message: { content: "x" }, logprobs: { content: [{ logprob: "?" }] } }] },
      /logprobs\.content\[0\]\.logprob/,
    ],
    [
      { choices: [{ message: { content: "x" }, token_ids: [1, -2] }] },
      /token_ids is not an array of token ids/,
    ],
    [
      { choices: [{ message: { content: "x" } }], usage: { prompt_tokens: 1.5 } },
      /usage\.prompt_tokens/,
    ],
  ];
  for (const [body, re] of cases) {
    assert.throws(() => parseReply("chat", body, { ...ctx, text: "REPLY-TEXT" }), (e: unknown) => {
      assert.ok(e instanceof HttpPolicyError);
      assert.match(e.message, re);
      assert.match(e.message, /http:\/\/h\/v1\/chat\/completions/);
      assert.match(e.message, /REPLY-TEXT/);
      return true;
    });
  }
  assert.throws(
    () => parseReply("completions", { choices: [{ text: 3 }] }, ctx),
    /choices\[0\]\.text/,
  );
});

Deno.test("chatMlPrompt() equals the checkpoint's ChatML template with a generation prompt", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeTokenizerFiles(dir, byteTokenizerFiles());
    const tok = await Tokenizer.load(dir);
    const input = { system: "Rules\nhere.", user: "Board:\nS.G" };
    const viaTemplate = tok.applyChatTemplate([
      { role: "system", content: input.system },
      { role: "user", content: input.user },
    ], { addGenerationPrompt: true });
    assert.equal(chatMlPrompt(input), viaTemplate);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseRetryAfter() reads seconds and HTTP dates; backoffDelay() doubles with seeded jitter", () => {
  assert.equal(parseRetryAfter("3"), 3000);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter("soon"), undefined);
  const now = Date.parse("2025-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("Wed, 01 Jan 2025 00:00:05 GMT", now), 5000);
  const o = { backoffMs: 100, maxBackoffMs: 1000 };
  const a = [0, 1, 2, 3, 4, 5].map((k) => backoffDelay(k, o, new Rng(k)));
  const b = [0, 1, 2, 3, 4, 5].map((k) => backoffDelay(k, o, new Rng(k)));
  assert.deepEqual(a, b);
  const caps = [100, 200, 400, 800, 1000, 1000];
  a.forEach((d, k) => assert.ok(d >= caps[k] / 2 && d < caps[k], `retry ${k}: ${d}`));
});

Deno.test("ConcurrencyLimit.run() never exceeds its limit and runs every task", async () => {
  const limit = new ConcurrencyLimit(3);
  let active = 0, peak = 0;
  const out = await Promise.all(Array.from({ length: 12 }, (_, i) =>
    limit.run(async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 2 + (i % 3)));
      active--;
      if (i === 5) throw new Error("task 5");
      return i;
    }).catch((e) => (e as Error).message)));
  assert.equal(peak, 3);
  assert.deepEqual(out, [0, 1, 2, 3, 4, "task 5", 6, 7, 8, 9, 10, 11]);
  assert.equal(limit.active, 0);
  assert.throws(() => new ConcurrencyLimit(0), /integer ≥ 1/);
});

Deno.test("HttpPolicy.requestBody() sends per-row derived seeds and the completions prompt", () => {
  const p = new HttpPolicy({
    baseUrl: "http://127.0.0.1:1/v1/",
    model: "m",
    mode: "completions",
    extraBody: { repetition_penalty: 1 },
  });
  assert.equal(p.url, "http://127.0.0.1:1/v1/completions");
  const x = { system: "S", user: "U" };
  const b0 = p.requestBody(x, { temperature: 0.5, seed: 3, topP: 0.9, topK: 5 }, 0);
  const b1 = p.requestBody(x, { temperature: 0.5, seed: 3 }, 1);
  assert.notEqual(b0.seed, b1.seed);
  assert.equal(b0.prompt, chatMlPrompt(x));
  assert.equal(b0.logprobs, 1);
  assert.equal(b0.top_p, 0.9);
  assert.equal(b0.top_k, 5);
  assert.equal(b0.max_tokens, 64);
  assert.equal(b0.repetition_penalty, 1);
  assert.equal(b1.top_p, undefined);
  assert.throws(() => new HttpPolicy({ baseUrl: "nope", model: "m" }), /not a URL/);
  assert.throws(() => new HttpPolicy({ baseUrl: "http://h/v1", model: "" }), /model/);
});
