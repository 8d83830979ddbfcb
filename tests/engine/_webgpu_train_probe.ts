/**
 * Subprocess for backend_test.ts: two MS-GRPO iterations with LoRA on the webgpu backend (update,
 * statistics, checkpoint), from the tiny base model. Prints one JSON line: `{"skip": reason}`
 * without an adapter, else what the run produced.
 *
 * @module
 */
import { join } from "node:path";
import { initBackend } from "../../lib/engine/backend.ts";
import { webGpuUnavailableReason } from "../../lib/engine/webgpu.ts";
import { readTable } from "../../lib/log/mod.ts";
import { train } from "../../lib/train/trainer.ts";
import { tinyBase, tinyConfig, tinyLake } from "../train/_tiny.ts";

const reason = await webGpuUnavailableReason();
if (reason !== null) {
  console.log(JSON.stringify({ skip: reason }));
} else {
  const base = await tinyBase();
  await initBackend("webgpu");
  const dir = await Deno.makeTempDir({ prefix: "msgrpo-webgpu-train-" });
  const cfg = tinyConfig(base, [
    "msgrpo.iterations=2",
    "model.lora_rank=4",
    "model.backend=webgpu",
    "checkpoint.every=1",
  ]);
  const summary = await train(cfg, { runDir: dir, makeEnv: tinyLake });
  const updates = readTable(join(dir, "updates.arrow")).objects() as Record<string, unknown>[];
  const adapter = Deno.statSync(join(dir, "checkpoint", "adapter", "adapter_model.safetensors"));
  console.log(JSON.stringify({
    iterations: summary.iterations,
    updates,
    adapterBytes: adapter.size,
  }));
  await Deno.remove(dir, { recursive: true });
}
