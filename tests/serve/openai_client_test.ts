/**
 * Our server driven by the official `openai` npm client (pinned in deno.json): models, chat with
 * log-probs and top alternatives, streaming, `n`, stop strings, errors and concurrent requests,
 * on a checkpoint whose embedding has padding rows (vocab_size 300, 259 tokens).
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import { initBackend } from "../../lib/engine/backend.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import { Tokenizer } from "../../lib/model/tokenizer.ts";
import { LapPolicy } from "../../lib/policy/lap.ts";
import { createServer } from "../../lib/serve/server.ts";
import type { RowHooks, RowOptions, ServedPolicy, ServeInput } from "../../lib/serve/types.ts";
import { makeTinyModel, startServeProcess } from "./_helpers.ts";

/** A random checkpoint with 41 padding rows past its byte tokenizer, as real Qwen2.5 has. */
async function paddedCheckpoint(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "msgrpo-oai-" });
  return makeTinyModel(dir, 11, { vocab: 300, initStd: 0.3 });
}

const MESSAGES = [
  { role: "system" as const, content: "You are terse." },
  { role: "user" as const, content: "Name a move." },
];

async function inProcess() {
  await initBackend();
  const dir = await paddedCheckpoint();
  const model = await Qwen2Model.load(dir, { trainable: false });
  const policy = new LapPolicy(model, await Tokenizer.load(dir), { name: "tiny" });
  const server = createServer(policy, { onError: () => {}, maxTokensLimit: 256 });
  const client = new OpenAI({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
  return {
    server,
    client,
    close: async () => {
      await server.close();
      policy.dispose();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("openai client: a stream joins to the unstreamed answer, chunk by chunk in OpenAI shape", async () => {
  const { client, close } = await inProcess();
  try {
    const req = { model: "tiny", messages: MESSAGES, max_tokens: 24, seed: 5, temperature: 1 };
    const whole = await client.chat.completions.create({ ...req, logprobs: true, top_logprobs: 3 });
    const stream = await client.chat.completions.create({
      ...req,
      logprobs: true,
      top_logprobs: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "", role = "", finish: string | null = null, usage = null, chunks = 0;
    const lps: number[] = [];
    for await (const chunk of stream) {
      chunks++;
      assert.equal(chunk.object, "chat.completion.chunk");
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        assert.equal(c.index, 0);
        role ||= c.delta.role ?? "";
        text += c.delta.content ?? "";
        for (const e of c.logprobs?.content ?? []) {
          lps.push(e.logprob);
          assert.equal(e.top_logprobs.length, 3);
        }
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    const w = whole.choices[0];
    assert.equal(role, "assistant");
    assert.equal(text, w.message.content);
    assert.equal(finish, w.finish_reason);
    assert.ok(chunks >= 3, `${chunks} chunks`);
    assert.deepEqual(lps, w.logprobs!.content!.map((e) => e.logprob));
    assert.deepEqual(usage, whole.usage);
    // The sampled token is among the alternatives whenever its log-prob reaches the third's.
    for (const e of w.logprobs!.content!) {
      const tops = e.top_logprobs.map((t) => t.logprob);
      assert.deepEqual(tops, [...tops].sort((a, b) => b - a));
      if (e.logprob >= tops[2]) assert.ok(e.top_logprobs.some((t) => t.token === e.token));
    }
  } finally {
    await close();
  }
});

Deno.test("openai client: n choices with their own seeds, stop strings cut the text", async () => {
  const { client, close } = await inProcess();
  try {
    const base = { model: "tiny", messages: MESSAGES, max_tokens: 16, seed: 9 };
    const one = await client.chat.completions.create(base);
    const three = await client.chat.completions.create({ ...base, n: 3 });
    assert.deepEqual(three.choices.map((c) => c.index), [0, 1, 2]);
    assert.equal(three.choices[0].message.content, one.choices[0].message.content);
    assert.equal(new Set(three.choices.map((c) => c.message.content)).size, 3);
    assert.equal(three.usage!.prompt_tokens, one.usage!.prompt_tokens);
    // A stop string taken from inside the answer: the text ends just before it.
    const full = one.choices[0].message.content!;
    assert.ok(full.length >= 4, `answer too short to take a stop string from: ${full}`);
    const stop = full.slice(2, 4);
    const cut = await client.chat.completions.create({ ...base, stop: [stop] });
    assert.equal(cut.choices[0].message.content, full.slice(0, full.indexOf(stop)));
    assert.equal(cut.choices[0].finish_reason, "stop");
    const streamed = await client.chat.completions.create({ ...base, stop, stream: true });
    let text = "";
    for await (const ch of streamed) text += ch.choices[0]?.delta.content ?? "";
    assert.equal(text, cut.choices[0].message.content);
  } finally {
    await close();
  }
});

Deno.test("openai client: refused fields raise BadRequestError naming the field", async () => {
  const { client, close } = await inProcess();
  try {
    const cases: [Record<string, unknown>, string][] = [
      [{ top_logprobs: 21, logprobs: true }, "top_logprobs"],
      [{ tools: [{ type: "function", function: { name: "f" } }] }, "tools"],
      [{ frequency_penalty: 1 }, "frequency_penalty"],
      [{ max_completion_tokens: 100_000 }, "max_completion_tokens"],
    ];
    for (const [extra, param] of cases) {
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        client.chat.completions.create({ model: "tiny", messages: MESSAGES, ...extra } as any),
        (e: unknown) => {
          assert.ok(e instanceof OpenAI.BadRequestError, String(e));
          assert.equal(e.param, param);
          assert.match(e.message, new RegExp(param));
          return true;
        },
      );
    }
    await assert.rejects(
      client.chat.completions.create({ model: "other", messages: MESSAGES }),
      OpenAI.NotFoundError,
    );
    const ok = await client.chat.completions.create({
      model: "tiny",
      messages: MESSAGES,
      max_completion_tokens: 3,
    });
    assert.ok(ok.usage!.completion_tokens <= 3);
  } finally {
    await close();
  }
});

/** Emits one token ("a") every 5 ms up to `max_tokens`, through the row hooks; counts what it emitted. */
class SlowPolicy implements ServedPolicy {
  readonly name = "slow";
  emitted: number[] = [];
  async actRows(inputs: ServeInput[], o: RowOptions, _s: number[], hooks?: RowHooks[]) {
    return await Promise.all(inputs.map(async (_, row) => {
      const ids: number[] = [];
      while (ids.length < o.maxNewTokens) {
        await new Promise((r) => setTimeout(r, 5));
        ids.push(97);
        if (hooks?.[row]?.onToken?.({ token: 97, logprob: -0.1 }) === true) break;
      }
      this.emitted.push(ids.length);
      return {
        text: "a".repeat(ids.length),
        completionIds: ids,
        logprobs: ids.map(() => -0.1),
        finishReason: "length" as const,
        usage: { promptTokens: 1, completionTokens: ids.length },
      };
    }));
  }
  decode = (ids: number[]) => "a".repeat(ids.length);
}

Deno.test("a client that leaves mid-stream frees its batch slot", async () => {
  const policy = new SlowPolicy();
  const server = createServer(policy, { onError: () => {}, maxTokensLimit: 400 });
  const client = new OpenAI({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
  try {
    const ac = new AbortController();
    const stream = await client.chat.completions.create({
      model: "slow",
      messages: MESSAGES,
      max_tokens: 400,
      stream: true,
    }, { signal: ac.signal });
    let seen = 0;
    try {
      for await (const _ of stream) if (++seen === 3) ac.abort();
    } catch { /* the client may report the abort as an error */ }
    assert.ok(seen >= 3 && seen < 50, `${seen} chunks read`);
    const t0 = performance.now();
    while (policy.emitted.length === 0 && performance.now() - t0 < 10_000) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(server.stats.batches.aborted, 1);
    assert.ok(policy.emitted[0] < 50, `the row ran on for ${policy.emitted[0]} tokens`);
    // The next request is served in full.
    const next = await client.chat.completions.create({
      model: "slow",
      messages: MESSAGES,
      max_tokens: 20,
    });
    assert.equal(next.choices[0].message.content, "a".repeat(20));
    assert.equal(next.choices[0].finish_reason, "length");
  } finally {
    await server.close();
  }
});

Deno.test("`deno task serve` on a padded checkpoint: list, logprobs, stream, 24 concurrent clients", async () => {
  const dir = await paddedCheckpoint();
  const child = await startServeProcess(dir, ["--model-name", "tiny"]);
  try {
    const client = new OpenAI({ baseURL: child.url, apiKey: "unused", maxRetries: 0 });
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), ["tiny"]);
    const r = await client.chat.completions.create({
      model: "tiny",
      messages: MESSAGES,
      max_tokens: 32,
      temperature: 1,
      seed: 1,
      logprobs: true,
      top_logprobs: 5,
    });
    const content = r.choices[0].logprobs!.content!;
    assert.equal(content.length, r.usage!.completion_tokens);
    assert.ok(content.every((e) => e.top_logprobs.length === 5 && e.logprob <= 0));
    let streamed = "";
    const s = await client.chat.completions.create({
      model: "tiny",
      messages: MESSAGES,
      max_tokens: 32,
      temperature: 1,
      seed: 1,
      stream: true,
    });
    for await (const ch of s) streamed += ch.choices[0]?.delta.content ?? "";
    assert.equal(streamed, r.choices[0].message.content);
    const many = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        i % 2 === 0
          ? client.chat.completions.create({
            model: "tiny",
            messages: MESSAGES,
            max_tokens: 16,
            seed: i,
            logprobs: true,
          }).then((x) => x.choices[0].message.content ?? "")
          : (async () => {
            let t = "";
            const st = await client.chat.completions.create({
              model: "tiny",
              messages: MESSAGES,
              max_tokens: 16,
              seed: i,
              stream: true,
            });
            for await (const ch of st) t += ch.choices[0]?.delta.content ?? "";
            return t;
          })()),
    );
    assert.equal(many.length, 24);
    const health = await (await fetch(child.url.replace(/\/v1$/, "/health"))).json();
    assert.equal(health.status, "ok");
    assert.ok(health.max_batch > 1, `largest batch ${health.max_batch}`);
  } finally {
    assert.equal(await child.stop(), 0);
    await Deno.remove(dir, { recursive: true });
  }
});
