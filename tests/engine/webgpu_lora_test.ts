import assert from "node:assert/strict";
import { assertClose, skip } from "./_helpers.ts";
import { runProbe } from "./_probe.ts";

interface Side {
  loss: number;
  gradNames: string[];
  grad: number[];
  update: { loss: number; gradNorm: number; entropy: number };
  after: number[];
  momentCount: number;
  varCount: number;
  adapterCount: number;
  peakBytes: number;
  source: string;
  released: number;
}

Deno.test("webgpu matches fast on a LoRA gradient and one full MS-GRPO update step (subprocess)", async () => {
  const res = await runProbe<{ skip?: string; backend?: string; fast?: Side; webgpu?: Side }>(
    new URL("./_webgpu_lora_probe.ts", import.meta.url),
  );
  if (res.skip) return skip("webgpu LoRA", res.skip);
  const { fast, webgpu } = res as { fast: Side; webgpu: Side };
  assert.equal(res.backend, "webgpu");
  // Only the adapters train: 2 layers × 7 projections × (A, B), and AdamW holds their moments only.
  for (const s of [fast, webgpu]) {
    assert.equal(s.adapterCount, 14);
    assert.equal(s.varCount, 28);
    assert.equal(s.momentCount, 28);
    assert.ok(s.gradNames.every((n) => !n.startsWith("model.")), s.gradNames.join());
  }
  assert.ok(Math.abs(fast.loss - webgpu.loss) < 1e-4, `loss ${fast.loss} vs ${webgpu.loss}`);
  assert.ok(fast.grad.some((g) => Math.abs(g) > 1e-4), "LoRA gradients are not all zero");
  assertClose(webgpu.grad, fast.grad, "LoRA gradient webgpu vs fast", 1e-4, 1e-3);
  for (const k of ["loss", "gradNorm", "entropy"] as const) {
    assertClose([webgpu.update[k]], [fast.update[k]], `MS-GRPO update ${k}`, 1e-4, 1e-3);
  }
  assertClose(webgpu.after, fast.after, "adapters after the MS-GRPO update", 1e-4, 1e-3);
  assert.equal(webgpu.source, "webgpu-buffers");
  assert.ok(webgpu.peakBytes > 0, "webgpu peak memory is counted");
  assert.ok(webgpu.released > 0, "the buffer pool held buffers to release after a backward pass");
  assert.equal(fast.released, 0);
});
