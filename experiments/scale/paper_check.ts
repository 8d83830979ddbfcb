/**
 * The `--setup paper` checks of `experiments/scale_comparison.ts`: before anything runs, the
 * Qwen2.5-3B-Instruct folder, the OpenAI-compatible server of the 72B baseline (when enabled) and
 * the WebGPU adapter must be there; otherwise it stops with an error that names what is missing
 * and how to provide it.
 *
 * @module
 */
import { join } from "node:path";
import { webGpuUnavailableReason } from "../../lib/engine/mod.ts";
import { servedModels } from "../../lib/policy/http_probe.ts";

/** The fields of the scale comparison's config the checks read. */
export interface PaperSetupConfig {
  model: { path: string; backend: string };
  baseline: { enabled: boolean; base_url: string; model_name: string; api_key_env: string };
}

function _isFile(p: string): boolean {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
}

/**
 * Check what the `paper` setup needs before anything runs: the model folder, the baseline server
 * (when enabled) and a WebGPU adapter (for the `webgpu` backend).
 * @param cfg the resolved config.
 * @throws an error naming what is missing and how to provide it.
 */
export async function checkPaperSetup(cfg: PaperSetupConfig): Promise<void> {
  const p = cfg.model.path;
  const get = "download Qwen2.5-3B-Instruct (e.g. `huggingface-cli download " +
    "Qwen/Qwen2.5-3B-Instruct --local-dir DIR`) and pass --model.path DIR";
  if (!p) throw new Error(`scale_comparison (paper): model.path is empty; ${get}`);
  let isDir = false;
  try {
    isDir = Deno.statSync(p).isDirectory;
  } catch { /* missing */ }
  if (!isDir) throw new Error(`scale_comparison (paper): model.path ${p} is not a folder; ${get}`);
  for (const f of ["config.json", "tokenizer.json"]) {
    if (!_isFile(join(p, f))) {
      throw new Error(`scale_comparison (paper): ${join(p, f)} is missing; ${get}`);
    }
  }
  if (![...Deno.readDirSync(p)].some((e) => e.name.endsWith(".safetensors"))) {
    throw new Error(`scale_comparison (paper): no *.safetensors weights in ${p}; ${get}`);
  }
  if (cfg.baseline.enabled) {
    const url = `${cfg.baseline.base_url.replace(/\/+$/, "")}/models`;
    const serve = `start an OpenAI-compatible server for ${cfg.baseline.model_name} (e.g. ` +
      `\`vllm serve Qwen/Qwen2.5-72B-Instruct --served-model-name ${cfg.baseline.model_name}\`) ` +
      `and pass --baseline.base_url URL, or --no-baseline.enabled`;
    let ids: string[];
    try {
      ids = await servedModels(cfg.baseline.base_url, { apiKeyEnv: cfg.baseline.api_key_env });
    } catch (e) {
      throw new Error(`scale_comparison (paper): ${(e as Error).message}; ${serve}`);
    }
    if (ids.length > 0 && !ids.includes(cfg.baseline.model_name)) {
      throw new Error(
        `scale_comparison (paper): ${url} serves ${ids.join(", ")}, not ` +
          `${cfg.baseline.model_name}; pass --baseline.model_name NAME`,
      );
    }
  }
  if (cfg.model.backend === "webgpu") {
    const why = await webGpuUnavailableReason();
    if (why !== null) {
      throw new Error(`scale_comparison (paper): backend webgpu unavailable: ${why}`);
    }
  }
}
