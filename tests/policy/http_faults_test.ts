import assert from "node:assert/strict";
import { HttpPolicy, HttpPolicyError } from "../../lib/policy/http.ts";
import type { PolicyInput } from "../../lib/policy/types.ts";
import { chatJson, fakeServer, sleep } from "../serve/_helpers.ts";

const input: PolicyInput = { system: "Rules.", user: "State." };
const act = { temperature: 0.5, seed: 3, maxNewTokens: 8 };

async function rejects(p: Promise<unknown>): Promise<HttpPolicyError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof HttpPolicyError, `expected HttpPolicyError, got ${e}`);
    return e;
  }
  assert.fail("expected a rejection");
}

Deno.test("HttpPolicy.act() waits as long as a 429's Retry-After asks, then succeeds", async () => {
  const srv = fakeServer((_b, n) =>
    n === 0
      ? new Response("slow down", { status: 429, headers: { "retry-after": "1" } })
      : chatJson("<action>left</action>")
  );
  try {
    // The back-off alone would wait ≥ 5 s: only Retry-After explains a wait near 1 s.
    const policy = new HttpPolicy({
      baseUrl: srv.url,
      model: "m",
      backoffMs: 10_000,
      maxBackoffMs: 10_000,
    });
    const t0 = performance.now();
    const [c] = await policy.act([input], act);
    const waited = performance.now() - t0;
    assert.equal(c.text, "<action>left</action>");
    assert.deepEqual(c.usage, { promptTokens: 11, completionTokens: 3 });
    assert.equal(srv.count(), 2);
    assert.ok(waited >= 950 && waited < 4000, `waited ${waited} ms`);
  } finally {
    await srv.close();
  }
});

Deno.test("HttpPolicy.act() retries 5xx with back-off and sends the same request again", async () => {
  const srv = fakeServer((_b, n) =>
    n < 2 ? new Response("overloaded", { status: 503 }) : chatJson("ok")
  );
  try {
    const policy = new HttpPolicy({ baseUrl: srv.url, model: "m", backoffMs: 5, maxRetries: 3 });
    const [c] = await policy.act([input], act);
    assert.equal(c.text, "ok");
    assert.equal(srv.count(), 3);
    assert.deepEqual(srv.bodies[0], srv.bodies[2]);
    const b = srv.bodies[0] as Record<string, unknown>;
    assert.equal(b.model, "m");
    assert.equal(b.temperature, 0.5);
    assert.equal(b.max_tokens, 8);
    assert.equal(b.logprobs, true);
    assert.deepEqual(b.messages, [
      { role: "system", content: "Rules." },
      { role: "user", content: "State." },
    ]);
  } finally {
    await srv.close();
  }
});

Deno.test("HttpPolicy.act() gives up after the retries with an error naming URL, status and reply", async () => {
  const srv = fakeServer(() => new Response("upstream exploded", { status: 500 }));
  try {
    const policy = new HttpPolicy({ baseUrl: srv.url, model: "m", backoffMs: 1, maxRetries: 2 });
    const e = await rejects(policy.act([input], act));
    assert.equal(srv.count(), 3);
    assert.match(e.message, new RegExp(`${srv.url}/chat/completions`));
    assert.match(e.message, /HTTP 500/);
    assert.match(e.message, /after 3 attempts/);
    assert.match(e.message, /upstream exploded/);
    assert.equal(e.info.status, 500);
  } finally {
    await srv.close();
  }
});

Deno.test("HttpPolicy.act() does not retry a 401 and names the key's variable", async () => {
  const srv = fakeServer((_b, _n, req) =>
    req.headers.get("authorization") === "Bearer right"
      ? chatJson("ok")
      : Response.json({ error: { message: "bad key" } }, { status: 401 })
  );
  try {
    Deno.env.set("MSGRPO_TEST_KEY", "wrong");
    const policy = new HttpPolicy({ baseUrl: srv.url, model: "m", apiKeyEnv: "MSGRPO_TEST_KEY" });
    const e = await rejects(policy.act([input], act));
    assert.equal(srv.count(), 1);
    assert.match(e.message, /HTTP 401/);
    assert.match(e.message, /\$MSGRPO_TEST_KEY/);
    assert.match(e.message, /bad key/);
    Deno.env.set("MSGRPO_TEST_KEY", "right");
    const good = new HttpPolicy({ baseUrl: srv.url, model: "m", apiKeyEnv: "MSGRPO_TEST_KEY" });
    assert.equal((await good.act([input], act))[0].text, "ok");
  } finally {
    Deno.env.delete("MSGRPO_TEST_KEY");
    await srv.close();
  }
});

