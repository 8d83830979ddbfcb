import assert from "node:assert/strict";
import { initBackend } from "../../lib/engine/backend.ts";
import { getScenario } from "../../lib/env/scenarios.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";
import { Tokenizer } from "../../lib/model/tokenizer.ts";
import { HttpPolicy } from "../../lib/policy/http.ts";
import { LapPolicy } from "../../lib/policy/lap.ts";
import type { Policy } from "../../lib/policy/types.ts";
import { evaluateScenario } from "../../lib/rollout/evaluate.ts";
import { playEpisodes } from "../../lib/rollout/play.ts";
import { createServer } from "../../lib/serve/server.ts";
import { makeTinyModel, startServeProcess } from "./_helpers.ts";

const TOL = 1e-4;

function close(a: number[], b: number[], what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < TOL, `${what}[${i}]: ${x} vs ${b[i]}`));
}

async function play(policy: Policy, episodes: number, temperature: number) {
  const sc = getScenario("FrozenLake-NoSlip");
  const specs = sc.episodeSeeds.slice(0, episodes).map((s) => ({
    env: sc.makeEnv({ renderStyle: "compact" }),
    initialStateSeed: s,
    dynamicsSeed: s,
  }));
  return await playEpisodes(specs, policy, {
    temperature,
    seed: 5,
    maxNewTokens: 6,
    formatPenalty: 0,
  });
}

Deno.test("HttpPolicy against `deno task serve` in another process plays the same episodes as LapPolicy", async () => {
  const dir = await Deno.makeTempDir();
  const server = await (async () => {
    await makeTinyModel(dir);
    return await startServeProcess(dir, ["--model-name", "tiny"]);
  })();
  let lap: LapPolicy | undefined;
  try {
    await initBackend("wasm");
    lap = new LapPolicy(
      await Qwen2Model.load(dir, { trainable: false }),
      await Tokenizer.load(dir),
    );
    for (const mode of ["chat", "completions"] as const) {
      const http = new HttpPolicy({ baseUrl: server.url, model: "tiny", mode, concurrency: 8 });
      const local = await play(lap, 3, 1);
      const remote = await play(http, 3, 1);
      let steps = 0;
      local.episodes.forEach((e, k) => {
        const r = remote.episodes[k];
        assert.equal(r.steps.length, e.steps.length, `${mode} episode ${k}: length`);
        e.steps.forEach((s, t) => {
          const q = r.steps[t];
          const where = `${mode} episode ${k} step ${t}`;
          assert.equal(q.action, s.action, `${where}: action`);
          assert.equal(q.valid, s.valid, `${where}: valid`);
          assert.equal(q.completionText, s.completionText, `${where}: text`);
          assert.deepEqual(q.completionIds, s.completionIds, `${where}: completion ids`);
          assert.deepEqual(q.promptIds, s.promptIds, `${where}: prompt ids`);
          close(q.oldLogprobs, s.oldLogprobs, `${where}: logprobs`);
          steps++;
        });
      });
      assert.ok(steps >= 3, `${steps} steps compared`);
      assert.equal(remote.stats.completionTokens, local.stats.completionTokens);
      assert.equal(remote.stats.promptTokens, local.stats.promptTokens);
      // Sampling really is seeded per row: the answers are not all the same.
      const texts = new Set(local.episodes.flatMap((e) => e.steps.map((s) => s.completionText)));
      assert.ok(texts.size > 1, "all completions identical");
    }
    // Greedy evaluation gives identical eval rows.
    const http = new HttpPolicy({ baseUrl: server.url, model: "tiny" });
    const sc = getScenario("FrozenLake-NoSlip");
    const opts = {
      iteration: 0,
      temperature: 0,
      seed: 1,
      maxNewTokens: 4,
      limit: 2,
      renderStyle: "compact" as const,
    };
    const a = await evaluateScenario(lap, sc, opts);
    const b = await evaluateScenario(http, sc, opts);
    assert.deepEqual(b.rows, a.rows);
  } finally {
    lap?.dispose();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createServer() over a LapPolicy: a seeded request gives the same answer alone and batched", async () => {
  const dir = await Deno.makeTempDir();
  await makeTinyModel(dir, 11);
  await initBackend("wasm");
  const lap = new LapPolicy(
    await Qwen2Model.load(dir, { trainable: false }),
    await Tokenizer.load(dir),
  );
  const server = createServer(lap, { windowMs: 20, modelName: "tiny" });
  try {
    const ask = async (user: string, seed: number) => {
      const res = await fetch(`${server.url}/chat/completions`, {
        method: "POST",
        body: JSON.stringify({
          messages: [{ role: "system", content: "Play." }, { role: "user", content: user }],
          seed,
          temperature: 1,
          max_tokens: 8,
          logprobs: true,
        }),
      });
      const j = await res.json();
      return {
        ids: j.choices[0].token_ids as number[],
        lps: (j.choices[0].logprobs.content as { logprob: number }[]).map((x) => x.logprob),
      };
    };
    const alone = await ask("state A", 42);
    const calls = server.stats.batches.calls;
    const batch = await Promise.all([
      ask("state B, longer prompt", 1),
      ask("state A", 42),
      ask("C", 2),
      ask("state A", 43),
    ]);
    assert.ok(server.stats.batches.calls - calls < 4, "the four requests were batched");
    assert.deepEqual(batch[1].ids, alone.ids);
    close(batch[1].lps, alone.lps, "logprobs");
    assert.notDeepEqual(batch[3].ids, alone.ids, "another seed gives another sample");
    // The same as the in-process policy's row 0 with seed s when the request sends deriveSeed(s, 0).
    const [c] = await lap.act([{ system: "Play.", user: "state A" }], {
      temperature: 1,
      seed: 9,
      maxNewTokens: 8,
    });
    const viaHttp = await new HttpPolicy({ baseUrl: server.url, model: "tiny" }).act(
      [{ system: "Play.", user: "state A" }],
      { temperature: 1, seed: 9, maxNewTokens: 8 },
    );
    assert.deepEqual(viaHttp[0].completionIds, c.completionIds);
    assert.equal(viaHttp[0].text, c.text);
  } finally {
    await server.close();
    lap.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
