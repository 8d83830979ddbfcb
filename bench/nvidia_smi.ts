/**
 * Cross-check of GPU memory from outside the process: samples
 * `nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 500` in a child process
 * (so it keeps sampling while JavaScript is busy) and reports the peak in GiB. It counts every
 * process on the card, and tfjs's buffer pool, so it reads at or above the backend's own figure.
 * Where `nvidia-smi` does not exist, the sampler reports null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMemoryUsedMiB, startNvidiaSmi } from "./nvidia_smi.ts";
 * assert.equal(parseMemoryUsedMiB("1024\n2048\n"), 2048);
 * assert.equal(parseMemoryUsedMiB("[N/A]\n"), null);
 * const s = startNvidiaSmi("/nonexistent/nvidia-smi");
 * assert.equal(await s.stop(), null);
 * ```
 *
 * @module
 */

/** A running sampler. */
export interface NvidiaSmiSampler {
  /** Stop sampling; resolves to the peak memory.used in GiB, or null without nvidia-smi. */
  stop(): Promise<number | null>;
}

/**
 * The largest `memory.used` figure (MiB) in nvidia-smi's CSV output, or null when none parses.
 *
 * @param text lines of integers (one per GPU per sample).
 * @returns the maximum, or null.
 */
export function parseMemoryUsedMiB(text: string): number | null {
  let best: number | null = null;
  for (const line of text.split("\n")) {
    const v = Number(line.trim());
    if (line.trim() !== "" && Number.isFinite(v)) best = best === null ? v : Math.max(best, v);
  }
  return best;
}

/**
 * Start sampling.
 *
 * @param command the nvidia-smi executable (default `nvidia-smi` on the PATH).
 * @returns the sampler.
 */
export function startNvidiaSmi(command = "nvidia-smi"): NvidiaSmiSampler {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args: ["--query-gpu=memory.used", "--format=csv,noheader,nounits", "-lms", "500"],
      stdout: "piped",
      stderr: "null",
    }).spawn();
  } catch {
    return { stop: () => Promise.resolve(null) };
  }
  let text = "";
  const decoder = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stdout) text += decoder.decode(chunk, { stream: true });
  })();
  return {
    stop: async () => {
      // Let at least one sample land before stopping a very short run.
      for (let i = 0; i < 20 && text === ""; i++) await new Promise((r) => setTimeout(r, 100));
      try {
        child.kill("SIGTERM");
      } catch { /* already exited */ }
      await child.status;
      await reading.catch(() => {});
      const mib = parseMemoryUsedMiB(text);
      return mib === null ? null : mib / 1024;
    },
  };
}
