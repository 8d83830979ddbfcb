import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import {
  activeBackend,
  BACKEND_NAMES,
  backendDescription,
  DEFAULT_BACKEND,
  initBackend,
  parseBackendName,
} from "../../lib/engine/backend.ts";
import { skip } from "./_helpers.ts";

Deno.test("parseBackendName() accepts every backend name, auto and case variants", () => {
  for (const n of BACKEND_NAMES) assert.equal(parseBackendName(n), n);
  assert.equal(parseBackendName("FAST"), "fast");
  assert.equal(parseBackendName(" wasm "), "wasm");
  assert.equal(parseBackendName("auto"), DEFAULT_BACKEND);
  assert.equal(parseBackendName(undefined), DEFAULT_BACKEND);
  assert.equal(DEFAULT_BACKEND, "fast");
});

Deno.test("parseBackendName() rejects unknown names and lists the accepted ones", () => {
  assert.throws(() => parseBackendName("gpu"), /unknown backend "gpu".*fast, wasm, cpu, webgpu/);
});

Deno.test("initBackend() switches between fast, wasm and cpu and reports each", async () => {
  assert.equal(await initBackend("cpu"), "cpu");
  assert.equal(tf.getBackend(), "cpu");
  assert.equal(backendDescription(), "cpu");
  assert.equal(await initBackend("wasm"), "wasm");
  assert.equal(tf.getBackend(), "wasm");
  assert.equal(await initBackend(), "fast");
  assert.equal(activeBackend(), "fast");
  assert.match(backendDescription(), /^fast\(blas=.*,native=.*\)$/);
});

Deno.test("initBackend('tfjs-node') explains how to install it when the package is absent", async () => {
  let installed = true;
  try {
    await import(["@tensorflow", "tfjs-node"].join("/"));
  } catch {
    installed = false;
  }
  if (installed) return skip("tfjs-node error", "@tensorflow/tfjs-node is installed here");
  await assert.rejects(
    () => initBackend("tfjs-node"),
    /deno add npm:@tensorflow\/tfjs-node@4\.22\.0/,
  );
  await initBackend("fast");
});

/** Run a probe script beside this file with `--unstable-webgpu`; its last stdout line as JSON. */
async function runWebGpuProbe<T>(relative: string): Promise<T> {
  const script = new URL(relative, import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-webgpu", script],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(text) as T;
}

Deno.test("the webgpu backend computes matMul, gradients, many-input AddN and a gradient norm like the cpu backend (subprocess)", async () => {
  const res = await runWebGpuProbe<{ skip?: string; maxDiff?: number; backend?: string }>(
    "./_webgpu_probe.ts",
  );
  if (res.skip) return skip("webgpu", res.skip);
  assert.equal(res.backend, "webgpu");
  assert.ok(res.maxDiff! < 1e-3, `webgpu vs cpu max diff ${res.maxDiff}`);
});

Deno.test("MS-GRPO trains with LoRA on the webgpu backend: update, statistics, checkpoint (subprocess)", async () => {
  const res = await runWebGpuProbe<{
    skip?: string;
    iterations?: number;
    updates?: { updated: boolean; loss: number | null; grad_norm: number | null }[];
    adapterBytes?: number;
  }>("./_webgpu_train_probe.ts");
  if (res.skip) return skip("webgpu", res.skip);
  assert.equal(res.iterations, 2);
  assert.equal(res.updates!.length, 2);
  for (const u of res.updates!.filter((u) => u.updated)) {
    assert.ok(Number.isFinite(u.loss) && u.grad_norm! > 0, JSON.stringify(u));
  }
  assert.ok(res.adapterBytes! > 0);
});
