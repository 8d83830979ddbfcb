import assert from "node:assert/strict";
import { benchModel } from "../../bench/model_bench.ts";
import { parseBenchArgs } from "../../bench/model_bench_args.ts";
import { FUSED_KERNELS } from "../../lib/engine/fast_state.ts";
import { torchArgs } from "../../bench/model_bench_torch.ts";
import { skip } from "../engine/_helpers.ts";

const TINY = [
  "--vocab",
  "48",
  "--hidden",
  "16",
  "--layers",
  "1",
  "--heads",
  "4",
  "--kv-heads",
  "2",
  "--intermediate",
  "24",
  "--batch",
  "2",
  "--seq",
  "6",
  "--steps",
  "1",
  "--warmup",
  "1",
  "--prompt",
  "3",
  "--new",
  "2",
];

Deno.test("parseBenchArgs() keeps the old flags, adds LoRA and names bad values", () => {
  const o = parseBenchArgs([]);
  assert.deepEqual([o.vocab, o.batch, o.train, o["lora-rank"], o.torch], [512, 8, 1, 0, false]);
  assert.equal(o.loraTargets.length, 7);
  assert.throws(() => parseBenchArgs(["--lora-rank", "1.5"]), /--lora-rank: .*got "1.5"/);
  assert.throws(
    () => parseBenchArgs(["--lora-targets", "q_proj,lm_head"]),
    /--lora-targets: unknown module "lm_head"/,
  );
  assert.throws(() => parseBenchArgs(["--backend", "gpu"]), /--backend: unknown backend "gpu"/);
});

Deno.test("benchModel() with --lora-rank trains the adapters only and reports memory and device", async () => {
  const rec = await benchModel(parseBenchArgs([...TINY, "--lora-rank", "2"]));
  // Per layer: q 16→16, k 16→8, v 16→8, o 16→16, gate/up 16→24, down 24→16; A [in,2], B [2,out].
  const adapter = (i: number, o: number) => 2 * (i + o);
  const expected = adapter(16, 16) * 2 + adapter(16, 8) * 2 + adapter(16, 24) * 2 + adapter(24, 16);
  assert.equal(rec.trainable_params, expected);
  assert.equal(rec.optimizer_state_values, 2 * expected);
  assert.equal(rec.lora_rank, 2);
  assert.ok((rec.params as number) > expected);
  assert.match(rec.device as string, /^cpu: .+ x\d+$/);
  assert.match(rec.backend as string, /^fast\(/);
  // the fast backend's native kernels, when built here (sampling stays on the CPU there)
  const fused = rec.fused_kernels as string[];
  if (/native=yes/.test(rec.backend as string)) {
    assert.ok(fused.includes("MgAttention"), `${fused}`);
  }
  assert.ok(!fused.includes("MgSampleRows"));
  assert.equal(rec.peak_gpu_gib, null);
  assert.equal(rec.memory_source, "wasm-heap");
  assert.ok((rec.peak_memory_gib as number) > 0);
  assert.ok((rec.train_tokens_per_s as number) > 0);
  const full = await benchModel(parseBenchArgs(TINY));
  assert.equal(full.trainable_params, full.params);
  assert.equal(full.lora_rank, 0);
});

Deno.test("torch_bench.py builds the same model and the same LoRA parameter count", async () => {
  const probe = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", "import torch"],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => null);
  if (!probe?.success) return skip("torch_bench", "/usr/bin/python3 cannot import torch");
  // Inference only (train 0): the parameter counts do not depend on it.
  const o = parseBenchArgs([...TINY, "--lora-rank", "2", "--lora-targets", "attn", "--train", "0"]);
  const out = await new Deno.Command("/usr/bin/python3", {
    args: torchArgs(o, "cpu", 1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const t = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  const ours = await benchModel(o);
  assert.equal(t.params, ours.params);
  assert.equal(t.trainable_params, 2 * (2 * (16 + 16) + 2 * (16 + 8)));
  assert.equal(t.trainable_params, ours.trainable_params);
  assert.equal(t.lora_rank, 2);
  assert.ok(t.prefill_tokens_per_s > 0 && t.decode_tokens_per_s > 0);
  assert.equal(t.peak_gpu_gib, null);
});

Deno.test("bench:model --backend webgpu reports the adapter and its peak buffer bytes (subprocess)", async () => {
  const script = new URL("../../bench/model_bench.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-webgpu",
      script,
      ...TINY,
      "--backend",
      "webgpu",
      "--lora-rank",
      "2",
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  const why = err.match(/--backend webgpu: (.*)/);
  if (!out.success && why) return skip("bench:model webgpu", why[1]);
  assert.ok(out.success, err);
  const rec = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  assert.equal(rec.backend, "webgpu");
  assert.match(rec.device, /^webgpu: /);
  assert.equal(rec.memory_source, "webgpu-buffers");
  assert.deepEqual(rec.fused_kernels, [...FUSED_KERNELS], "every fused op runs as a WGSL kernel");
  assert.ok(rec.peak_gpu_gib > 0 && rec.peak_gpu_gib < 1, `peak_gpu_gib ${rec.peak_gpu_gib}`);
  assert.ok("nvidia_smi_peak_gib" in rec);
});

Deno.test("bench/gpu_measure.sh --dry-run plans 0.5B and 3B, full and LoRA 16, webgpu against torch, and the fused kernels' A/B", async () => {
  const script = new URL("../../bench/gpu_measure.sh", import.meta.url).pathname;
  const out = await new Deno.Command("bash", {
    args: [script, "--dry-run"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const text = new TextDecoder().decode(out.stdout);
  assert.match(text, /^output: results\/gpu\/[a-z0-9-]+\.jsonl$/m);
  assert.match(text, /^plan: timeout 90 deno task setup --webgpu --torch$/m);
  const runs = text.split("\n").filter((l) => l.includes("bench/model_bench.ts"));
  assert.equal(runs.length, 5);
  for (const l of runs) {
    assert.match(
      l,
      /^plan: (env MSGRPO_WEBGPU_FUSED=0 )?timeout -k 10 \d+ .*--backend webgpu --torch /,
    );
    assert.ok(parseBenchArgs(l.split("model_bench.ts ")[1].split("  #")[0].split(" ")));
  }
  assert.equal(runs.filter((l) => /--hidden 896 /.test(l)).length, 3);
  assert.equal(runs.filter((l) => /--hidden 2048 /.test(l)).length, 2);
  assert.equal(runs.filter((l) => /--lora-rank 16/.test(l)).length, 3);
  // the fused kernels' A/B: the same 0.5B LoRA measurement with them switched off
  const unfused = runs.filter((l) => l.includes("MSGRPO_WEBGPU_FUSED=0"));
  assert.equal(unfused.length, 1);
  assert.match(unfused[0], /--hidden 896 .*--lora-rank 16/);
  const bad = await new Deno.Command("bash", { args: [script, "--nope"], stderr: "piped" })
    .output();
  assert.equal(bad.code, 2);
  assert.match(new TextDecoder().decode(bad.stderr), /unknown argument "--nope"/);
});
