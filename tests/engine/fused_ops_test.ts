import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { adamwUpdate } from "../../lib/engine/adamw.ts";
import { initBackend } from "../../lib/engine/backend.ts";
import { fastActive, nativeKernelsActive } from "../../lib/engine/fast_state.ts";
import { causalAttention, causalAttentionComposite } from "../../lib/engine/ops_attention.ts";
import { tokenLogprobs, tokenLogprobsComposite } from "../../lib/engine/ops_logprobs.ts";
import { rmsNorm, rmsNormComposite, swiglu, swigluComposite } from "../../lib/engine/ops_norm.ts";
import { Rng } from "../../lib/util/rng.ts";
import { assertClose, data, ensureNative, randn, skip } from "./_helpers.ts";

const reason = await ensureNative();

/** Initialise the fast backend with native kernels, or return a skip reason. */
async function nativeOrSkip(name: string): Promise<boolean> {
  if (reason !== null) {
    skip(name, reason);
    return false;
  }
  await initBackend("fast");
  assert.ok(fastActive() && nativeKernelsActive() !== null, "native kernels should be active");
  return true;
}

/** Value and input gradients of sum(f(inputs)·w) for a seeded weight w. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], rng: Rng) {
  const y = f(...xs);
  const w = randn(rng, y.shape);
  const g = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), w)));
  return { y: data(y), grads: g(xs).map(data) };
}

Deno.test("rmsNorm() and swiglu() native kernels match their composites in value and gradient", async () => {
  if (!await nativeOrSkip("fused norm")) return;
  const rng = new Rng(21);
  for (const shape of [[3, 8], [2, 5, 64], [1, 1, 7]]) {
    const x = randn(rng, shape), w = randn(rng, [shape[shape.length - 1]]);
    const fast = valueAndGrads((a, b) => rmsNorm(a, b, 1e-6), [x, w], new Rng(1));
    const comp = valueAndGrads((a, b) => rmsNormComposite(a, b, 1e-6), [x, w], new Rng(1));
    assertClose(fast.y, comp.y, `rmsNorm [${shape}]`);
    assertClose(fast.grads[0], comp.grads[0], `rmsNorm dx [${shape}]`);
    assertClose(fast.grads[1], comp.grads[1], `rmsNorm dw [${shape}]`, 1e-3, 1e-4);
    const g = randn(rng, shape, 3), u = randn(rng, shape);
    const fs = valueAndGrads(swiglu, [g, u], new Rng(2));
    const cs = valueAndGrads(swigluComposite, [g, u], new Rng(2));
    assertClose(fs.y, cs.y, `swiglu [${shape}]`);
    assertClose(fs.grads[0], cs.grads[0], `swiglu dgate [${shape}]`);
    assertClose(fs.grads[1], cs.grads[1], `swiglu dup [${shape}]`);
  }
});

Deno.test("rmsNorm() equals a hand-computed golden value", async () => {
  await initBackend("fast");
  const y = rmsNorm(tf.tensor2d([[3, 4]]), tf.tensor1d([1, 2]), 0);
  // rms = sqrt((9+16)/2) = 3.5355; y = [3/3.5355, 2·4/3.5355]
  assertClose(data(y), [0.848528, 2.262742], "golden rmsNorm", 1e-5, 0);
});

Deno.test("causalAttention() native kernels match the composite for GQA, cached prefixes and key masks", async () => {
  if (!await nativeOrSkip("fused attention")) return;
  const rng = new Rng(22);
  const cases = [
    { B: 2, T: 5, S: 5, NH: 4, KV: 2, D: 8, mask: false },
    { B: 1, T: 3, S: 7, NH: 2, KV: 1, D: 4, mask: false },
    { B: 2, T: 4, S: 6, NH: 6, KV: 3, D: 5, mask: true },
    { B: 3, T: 1, S: 9, NH: 4, KV: 4, D: 16, mask: true },
    // vector paths: 64-key and 64-wide blocks, 32/16-wide tails, and > 128 query rows (blocks)
    { B: 1, T: 70, S: 70, NH: 2, KV: 1, D: 64, mask: false },
    { B: 2, T: 20, S: 90, NH: 2, KV: 2, D: 48, mask: true },
    { B: 2, T: 140, S: 150, NH: 2, KV: 1, D: 16, mask: true },
    // four-row blocks with a scalar column tail (D % 16 = 4) and hidden keys
    { B: 2, T: 9, S: 12, NH: 2, KV: 1, D: 20, mask: true },
  ];
  for (const c of cases) {
    const q = randn(rng, [c.B, c.T, c.NH * c.D]);
    const k = randn(rng, [c.B, c.S, c.KV * c.D]);
    const v = randn(rng, [c.B, c.S, c.KV * c.D]);
    let keyMask: tf.Tensor | undefined;
    if (c.mask) {
      // left padding: row b hides its first b keys (every query still sees its own key)
      const m = new Float32Array(c.B * c.S).fill(1);
      for (let b = 0; b < c.B; b++) for (let j = 0; j < b; j++) m[b * c.S + j] = 0;
      keyMask = tf.tensor(m, [c.B, c.S]);
    }
    const opts = { numHeads: c.NH, numKvHeads: c.KV, keyMask };
    const fast = valueAndGrads((a, b, d) => causalAttention(a, b, d, opts), [q, k, v], new Rng(3));
    const comp = valueAndGrads(
      (a, b, d) => causalAttentionComposite(a, b, d, opts),
      [q, k, v],
      new Rng(3),
    );
    const what = JSON.stringify(c);
    assertClose(fast.y, comp.y, `attention ${what}`);
    for (const [i, n] of ["dq", "dk", "dv"].entries()) {
      assertClose(fast.grads[i], comp.grads[i], `attention ${n} ${what}`, 2e-4, 1e-3);
    }
  }
});

Deno.test("causalAttention() with keyLength reads only the keys in use of a buffer with spare capacity", async () => {
  if (!await nativeOrSkip("fused attention")) return;
  const rng = new Rng(31);
  const cases = [
    { B: 2, T: 1, S: 9, cap: 16, NH: 4, KV: 2, D: 24, mask: true }, // decode: keys read in place
    { B: 1, T: 3, S: 40, cap: 64, NH: 2, KV: 1, D: 64, mask: false },
    { B: 2, T: 12, S: 20, cap: 33, NH: 4, KV: 2, D: 16, mask: true }, // transposed-keys path
  ];
  for (const c of cases) {
    const q = randn(rng, [c.B, c.T, c.NH * c.D]);
    // Spare capacity filled with large values: reading any of it would change the result.
    const fill = (t: tf.Tensor) => tf.concat([t, tf.fill([c.B, c.cap - c.S, c.KV * c.D], 1e3)], 1);
    const k = randn(rng, [c.B, c.S, c.KV * c.D]), v = randn(rng, [c.B, c.S, c.KV * c.D]);
    const kBuf = fill(k), vBuf = fill(v);
    let keyMask: tf.Tensor | undefined;
    if (c.mask) {
      const m = new Float32Array(c.B * c.S).fill(1);
      for (let b = 0; b < c.B; b++) for (let j = 0; j < 2 * b; j++) m[b * c.S + j] = 0;
      keyMask = tf.tensor(m, [c.B, c.S]);
    }
    const opts = { numHeads: c.NH, numKvHeads: c.KV, keyMask };
    const what = JSON.stringify(c);
    const want = valueAndGrads((a, b, d) => causalAttention(a, b, d, opts), [q, k, v], new Rng(4));
    for (const f of [causalAttention, causalAttentionComposite]) {
      const got = valueAndGrads(
        (a, b, d) => f(a, b, d, { ...opts, keyLength: c.S }),
        [q, kBuf, vBuf],
        new Rng(4),
      );
      assertClose(got.y, want.y, `${f.name} value ${what}`);
      assertClose(got.grads[0], want.grads[0], `${f.name} dq ${what}`, 2e-4, 1e-3);
      for (const [i, n] of [[1, "dk"], [2, "dv"]] as const) {
        const g = got.grads[i], w = c.KV * c.D;
        // Rows of the buffer: the first S positions carry the gradient, the spare ones zero.
        const used: number[] = [], spare: number[] = [];
        for (let b = 0; b < c.B; b++) {
          used.push(...g.slice(b * c.cap * w, (b * c.cap + c.S) * w));
          spare.push(...g.slice((b * c.cap + c.S) * w, (b + 1) * c.cap * w));
        }
        assertClose(Float32Array.from(used), want.grads[i], `${f.name} ${n} ${what}`, 2e-4, 1e-3);
        assert.ok(spare.every((x) => x === 0), `${f.name} ${n} of spare positions must be 0`);
      }
    }
  }
  const q = tf.zeros([1, 2, 8]), k = tf.zeros([1, 4, 8]);
  assert.throws(
    () => causalAttention(q, k, k, { numHeads: 1, numKvHeads: 1, keyLength: 5 }),
    /keyLength 5 must be an integer ≤ the 4 key positions/,
  );
  assert.throws(
    () => causalAttention(q, k, k, { numHeads: 1, numKvHeads: 1, keyLength: 1 }),
    /keys in use 1/,
  );
});

Deno.test("causalAttention() gives zeros and zero gradients for query rows that see no key", async () => {
  if (!await nativeOrSkip("fused attention")) return;
  const rng = new Rng(41);
  // T = 6 rows per head: one four-row block and two single rows; row 0 hides keys 0..4, so its
  // queries 0..4 (in both parts) see nothing.
  const B = 2, T = 6, NH = 4, KV = 2, D = 16;
  const q = randn(rng, [B, T, NH * D]), k = randn(rng, [B, T, KV * D]);
  const v = randn(rng, [B, T, KV * D]);
  const m = new Float32Array(B * T).fill(1);
  for (let j = 0; j < 5; j++) m[j] = 0;
  const opts = { numHeads: NH, numKvHeads: KV, keyMask: tf.tensor(m, [B, T]) };
  const fast = valueAndGrads((a, b, d) => causalAttention(a, b, d, opts), [q, k, v], new Rng(5));
  const comp = valueAndGrads(
    (a, b, d) => causalAttentionComposite(a, b, d, opts),
    [q, k, v],
    new Rng(5),
  );
  assert.ok(fast.y.slice(0, 5 * NH * D).every((x) => x === 0), "hidden rows give 0");
  assert.ok(fast.grads[0].slice(0, 5 * NH * D).every((x) => x === 0), "and no dq");
  assertClose(fast.y, comp.y, "attention with hidden rows");
  for (const [i, n] of ["dq", "dk", "dv"].entries()) {
    assertClose(fast.grads[i], comp.grads[i], `attention ${n} with hidden rows`, 2e-4, 1e-3);
  }
});

Deno.test("causalAttention() makes the first query attend only to the first key", async () => {
  await initBackend("fast");
  const q = tf.tensor3d([[[1, 0], [0, 1]]]), k = tf.tensor3d([[[5, 0], [0, 5]]]);
  const v = tf.tensor3d([[[1, 2], [3, 4]]]);
  const o = data(causalAttention(q, k, v, { numHeads: 1, numKvHeads: 1 }));
  // row 0 sees key 0 only → v0; row 1: scores [0, 5/√2] → p1 = 1/(1+e^{-3.5355})
  const p1 = 1 / (1 + Math.exp(-5 / Math.SQRT2));
  assertClose(o, [1, 2, 1 + 2 * p1, 2 + 2 * p1], "golden attention", 1e-5, 1e-5);
});

Deno.test("tokenLogprobs() native kernels match the composite and reject out-of-range targets", async () => {
  if (!await nativeOrSkip("fused logprobs")) return;
  const rng = new Rng(23);
  const logits = randn(rng, [2, 6, 50], 3);
  const ids = new Int32Array(12).map(() => rng.int(50));
  const targets = tf.tensor(ids, [2, 6], "int32");
  const fast = valueAndGrads((l) => tokenLogprobs(l, targets), [logits], new Rng(4));
  const comp = valueAndGrads((l) => tokenLogprobsComposite(l, targets), [logits], new Rng(4));
  assertClose(fast.y, comp.y, "logprobs");
  assertClose(fast.grads[0], comp.grads[0], "dlogits");
  assert.throws(
    () =>
      tokenLogprobs(logits, tf.tensor([[0, 0, 0, 0, 0, 50], [0, 0, 0, 0, 0, 0]], [2, 6], "int32")),
    /target 50 at flat index 5/,
  );
});

Deno.test("adamwUpdate() native in-place step equals the composite step and the torch formula", async () => {
  if (!await nativeOrSkip("fused AdamW")) return;
  const rng = new Rng(24);
  const p0 = randn(rng, [37]), g = randn(rng, [37]);
  const m0 = randn(rng, [37], 0.1), v0 = tf.abs(randn(rng, [37], 0.1));
  const hp = { lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
  const run = () => {
    // on the fast backend these clones share p0/m0/v0's buffers: the update must not touch them
    const [p, m, v] = [p0, m0, v0].map((t) => tf.variable(t.clone()));
    const native = adamwUpdate(p, g, m, v, 3, hp);
    return { native, p: data(p), m: data(m), v: data(v) };
  };
  const p0Before = data(p0);
  const fast = run();
  assert.equal(fast.native, true);
  assert.deepEqual(data(p0), p0Before, "the tensor a parameter was made from is unchanged");
  await initBackend("wasm");
  const stock = run();
  assert.equal(stock.native, false);
  assertClose(fast.p, stock.p, "adamw p", 1e-6, 1e-5);
  assertClose(fast.m, stock.m, "adamw m", 1e-7, 1e-5);
  assertClose(fast.v, stock.v, "adamw v", 1e-7, 1e-5);
  // plain-JS torch.optim.AdamW for element 0
  const [pp, gg, mm, vv] = [data(p0)[0], data(g)[0], data(m0)[0], data(v0)[0]];
  const m1 = 0.9 * mm + 0.1 * gg, v1 = 0.95 * vv + 0.05 * gg * gg;
  const bc1 = 1 - 0.9 ** 3, bc2 = 1 - 0.95 ** 3;
  const want = pp * (1 - 0.01 * 0.1) - (0.01 / bc1) * m1 / (Math.sqrt(v1) / Math.sqrt(bc2) + 1e-8);
  assertClose([fast.p[0]], [want], "adamw golden", 1e-6, 1e-5);
  await initBackend("fast");
});
