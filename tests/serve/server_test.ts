import assert from "node:assert/strict";
import type { ActOptions, Completion, Policy, PolicyInput } from "../../lib/policy/types.ts";
import { HttpPolicy, HttpPolicyError } from "../../lib/policy/http.ts";
import { RandomPolicy } from "../../lib/policy/scripted.ts";
import { createServer, type ServeOptions } from "../../lib/serve/server.ts";
import type { RowOptions, ServedPolicy, ServeInput } from "../../lib/serve/types.ts";
import { sleep } from "./_helpers.ts";

/** Echoes each row's user text and seed after a delay; counts calls and batch sizes. */
class EchoPolicy implements ServedPolicy {
  readonly name = "echo";
  calls: number[] = [];
  fail = false;
  constructor(readonly delayMs = 20) {}
  async actRows(inputs: ServeInput[], o: RowOptions, seeds: number[]): Promise<Completion[]> {
    this.calls.push(inputs.length);
    await sleep(this.delayMs);
    if (this.fail) throw new Error("echo broke");
    return inputs.map((x, i) => {
      const text = "messages" in x ? x.messages.at(-1)!.content : "prompt" in x ? x.prompt : "";
      return {
        text: `${text}|${seeds[i]}|${o.temperature}`,
        promptIds: [1, 2, 3],
        completionIds: [7, 8],
        logprobs: [-0.5, -1.5],
        finishReason: "stop" as const,
        usage: { promptTokens: 3, completionTokens: 2 },
      };
    });
  }
}

