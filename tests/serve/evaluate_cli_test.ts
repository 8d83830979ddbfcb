import assert from "node:assert/strict";
import { readTable } from "../../lib/log/read.ts";
import { chatJson, fakeServer, spawnTool } from "./_helpers.ts";

Deno.test("evaluate --policy oracle writes the eval table, its usage and the policy in meta.json", async () => {
  const dir = await Deno.makeTempDir();
  const run = `${dir}/oracle`;
  try {
    const child = spawnTool("tools/evaluate.ts", [
      "--policy",
      "oracle",
      "--scenarios",
      "FrozenLake-NoSlip",
      "--episodes",
      "5",
      "--run-dir",
      run,
    ]);
    const code = (await child.status).code;
    assert.equal(code, 0, child.stderr());
    assert.equal(child.stdout().trim(), run);
    const t = readTable(`${run}/eval.arrow`);
    assert.equal(t.numRows(), 5);
    const rows = t.objects() as { iteration: number; success: boolean; optimal_success: number }[];
    for (const r of rows) {
      assert.equal(r.iteration, 0);
      assert.equal(r.success, r.optimal_success === 1); // not slippery: the oracle attains the optimum
    }
    const usage = readTable(`${run}/eval_usage.arrow`).objects() as Record<string, unknown>[];
    assert.equal(usage.length, 1);
    assert.equal(usage[0].policy, "oracle");
    assert.equal(usage[0].episodes, 5);
    assert.equal(usage[0].prompt_tokens, 0);
    const meta = JSON.parse(await Deno.readTextFile(`${run}/meta.json`));
    assert.deepEqual(meta.policy, { kind: "oracle", name: "oracle" });
    assert.equal(meta.evaluation.temperature, 0.5);
    assert.deepEqual(meta.evaluation.scenarios, ["FrozenLake-NoSlip"]);
    assert.equal(meta.usage.episodes, 5);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluate --policy http: the server dies mid-evaluation → retries, a clear error, finished scenarios kept", async () => {
  const dir = await Deno.makeTempDir();
  const run = `${dir}/http`;
  let lakeRequests = 0;
  const srv = fakeServer((body) => {
    const b = body as { messages: { content: string }[] };
    if (!b.messages[0].content.includes("Snake")) {
      lakeRequests++;
      return chatJson("<action>right</action>");
    }
    // The server dies while answering: it stops listening and the reply breaks off.
    srv.close();
    return new Response(
      new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode('{"choices":[{"mess'));
          c.error(new Error("killed"));
        },
      }),
      { headers: { "content-type": "application/json" } },
    );
  });
  try {
    const child = spawnTool("tools/evaluate.ts", [
      "--policy",
      "http",
      "--base-url",
      srv.url,
      "--model-name",
      "big",
      "--scenarios",
      "FrozenLake-NoSlip,Snake-8",
      "--episodes",
      "3",
      "--retries",
      "2",
      "--backoff-ms",
      "20",
      "--run-dir",
      run,
    ]);
    const code = (await child.status).code;
    const err = child.stderr();
    assert.equal(code, 1, err);
    assert.ok(err.includes(`${srv.url}/chat/completions`), err);
    assert.match(err, /connection failed/);
    assert.match(err, /after 3 attempts/);
    assert.match(err, /FrozenLake-NoSlip: success/);
    const t = readTable(`${run}/eval.arrow`);
    assert.deepEqual(t.array("scenario"), [
      "FrozenLake-NoSlip",
      "FrozenLake-NoSlip",
      "FrozenLake-NoSlip",
    ]);
    const usage = readTable(`${run}/eval_usage.arrow`).objects() as Record<string, unknown>[];
    assert.equal(usage.length, 1);
    assert.equal(usage[0].policy, "http:big");
    assert.equal(usage[0].prompt_tokens, 11 * lakeRequests); // the fake reports 11 and 3 per reply
    assert.equal(usage[0].completion_tokens, 3 * lakeRequests);
    const meta = JSON.parse(await Deno.readTextFile(`${run}/meta.json`));
    assert.equal(meta.policy.kind, "http");
    assert.equal(meta.policy.base_url, srv.url);
    assert.equal(meta.policy.model_name, "big");
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluate refuses an unknown scenario with a usage error", async () => {
  const child = spawnTool("tools/evaluate.ts", [
    "--policy",
    "random",
    "--scenarios",
    "FrozenLake-Nope",
    "--run-dir",
    "/nonexistent/never-written",
  ]);
  const code = (await child.status).code;
  assert.equal(code, 2);
  assert.match(child.stderr(), /unknown scenario "FrozenLake-Nope"; known: FrozenLake-NoSlip/);
});
