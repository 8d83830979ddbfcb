/**
 * Test helpers: a tiny seeded checkpoint, our server as a child process on a free loopback port,
 * small fake OpenAI servers, and child processes of the command-line tools.
 */
import { makeCheckpoint } from "../../lib/model/make_model.ts";

const _ROOT = new URL("../../", import.meta.url).pathname;

/**
 * Write the tiny byte-tokenizer checkpoint every serve test uses.
 *
 * @param dir the folder.
 * @param seed the weights' seed.
 * @param extra other checkpoint options (e.g. `vocab` beyond the tokenizer for padding rows).
 * @returns `dir`.
 */
export async function makeTinyModel(
  dir: string,
  seed = 7,
  extra: { vocab?: number; initStd?: number } = {},
): Promise<string> {
  await makeCheckpoint(dir, {
    hidden: 32,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    intermediate: 64,
    tokenizer: "byte",
    seed,
    ...extra,
  });
  return dir;
}

/** A child process with its output collected. */
export interface Child {
  /** The process. */
  proc: Deno.ChildProcess;
  /** Everything read from stderr so far. */
  stderr: () => string;
  /** Everything read from stdout so far. */
  stdout: () => string;
  /** Kill (if running) and wait for it to end; returns its exit code. */
  stop: (signal?: Deno.Signal) => Promise<number>;
  /** Resolves with the exit code when it ends on its own. */
  status: Promise<Deno.CommandStatus>;
}

/** Run `deno run -A <script> ...args` from the repository root, collecting output. */
export function spawnTool(script: string, args: string[], env: Record<string, string> = {}): Child {
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    cwd: _ROOT,
    stdout: "piped",
    stderr: "piped",
    env,
  }).spawn();
  let out = "", err = "";
  const pump = async (s: ReadableStream<Uint8Array>, add: (t: string) => void) => {
    for await (const t of s.pipeThrough(new TextDecoderStream())) add(t);
  };
  const pumps = Promise.all([
    pump(proc.stdout, (t) => (out += t)),
    pump(proc.stderr, (t) => (err += t)),
  ]);
  const status = proc.status.then(async (s) => {
    await pumps;
    return s;
  });
  let ended = false;
  status.then(() => (ended = true));
  return {
    proc,
    stderr: () => err,
    stdout: () => out,
    status,
    stop: async (signal: Deno.Signal = "SIGTERM") => {
      if (!ended) {
        try {
          proc.kill(signal);
        } catch { /* already gone */ }
      }
      return (await status).code;
    },
  };
}

/** Poll `cond` every 20 ms until true or `timeoutMs` passes (then throw `what`). */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Our server as a child process on a free loopback port (`--port 0`). */
export async function startServeProcess(
  model: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<Child & { url: string }> {
  const child = spawnTool("tools/serve.ts", [
    "--model",
    model,
    "--port",
    "0",
    "--backend",
    "wasm",
    ...args,
  ], env);
  let ended = false;
  child.status.then(() => (ended = true));
  const re = /listening on (http:\/\/127\.0\.0\.1:\d+\/v1)/;
  try {
    await waitFor(() => re.test(child.stdout()) || ended, 60_000, "the server to listen");
  } catch (e) {
    await child.stop("SIGKILL");
    throw e;
  }
  const m = re.exec(child.stdout());
  if (!m) {
    await child.stop("SIGKILL");
    throw new Error(`serve did not start:\n${child.stderr()}`);
  }
  return { ...child, url: m[1] };
}

/** A small fake server on 127.0.0.1 with a free port. */
export interface FakeServer {
  /** Base URL with `/v1`. */
  url: string;
  /** Requests received so far. */
  count: () => number;
  /** Bodies of the requests received. */
  bodies: unknown[];
  /** Stop it (waits for handlers in flight). */
  close: () => Promise<void>;
  /** The underlying server. */
  server: Deno.HttpServer<Deno.NetAddr>;
}

/** Start a fake server whose handler gets the parsed JSON body and the request number (0-based). */
export function fakeServer(
  handler: (body: unknown, n: number, req: Request) => Response | Promise<Response>,
): FakeServer {
  let n = 0;
  const bodies: unknown[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const text = await req.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch { /* keep the text */ }
    bodies.push(body);
    return await handler(body, n++, req);
  });
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    count: () => n,
    bodies,
    close: () => (closed ??= server.shutdown()),
    server,
  };
}

/** An OpenAI chat reply with the given content. */
export function chatJson(content: string, extra: Record<string, unknown> = {}): Response {
  return Response.json({
    id: "x",
    object: "chat.completion",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 },
    ...extra,
  });
}

/** Sleep `ms`, or less when `signal` aborts (the timer is always cleared). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
