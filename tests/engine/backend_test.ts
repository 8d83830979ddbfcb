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

Deno.test("the fused ops run as WGSL kernels on webgpu and match the cpu backend, gradients included (subprocess)", async () => {
  type Res = { skip?: string; ops?: Record<string, { maxDiff: number; kernels: string[] }> };
  const url = new URL("./_webgpu_fused_probe.ts", import.meta.url);
  const kernelOf: Record<string, string[]> = {
    rmsNorm: ["MgRmsNorm", "MgRmsNormGrad"],
    rmsNormManyRows: ["MgRmsNorm"],
    swiglu: ["MgSwiGlu", "MgSwiGluGrad"],
    rope: ["MgRope"],
    adamw: ["MgAdamW"],
    attention: ["MgAttention", "MgAttentionGrad"],
    logprobs: ["MgLogprobs", "MgLogprobsGrad"],
  };
  const fused = await runProbe<Res>(url);
  if (fused.skip) return skip("webgpu", fused.skip);
  // MSGRPO_WEBGPU_FUSED=0: the same ops as composite tfjs kernels (the A/B switch)
  const composite = await runProbe<Res>(url, [], { MSGRPO_WEBGPU_FUSED: "0" });
  for (const [op, names] of Object.entries(kernelOf)) {
    for (
      const [label, res, expectFused] of [["fused", fused, true], [
        "composite",
        composite,
        false,
      ]] as const
    ) {
      const r = res.ops![op];
      assert.ok(r.maxDiff < 1e-4, `${op} (${label}) vs cpu: max difference ${r.maxDiff}`);
      for (const k of names) {
        assert.equal(r.kernels.includes(k), expectFused, `${op} (${label}) kernels: ${r.kernels}`);
      }
    }
  }
});

Deno.test("webgpu samples next tokens on the GPU like the CPU sampler, and generate() there (in-place KV cache) matches the cpu backend (subprocess)", async () => {
  type Temp = { mismatches: number; maxDiff: number; greedyTieRow: number };
  const res = await runProbe<{
    skip?: string;
    active?: boolean;
    inPlaceKv?: boolean;
    t0?: Temp;
    "t0.5"?: Temp;
    t1?: Temp;
    nanToken?: number;
    generateSame?: boolean;
    generateMaxDiff?: number;
    generateTokens?: number;
  }>(new URL("./_webgpu_sampling_probe.ts", import.meta.url));
  if (res.skip) return skip("webgpu", res.skip);
  assert.equal(res.active, true);
  assert.equal(res.inPlaceKv, true, "the KV cache grows in place on webgpu");
  for (const t of ["t0", "t0.5", "t1"] as const) {
    assert.equal(
      res[t]!.mismatches,
      0,
      `${t}: tokens differ from sampleToken on ${res[t]!.mismatches} rows`,
    );
    assert.ok(res[t]!.maxDiff < 1e-4, `${t}: log-probabilities differ by ${res[t]!.maxDiff}`);
  }
  assert.equal(res.t0!.greedyTieRow, 7, "greedy breaks a tie at the top by the lowest id");
  assert.equal(res.nanToken, -1, "a row with a NaN logit samples no token");
  assert.ok(res.generateTokens! > 4 * 70, `${res.generateTokens} tokens generated`);
  assert.equal(res.generateSame, true, "generate() on webgpu drew other tokens than on cpu");
  assert.ok(
    res.generateMaxDiff! < 1e-4,
    `generate() log-probabilities differ by ${res.generateMaxDiff}`,
  );
});
