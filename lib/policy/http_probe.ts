/**
 * Ask an OpenAI-compatible server which models it serves (`GET {baseUrl}/models`), to check a
 * baseline server before an experiment spends hours on training.
 *
 * @module
 */

/** Options of {@link servedModels}. */
export interface ServedModelsOptions {
  /** Environment variable holding the API key (sent as a bearer token when set). */
  apiKeyEnv?: string;
  /** Give up after this many milliseconds (default 10 000). */
  timeoutMs?: number;
}

/**
 * The ids of the models a server lists.
 *
 * @param baseUrl the server's base URL, e.g. `http://localhost:8000/v1`.
 * @param opts API key variable and timeout.
 * @returns the listed ids (empty when the server lists none).
 * @throws an error naming `GET {baseUrl}/models` when the server does not answer or fails.
 */
export async function servedModels(
  baseUrl: string,
  opts: ServedModelsOptions = {},
): Promise<string[]> {
  const url = `${baseUrl.replace(/\/+$/, "")}/models`;
  try {
    const key = opts.apiKeyEnv ? Deno.env.get(opts.apiKeyEnv) : undefined;
    const res = await fetch(url, {
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      headers: key ? { authorization: `Bearer ${key}` } : {},
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status}`);
    }
    const body = await res.json() as { data?: { id?: string }[] };
    return (body.data ?? []).map((d) => String(d.id));
  } catch (e) {
    throw new Error(`the server does not answer GET ${url} (${(e as Error).message})`);
  }
}