Deno.test("HttpPolicy.act() reports garbage and truncated JSON without retrying", async () => {
  const replies = [
    "<html>502 Bad Gateway</html>",
    '{"choices":[{"message":{"content":"hel',
    '{"choices":[]}',
    '{"choices":[{"message":{"content":7}}]}',
  ];
  const expected = [/not JSON/, /not JSON/, /no choices\[0\]/, /message\.content is not a string/];
  const srv = fakeServer((_b, n) =>
    new Response(replies[n], { headers: { "content-type": "application/json" } })
  );
  try {
    for (let k = 0; k < replies.length; k++) {
      const policy = new HttpPolicy({ baseUrl: srv.url, model: "m", backoffMs: 1 });
      const e = await rejects(policy.act([input], act));
      assert.match(e.message, expected[k]);
      assert.match(e.message, /HTTP 200/);
      assert.ok(e.message.includes(JSON.stringify(replies[k]).slice(1, 20)), e.message);
      assert.equal(srv.count(), k + 1, "no retry of a malformed reply");
    }
  } finally {
    await srv.close();
  }
});

Deno.test("HttpPolicy.act() times out slow replies, retries, then fails clearly", async () => {
  const stop = new AbortController();
  const srv = fakeServer(async () => {
    await sleep(3000, stop.signal);
    return chatJson("late");
  });
  try {
    const policy = new HttpPolicy({
      baseUrl: srv.url,
      model: "m",
      timeoutMs: 150,
      maxRetries: 1,
      backoffMs: 1,
    });
    const t0 = performance.now();
    const e = await rejects(policy.act([input], act));
    const took = performance.now() - t0;
    assert.match(e.message, /no reply within 150 ms/);
    assert.match(e.message, /after 2 attempts/);
    assert.ok(took >= 300 && took < 2500, `took ${took} ms`);
  } finally {
    stop.abort();
    await srv.close();
  }
});

Deno.test("HttpPolicy.act() retries refused connections, then names the server", async () => {
  const srv = fakeServer(() => chatJson("never"));
  await srv.close(); // nothing listens on that port any more
  const policy = new HttpPolicy({ baseUrl: srv.url, model: "m", maxRetries: 2, backoffMs: 5 });
  const e = await rejects(policy.act([input, input], act));
  assert.match(e.message, /connection failed/);
  assert.match(e.message, /after 3 attempts/);
  assert.ok(e.message.includes(srv.url));
});

Deno.test("HttpPolicy.act() keeps at most `concurrency` requests in flight and keeps row order", async () => {
  let inFlight = 0, peak = 0;
  const srv = fakeServer(async (body) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await sleep(25);
    inFlight--;
    const b = body as { seed: number; messages: { content: string }[] };
    return chatJson(`${b.messages[1].content}:${b.seed}`);
  });
  try {
    const policy = new HttpPolicy({ baseUrl: srv.url, model: "m", concurrency: 3 });
    const inputs = Array.from({ length: 10 }, (_, i) => ({ system: "s", user: `u${i}` }));
    const out = await policy.act(inputs, act);
    assert.equal(peak, 3);
    const seeds = inputs.map((_, i) => (policy.requestBody(inputs[i], act, i).seed as number));
    assert.equal(new Set(seeds).size, 10);
    assert.deepEqual(out.map((c) => c.text), inputs.map((x, i) => `${x.user}:${seeds[i]}`));
  } finally {
    await srv.close();
  }
});

Deno.test("HttpPolicy.act() reads a vLLM reply with `logprobs: null` as text without log-probs", async () => {
  // What vLLM answers when it ignores or caps log-probs: nulls where ours has values.
  const srv = fakeServer(() =>
    chatJson("<action>down</action>", {
      id: "chatcmpl-vllm",
      choices: [{
        index: 0,
        message: { role: "assistant", content: "<action>down</action>", tool_calls: [] },
        logprobs: null,
        finish_reason: "stop",
        stop_reason: null,
        token_ids: null,
      }],
      prompt_logprobs: null,
      prompt_token_ids: null,
    })
  );
  try {
    const policy = new HttpPolicy({ baseUrl: srv.url, model: "m" });
    const [c] = await policy.act([input], act);
    assert.equal(c.text, "<action>down</action>");
    assert.equal(c.finishReason, "stop");
    assert.equal(c.logprobs, undefined);
    assert.equal(c.completionIds, undefined);
    assert.deepEqual(c.usage, { promptTokens: 11, completionTokens: 3 });
    assert.equal(srv.count(), 1);
  } finally {
    await srv.close();
  }
});
