/**
 * Serving load: requests per second and p50/p99 latency of `deno task serve` (a child process on
 * a free loopback port, tiny seeded byte-tokenizer checkpoint) with 1 client (the reference) and
 * with N concurrent clients, each sending chat requests (a compact Frozen Lake observation,
 * `max_tokens` 8, temperature 1, a seed per request) back to back. Prints one JSON line per
 * measurement, e.g. `{"clients":16,"requests":256,"req_per_s":…,"p50_ms":…,"p99_ms":…,
 * "mean_batch":…}`, then the throughput ratio N clients / 1 client.
 *
 * Usage: `deno task bench:serve [--clients 16] [--requests 256] [--backend wasm]
 * [--hidden 32] [--layers 2] [--max-tokens 8]`. Bounded: every measurement sends a fixed number
 * of requests, each with a 60 s timeout.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { getScenario } from "../lib/env/scenarios.ts";
import { makeCheckpoint } from "../lib/model/make_model.ts";

const { values } = parseArgs({
  args: Deno.args.filter((a) => a !== "--"),
  options: {
    clients: { type: "string", default: "16" }, // concurrent clients of the main measurement
    requests: { type: "string", default: "256" }, // requests per measurement
    backend: { type: "string", default: "wasm" }, // the server's --backend
    hidden: { type: "string", default: "32" }, // tiny model: hidden size
    layers: { type: "string", default: "2" }, // tiny model: decoder layers
    "max-tokens": { type: "string", default: "8" }, // max_tokens of each request
  },
});
const int = (k: keyof typeof values) => {
  const v = Number(values[k]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`serve_bench: --${k} must be an integer ≥ 1`);
  return v;
};
const [clients, requests, hidden, layers, maxTokens] = [
  int("clients"),
  int("requests"),
  int("hidden"),
  int("layers"),
  int("max-tokens"),
];

const dir = await Deno.makeTempDir();
await makeCheckpoint(dir, {
  hidden,
  layers,
  heads: 4,
  kvHeads: 2,
  intermediate: hidden * 2,
  tokenizer: "byte",
  seed: 7,
});
const sc = getScenario("FrozenLake-NoSlip");
const prompts = sc.episodeSeeds.slice(0, 16).map((s) => {
  const env = sc.makeEnv({ renderStyle: "compact" });
  env.reset(s);
  return env.observe(0);
});

const proc = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    new URL("../tools/serve.ts", import.meta.url).pathname,
    "--model",
    dir,
    "--port",
    "0",
    "--backend",
    values.backend!,
    "--model-name",
    "tiny",
  ],
  stdout: "piped",
  stderr: "inherit",
}).spawn();

async function listening(): Promise<string> {
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  const deadline = setTimeout(() => proc.kill("SIGKILL"), 120_000);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`serve_bench: the server exited before listening:\n${out}`);
      out += value;
      const m = /listening on (http:\/\/\S+\/v1)/.exec(out);
      if (m) {
        reader.releaseLock();
        return m[1];
      }
    }
  } finally {
    clearTimeout(deadline);
  }
}

async function health(base: string): Promise<{ policy_calls: number; rows: number }> {
  return await (await fetch(`${base.replace(/\/v1$/, "")}/health`)).json();
}

async function measure(base: string, nClients: number, nRequests: number) {
  const before = await health(base);
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: nClients }, async () => {
    for (let k = next++; k < nRequests; k = next++) {
      const p = prompts[k % prompts.length];
      const s = performance.now();
      const res = await fetch(`${base}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "tiny",
          messages: [{ role: "system", content: p.system }, { role: "user", content: p.user }],
          max_tokens: maxTokens,
          temperature: 1,
          seed: k,
          logprobs: true,
        }),
        signal: AbortSignal.timeout(60_000),
      });
      if (!res.ok) throw new Error(`serve_bench: HTTP ${res.status}: ${await res.text()}`);
      await res.json();
      latencies.push(performance.now() - s);
    }
  }));
  const wall = (performance.now() - t0) / 1000;
  const after = await health(base);
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return {
    clients: nClients,
    requests: nRequests,
    req_per_s: Number((nRequests / wall).toFixed(1)),
    p50_ms: Number(q(0.5).toFixed(1)),
    p99_ms: Number(q(0.99).toFixed(1)),
    mean_batch: Number(
      ((after.rows - before.rows) / Math.max(1, after.policy_calls - before.policy_calls)).toFixed(
        2,
      ),
    ),
  };
}

try {
  const base = await listening();
  await measure(base, 2, 8); // warm-up (compilation, prompt cache)
  const one = await measure(base, 1, Math.max(8, Math.floor(requests / 4)));
  console.log(JSON.stringify(one));
  const many = await measure(base, clients, requests);
  console.log(JSON.stringify(many));
  console.log(JSON.stringify({
    ratio: `${clients} clients / 1 client`,
    throughput_ratio: Number((many.req_per_s / one.req_per_s).toFixed(2)),
    backend: values.backend,
    hidden,
    layers,
    max_tokens: maxTokens,
  }));
} finally {
  try {
    proc.kill("SIGTERM");
  } catch { /* gone */ }
  await proc.status;
  await proc.stdout.cancel().catch(() => {});
  await Deno.remove(dir, { recursive: true });
}
