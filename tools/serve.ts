/**
 * Serve a checkpoint as an OpenAI-compatible API:
 *
 * ```
 * deno task serve -- --model DIR [--port 8000] [--host 127.0.0.1] [--model-name NAME]
 *   [--api-key-env VAR] [--backend fast|wasm|cpu|…] [--max-tokens-limit 1024]
 *   [--default-max-tokens 64] [--max-body-bytes 1048576] [--batch-window-ms 5] [--max-batch 32]
 *   [--seed 0]
 * ```
 *
 * Once listening it prints one line on stdout, `serve: listening on http://HOST:PORT/v1 (model
 * NAME)`, so a parent process given `--port 0` can read the port. Binds 127.0.0.1 unless `--host`
 * says otherwise. With `--api-key-env VAR`, requests must send `Authorization: Bearer $VAR`.
 * Chat and completions, whole or streamed (`stream: true`), with `n`, `stop`, `logprobs` and
 * `top_logprobs`; what it supports field by field is in `docs/serving.md`. A checkpoint with more
 * embedding rows than tokenizer tokens never samples the padding ids.
 * SIGINT/SIGTERM stop it after the requests in flight. Exit status: 0 after a signal, 1 on an
 * error, 2 on a usage error.
 *
 * @module
 */
import { c, parseConfigArgs } from "../lib/config/mod.ts";
import { initBackend, parseBackendName } from "../lib/engine/backend.ts";
import { loadPolicy } from "../lib/policy/load.ts";
import { createServer } from "../lib/serve/server.ts";
import { runMain, UsageError } from "../lib/util/main.ts";

const schema = c.object({
  model: c.string({ minLength: 1, doc: "checkpoint folder to serve" }),
  port: c.int({ default: 8000, min: 0, max: 65535, doc: "port (0 = any free port)" }),
  host: c.string({ default: "127.0.0.1", doc: "address to bind" }),
  "model-name": c.string({
    default: "",
    doc: "the model's name in the API (default: folder name)",
  }),
  "api-key-env": c.string({
    default: "",
    doc: "environment variable whose value requests must send as a bearer token",
  }),
  backend: c.string({ default: "auto", doc: "compute backend" }),
  "max-tokens-limit": c.int({ default: 1024, min: 1, doc: "largest max_tokens accepted" }),
  "default-max-tokens": c.int({ default: 64, min: 1, doc: "max_tokens when a request has none" }),
  "max-body-bytes": c.int({ default: 1 << 20, min: 1, doc: "largest request body" }),
  "batch-window-ms": c.int({ default: 5, min: 0, doc: "how long the batcher gathers requests" }),
  "max-batch": c.int({ default: 32, min: 1, doc: "most rows generated together" }),
  seed: c.int({ default: 0, min: 0, doc: "sampling seed of requests without one" }),
});

async function _main(): Promise<number | void> {
  const parsed = parseConfigArgs(schema, Deno.args.filter((a) => a !== "--"), {
    usage: "deno task serve -- --model DIR [flags]",
    description: "Serve a checkpoint as an OpenAI-compatible API (see tools/serve.ts).",
  });
  if (parsed.help !== undefined) {
    console.log(parsed.help);
    return 0;
  }
  const a = parsed.config;
  let apiKey: string | undefined;
  if (a["api-key-env"] !== "") {
    apiKey = Deno.env.get(a["api-key-env"]);
    if (!apiKey) {
      throw new UsageError(`--api-key-env ${a["api-key-env"]}: that variable is not set`);
    }
  }
  let backend;
  try {
    backend = parseBackendName(a.backend);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const opts = {
    hostname: a.host,
    port: a.port,
    apiKey,
    maxTokensLimit: a["max-tokens-limit"],
    defaultMaxTokens: a["default-max-tokens"],
    maxBodyBytes: a["max-body-bytes"],
    windowMs: a["batch-window-ms"],
    maxBatch: a["max-batch"],
    seed: a.seed,
  };
  // Keep stdout for the listening line: tfjs prints notices through console.log.
  const log = console.log;
  console.log = (...a: unknown[]) => console.error(...a);
  let server;
  try {
    await initBackend(backend);
    const name = a["model-name"] || a.model.replace(/\/+$/, "").split("/").pop()!;
    const { policy } = await loadPolicy({ kind: "lap", model: a.model, name });
    server = createServer(policy, { ...opts, modelName: name });
    log(`serve: listening on ${server.url} (model ${name})`);
  } catch (e) {
    console.error(`serve: ${(e as Error).message}`);
    Deno.exit(1);
  }
  const stop = () => {
    server.close().then(() => Deno.exit(0));
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
}

if (import.meta.main) await runMain(_main, "serve");