function serve(policy: Policy | ServedPolicy, opts: ServeOptions = {}) {
  return createServer(policy, { onError: () => {}, ...opts });
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

const chat = (user: string, extra: Record<string, unknown> = {}) => ({
  model: "echo",
  messages: [{ role: "system", content: "S" }, { role: "user", content: user }],
  ...extra,
});

Deno.test("createServer() batches concurrent clients into fewer policy calls, each row its own answer", async () => {
  const policy = new EchoPolicy(30);
  const server = serve(policy, { windowMs: 10, maxBatch: 8 });
  try {
    const n = 24;
    const replies = await Promise.all(
      Array.from(
        { length: n },
        (_, i) =>
          post(
            `${server.url}/chat/completions`,
            chat(`u${i}`, { seed: 1000 + i, temperature: 0.7 }),
          ),
      ),
    );
    for (let i = 0; i < n; i++) {
      assert.equal(replies[i].status, 200, replies[i].text);
      const c = (replies[i].json.choices as Record<string, unknown>[])[0];
      assert.equal((c.message as { content: string }).content, `u${i}|${1000 + i}|0.7`);
      assert.deepEqual(c.token_ids, [7, 8]);
    }
    const calls = policy.calls.length;
    assert.ok(calls < n, `${calls} policy calls for ${n} requests`);
    assert.ok(Math.max(...policy.calls) <= 8, `batches ${policy.calls}`);
    assert.equal(policy.calls.reduce((a, b) => a + b, 0), n);
    assert.equal(server.stats.batches.calls, calls);
    assert.equal(server.stats.ok, n);
  } finally {
    await server.close();
  }
});

Deno.test("createServer() batches only requests with equal sampling settings", async () => {
  const policy = new EchoPolicy(10);
  const server = serve(policy, { windowMs: 20 });
  try {
    const temps = [0, 1, 0, 1, 0.5, 0];
    const replies = await Promise.all(
      temps.map((t, i) =>
        post(`${server.url}/chat/completions`, chat(`u${i}`, { seed: i, temperature: t }))
      ),
    );
    replies.forEach((r, i) => {
      const c = (r.json.choices as { message: { content: string } }[])[0];
      assert.equal(c.message.content, `u${i}|${i}|${temps[i]}`);
    });
    assert.deepEqual([...policy.calls].sort(), [1, 2, 3]);
  } finally {
    await server.close();
  }
});

Deno.test("createServer() answers chat and completions in OpenAI shape with log-probs and ids", async () => {
  const server = serve(new EchoPolicy(0));
  try {
    const r = await post(`${server.url}/chat/completions`, chat("hi", { logprobs: true, seed: 5 }));
    assert.equal(r.status, 200);
    assert.equal(r.json.object, "chat.completion");
    assert.equal(r.json.model, "echo");
    const c = (r.json.choices as Record<string, unknown>[])[0];
    assert.deepEqual(c.logprobs, {
      content: [
        {
          token: "token_id:7",
          logprob: -0.5,
          bytes: [...new TextEncoder().encode("token_id:7")],
          top_logprobs: [],
        },
        {
          token: "token_id:8",
          logprob: -1.5,
          bytes: [...new TextEncoder().encode("token_id:8")],
          top_logprobs: [],
        },
      ],
    });
    assert.equal(c.finish_reason, "stop");
    assert.deepEqual(r.json.prompt_token_ids, [1, 2, 3]);
    assert.deepEqual(r.json.usage, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    const noLp = await post(`${server.url}/chat/completions`, chat("hi"));
    assert.equal((noLp.json.choices as Record<string, unknown>[])[0].logprobs, null);

    const t = await post(`${server.url}/completions`, { prompt: "raw", logprobs: 0, seed: 9 });
    assert.equal(t.status, 200);
    const tc = (t.json.choices as Record<string, unknown>[])[0];
    assert.equal(tc.text, "raw|9|1");
    assert.deepEqual(tc.logprobs, {
      tokens: ["token_id:7", "token_id:8"],
      token_logprobs: [-0.5, -1.5],
      top_logprobs: null,
      text_offset: [0, 10],
    });
    const models = await (await fetch(`${server.url}/models`)).json();
    assert.deepEqual(models.data.map((m: { id: string }) => m.id), ["echo"]);
    const health = await fetch(`${server.url.replace(/\/v1$/, "")}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("createServer() refuses bad requests with 4xx and a reason, and keeps serving", async () => {
  const server = serve(new EchoPolicy(0), { maxBodyBytes: 2000, maxTokensLimit: 16 });
  const url = `${server.url}/chat/completions`;
  try {
    const cases: [unknown, number, RegExp][] = [
      ['{"messages": [', 400, /malformed JSON/],
      ["[1, 2]", 400, /must be a JSON object/],
      [chat("x", { temperature: -1 }), 400, /temperature must be a number ≥ 0, got -1/],
      [chat("x", { top_p: 2 }), 400, /top_p must be a number in \(0, 1\]/],
      [chat("x", { max_tokens: 17 }), 400, /max_tokens must be an integer in \[1, 16\], got 17/],
      [chat("x", { max_tokens: 0 }), 400, /max_tokens/],
      [chat("x", { n: 17 }), 400, /^n must be an integer in \[1, 16\], got 17/],
      [chat("x", { stream: "yes" }), 400, /stream must be a boolean/],
      [chat("x", { stream_options: { include_usage: true } }), 400, /stream_options is only/],
      [chat("x", { seed: 1.5 }), 400, /seed must be an integer/],
      [chat("x", { stop: ["a", "b", "c", "d", "e"] }), 400, /stop has 5 strings; at most 4/],
      [chat("x", { stop: [""] }), 400, /stop must be a non-empty string/],
      [chat("x", { top_logprobs: 2 }), 400, /top_logprobs needs logprobs: true/],
      [chat("x", { logprobs: true, top_logprobs: 21 }), 400, /top_logprobs must be .*\[0, 20\]/],
      [chat("x", { tools: [{ type: "function" }] }), 400, /^tools is not supported/],
      [chat("x", { response_format: { type: "json_object" } }), 400, /^response_format is not/],
      [chat("x", { logit_bias: { "5": 1 } }), 400, /^logit_bias is not supported/],
      [chat("x", { presence_penalty: 0.5 }), 400, /^presence_penalty must be 0/],
      [chat("x", { model: "gpt-9" }), 404, /"gpt-9" is not served here/],
      [{ messages: [{ role: "robot", content: "x" }] }, 400, /messages\[0\]\.role/],
      [{ messages: [] }, 400, /messages must be a non-empty array/],
      [chat("x".repeat(3000)), 413, /exceeds the limit of 2000/],
    ];
    for (const [body, status, why] of cases) {
      const r = await post(url, body);
      assert.equal(r.status, status, `${JSON.stringify(body).slice(0, 60)} → ${r.text}`);
      const err = r.json.error as { message: string };
      assert.match(err.message, why);
    }
    const get = await fetch(url);
    assert.equal(get.status, 405);
    await get.body?.cancel();
    const lost = await post(`${server.url}/embeddings`, {});
    assert.equal(lost.status, 404);
    const ok = await post(url, chat("still here", { seed: 1 }));
    assert.equal(ok.status, 200);
    assert.equal(server.stats.failed, 0);
    assert.equal(server.stats.rejected, cases.length + 2);
  } finally {
    await server.close();
  }
});

Deno.test("createServer() answers 500 for a failing batch and keeps serving", async () => {
  const policy = new EchoPolicy(0);
  const server = serve(policy);
  try {
    policy.fail = true;
    const bad = await post(`${server.url}/chat/completions`, chat("x"));
    assert.equal(bad.status, 500);
    assert.match((bad.json.error as { message: string }).message, /echo broke/);
    policy.fail = false;
    assert.equal((await post(`${server.url}/chat/completions`, chat("y"))).status, 200);
  } finally {
    await server.close();
  }
});

Deno.test("createServer() with an API key: 401 without or with a wrong key, HttpPolicy does not retry", async () => {
  const server = serve(new EchoPolicy(0), { apiKey: "sekret" });
  const url = `${server.url}/chat/completions`;
  try {
    assert.equal((await post(url, chat("x"))).status, 401);
    assert.equal((await post(url, chat("x"), { authorization: "Bearer nope" })).status, 401);
    assert.equal((await post(url, chat("x"), { authorization: "Bearer sekret" })).status, 200);
    const health = await fetch(`${server.url.replace(/\/v1$/, "")}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    const before = server.stats.requests;
    const policy = new HttpPolicy({ baseUrl: server.url, model: "echo", apiKey: "nope" });
    await assert.rejects(
      policy.act([{ system: "s", user: "u" }], { temperature: 0, seed: 0 }),
      (e: unknown) => e instanceof HttpPolicyError && /HTTP 401/.test(e.message),
    );
    assert.equal(server.stats.requests, before + 1);
    const good = new HttpPolicy({ baseUrl: server.url, model: "echo", apiKey: "sekret" });
    const [c] = await good.act([{ system: "s", user: "u" }], { temperature: 0, seed: 0 });
    assert.equal(c.text.split("|")[0], "u");
    assert.deepEqual(c.logprobs, [-0.5, -1.5]);
    assert.deepEqual(c.completionIds, [7, 8]);
  } finally {
    await server.close();
  }
});

Deno.test("createServer() serves a plain Policy one request per act call, with the request's seed", async () => {
  const calls: [number, number][] = [];
  const plain: Policy = {
    name: "plain",
    act: (inputs: PolicyInput[], o: ActOptions) => {
      calls.push([inputs.length, o.seed]);
      return Promise.resolve(inputs.map((x) => ({
        text: `${x.system}/${x.user}/${o.seed}`,
        finishReason: "stop" as const,
        usage: { promptTokens: 0, completionTokens: 0 },
      })));
    },
  };
  const ps = serve(plain);
  try {
    const replies = await Promise.all(
      [11, 12, 13].map((seed) =>
        post(`${ps.url}/chat/completions`, { ...chat(`u${seed}`, { seed }), model: "plain" })
      ),
    );
    assert.deepEqual(
      replies.map((r) => (r.json.choices as { message: { content: string } }[])[0].message.content),
      ["S/u11/11", "S/u12/12", "S/u13/13"],
    );
    assert.deepEqual(calls.sort(), [[1, 11], [1, 12], [1, 13]]);
    const raw = await post(`${ps.url}/completions`, { prompt: "p", seed: 4 });
    assert.equal((raw.json.choices as { text: string }[])[0].text, "/p/4");
  } finally {
    await ps.close();
  }
  const server = serve(new RandomPolicy());
  try {
    // RandomPolicy needs the environment with each input: the failure is a 500 with its reason.
    const r = await post(`${server.url}/chat/completions`, {
      messages: [{ role: "user", content: "x" }],
    });
    assert.equal(r.status, 500);
    assert.match((r.json.error as { message: string }).message, /input\.env/);
    const multi = await post(`${server.url}/chat/completions`, {
      messages: [
        { role: "user", content: "a" },
        { role: "assistant", content: "b" },
        { role: "user", content: "c" },
      ],
    });
    assert.equal(multi.status, 400);
    assert.match((multi.json.error as { message: string }).message, /one user message/);
  } finally {
    await server.close();
  }
});
