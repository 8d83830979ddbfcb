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
import { runProbe } from "./_probe.ts";

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

Deno.test("the webgpu backend computes matMul, gradients, many-input AddN and a gradient norm like the cpu backend (subprocess)", async () => {
  const res = await runProbe<{ skip?: string; maxDiff?: number; backend?: string }>(
    new URL("./_webgpu_probe.ts", import.meta.url),
  );
  if (res.skip) return skip("webgpu", res.skip);
  assert.equal(res.backend, "webgpu");
  assert.ok(res.maxDiff! < 1e-3, `webgpu vs cpu max diff ${res.maxDiff}`);
});

Deno.test("MS-GRPO trains with LoRA on the webgpu backend: update, statistics, checkpoint (subprocess)", async () => {
  const res = await runProbe<{
    skip?: string;
    iterations?: number;
    updates?: { updated: boolean; loss: number | null; grad_norm: number | null }[];
    adapterBytes?: number;
  }>(new URL("./_webgpu_train_probe.ts", import.meta.url));
  if (res.skip) return skip("webgpu", res.skip);
  assert.equal(res.iterations, 2);
  assert.equal(res.updates!.length, 2);
  for (const u of res.updates!.filter((u) => u.updated)) {
    assert.ok(Number.isFinite(u.loss) && u.grad_norm! > 0, JSON.stringify(u));
  }
  assert.ok(res.adapterBytes! > 0);
});
