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
import { parseArgs } from "node:util";
import { initBackend, parseBackendName } from "../lib/engine/backend.ts";
import { loadPolicy } from "../lib/policy/load.ts";
import { createServer } from "../lib/serve/server.ts";
import { runMain } from "../lib/util/main.ts";

const _USAGE = "usage: deno task serve -- --model DIR [--port N] [--host 127.0.0.1] " +
  "[--model-name NAME] [--api-key-env VAR] [--backend NAME] [--max-tokens-limit N] " +
  "[--default-max-tokens N] [--max-body-bytes N] [--batch-window-ms MS] [--max-batch N] [--seed N]";

function _usage(msg: string): never {
  console.error(`serve: ${msg}\n${_USAGE}`);
  Deno.exit(2);
}

function _int(name: string, v: string | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v.trim()) || Number(v) < min) {
    _usage(`--${name} must be an integer ≥ ${min}, got "${v}"`);
  }
  return Number(v);
}

async function _main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args.filter((a) => a !== "--"),
      options: {
        model: { type: "string" },
        port: { type: "string" },
        host: { type: "string", default: "127.0.0.1" },
        "model-name": { type: "string" },
        "api-key-env": { type: "string" },
        backend: { type: "string" },
        "max-tokens-limit": { type: "string" },
        "default-max-tokens": { type: "string" },
        "max-body-bytes": { type: "string" },
        "batch-window-ms": { type: "string" },
        "max-batch": { type: "string" },
        seed: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (e) {
    _usage((e as Error).message);
  }
  if (values.help) {
    console.log(_USAGE);
    return;
  }
  if (!values.model) _usage("--model is required");
  const port = _int("port", values.port, 8000, 0);
  if (port > 65535) _usage(`--port must be at most 65535, got ${port}`);
  let apiKey: string | undefined;
  if (values["api-key-env"] !== undefined) {
    apiKey = Deno.env.get(values["api-key-env"]);
    if (!apiKey) _usage(`--api-key-env ${values["api-key-env"]}: that variable is not set`);
  }
  let backend;
  try {
    backend = parseBackendName(values.backend);
  } catch (e) {
    _usage((e as Error).message);
  }
  const opts = {
    hostname: values.host,
    port,
    apiKey,
    maxTokensLimit: _int("max-tokens-limit", values["max-tokens-limit"], 1024, 1),
    defaultMaxTokens: _int("default-max-tokens", values["default-max-tokens"], 64, 1),
    maxBodyBytes: _int("max-body-bytes", values["max-body-bytes"], 1 << 20, 1),
    windowMs: _int("batch-window-ms", values["batch-window-ms"], 5, 0),
    maxBatch: _int("max-batch", values["max-batch"], 32, 1),
    seed: _int("seed", values.seed, 0, 0),
  };
  // Keep stdout for the listening line: tfjs prints notices through console.log.
  const log = console.log;
  console.log = (...a: unknown[]) => console.error(...a);
  let server;
  try {
    await initBackend(backend);
    const name = values["model-name"] ?? values.model.replace(/\/+$/, "").split("/").pop()!;
    const { policy } = await loadPolicy({ kind: "lap", model: values.model, name });
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
