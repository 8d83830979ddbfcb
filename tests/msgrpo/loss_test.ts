import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/engine/backend.ts";
import { ppoClipLoss, type PpoClipLossInput } from "../../lib/msgrpo/loss.ts";
import { Rng } from "../../lib/util/rng.ts";

await initBackend("cpu");

const close = (a: number, b: number, tol = 1e-5) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b} (tol ${tol})`);
const allClose = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) close(a[i], b[i], tol);
};

/** Plain-JS problem: rows of per-token (new, old, ref, entropy) with mask, advantage, weight. */
interface Problem {
  lp: number[][];
  old: number[][];
  mask: number[][];
  adv: number[];
  w: number[];
  ref?: number[][];
  ent?: number[][];
}

/** Independent reference of the loss (token-mean or seq-mean-token-mean), no clamping. */
function refLoss(
  p: Problem,
  o: { eps?: number; epsHigh?: number; beta?: number; c?: number; seq?: boolean } = {},
): number {
  const eps = o.eps ?? 0.2, hi = o.epsHigh ?? eps, beta = o.beta ?? 0, c = o.c ?? 0;
  let num = 0, den = 0;
  p.lp.forEach((row, b) => {
    let rowSum = 0, rowN = 0;
    row.forEach((lp, t) => {
      if (!p.mask[b][t]) return;
      const rho = Math.exp(lp - p.old[b][t]);
      const A = p.adv[b];
      let l = Math.max(-A * rho, -A * Math.min(Math.max(rho, 1 - eps), 1 + hi));
      if (p.ref) {
        const d = p.ref[b][t] - lp;
        l += beta * (Math.exp(d) - d - 1);
      }
      if (p.ent) l -= c * p.ent[b][t];
      rowSum += l;
      rowN += 1;
    });
    if (o.seq) {
      if (rowN > 0) {
        num += p.w[b] * rowSum / rowN;
        den += p.w[b];
      }
    } else {
      num += p.w[b] * rowSum;
      den += p.w[b] * rowN;
    }
  });
  return num / den;
}

function toInput(p: Problem, extra: Partial<PpoClipLossInput> = {}): PpoClipLossInput {
  return {
    logprobs: tf.tensor2d(p.lp),
    oldLogprobs: tf.tensor2d(p.old),
    mask: tf.tensor2d(p.mask),
    advantages: tf.tensor1d(p.adv),
    weights: tf.tensor1d(p.w),
    refLogprobs: p.ref ? tf.tensor2d(p.ref) : undefined,
    entropy: p.ent ? tf.tensor2d(p.ent) : undefined,
    ...extra,
  };
}

/** Loss value and d loss / d logprobs. */
function lossAndGrad(p: Problem, extra: Partial<PpoClipLossInput> = {}) {
  const input = toInput(p, extra);
  let stats = null as ReturnType<typeof ppoClipLoss>["stats"] | null;
  const g = tf.valueAndGrad((lp: tf.Tensor) => {
    const out = ppoClipLoss({ ...input, logprobs: lp as tf.Tensor2D });
    stats = out.stats;
    return out.loss;
  });
  const { value, grad } = g(input.logprobs);
  return { loss: value.dataSync()[0], grad: Array.from(grad.dataSync()), stats: stats! };
}

// The hand-computed example: old log-prob −1 everywhere, ratios chosen per token.
// Row 0: Â = +1, ρ = 1.1 (inside), 1.5 (above 1+ε: clipped), 0.5 (below 1−ε: unclipped, pessimistic)
// Row 1: Â = −2, ρ = 1.5 (above: unclipped, pessimistic), 0.5 (below: clipped), then a pad token
// holding a huge log-prob that must not matter.
const RHO = [[1.1, 1.5, 0.5], [1.5, 0.5, 1]];
const HAND: Problem = {
  old: [[-1, -1, -1], [-1, -1, 0]],
  lp: [[-1 + Math.log(1.1), -1 + Math.log(1.5), -1 + Math.log(0.5)], [
    -1 + Math.log(1.5),
    -1 + Math.log(0.5),
    500,
  ]],
  mask: [[1, 1, 1], [1, 1, 0]],
  adv: [1, -2],
  w: [1, 1],
};

Deno.test("ppoClipLoss() matches the hand-computed clipped surrogate", () => {
  const { loss, stats } = lossAndGrad(HAND);
  // tokens: −1.1, max(−1.5,−1.2) = −1.2, max(−0.5,−0.8) = −0.5, max(3,2.4) = 3, max(1,1.6) = 1.6
  close(loss, (-1.1 - 1.2 - 0.5 + 3 + 1.6) / 5);
  close(loss, refLoss(HAND));
  close(stats.pgLoss, 0.36);
  close(stats.clipFrac, 2 / 5);
  assert.equal(stats.tokens, 5);
  assert.equal(stats.refKl, null);
  assert.equal(stats.entropy, null);
});

Deno.test("ppoClipLoss() gradient raises log-probs of positive-advantage tokens and is 0 where clipped", () => {
  const { grad } = lossAndGrad(HAND);
  // d ℓ/d log π = −Â ρ on active unclipped tokens, 0 on clipped ones and padding; divided by 5 tokens
  allClose(grad, [-1.1 / 5, 0, -0.5 / 5, 3 / 5, 0, 0]);
  assert.ok(grad[0] < 0 && grad[2] < 0, "positive Â: descent increases the log-prob");
  assert.ok(grad[3] > 0, "negative Â: descent decreases the log-prob");
  assert.ok(grad.every(Number.isFinite));
});

Deno.test("ppoClipLoss() at ratio 1 is the plain policy gradient with no clipping", () => {
  const p: Problem = { ...HAND, lp: HAND.old.map((r) => r.slice()) };
  const { loss, grad, stats } = lossAndGrad(p);
  close(loss, (-1 * 3 + 2 * 2) / 5);
  allClose(grad, [-0.2, -0.2, -0.2, 0.4, 0.4, 0]);
  assert.equal(stats.clipFrac, 0);
  close(stats.approxKl, 0, 1e-7);
});

Deno.test("ppoClipLoss() clipEpsHigh widens only the upper clip", () => {
  const { loss, stats } = lossAndGrad(HAND, { clipEpsHigh: 0.6 });
  // row 0 token 1 (ρ 1.5, Â > 0) is now inside: −1.5 instead of −1.2
  close(loss, (-1.1 - 1.5 - 0.5 + 3 + 1.6) / 5);
  close(loss, refLoss(HAND, { epsHigh: 0.6 }));
  close(stats.clipFrac, 1 / 5);
});

Deno.test("ppoClipLoss() approxKl is the k3 estimate of KL(old‖new)", () => {
  const { stats } = lossAndGrad(HAND);
  const rhos = [...RHO[0], ...RHO[1].slice(0, 2)];
  const k3 = rhos.reduce((s, r) => s + (r - 1) - Math.log(r), 0) / 5;
  close(stats.approxKl, k3);
  assert.ok(stats.approxKl > 0);
});

Deno.test("ppoClipLoss() adds the k3 reference KL and the entropy bonus", () => {
  const p: Problem = {
    ...HAND,
    ref: [[-1.2, -0.9, -1.5], [-1, -0.7, 3]],
    ent: [[0.5, 1.0, 1.5], [2.0, 0.1, 9]],
  };
  const { loss, grad, stats } = lossAndGrad(p, { klBeta: 0.1, entropyCoef: 0.01 });
  close(loss, refLoss(p, { beta: 0.1, c: 0.01 }));
  const ds: number[] = [];
  p.lp.forEach((r, b) => r.forEach((lp, t) => p.mask[b][t] && ds.push(p.ref![b][t] - lp)));
  const k3 = ds.reduce((s, d) => s + Math.exp(d) - d - 1, 0) / 5;
  close(stats.refKl!, k3);
  close(stats.entropy!, (0.5 + 1 + 1.5 + 2 + 0.1) / 5);
  // KL gradient: β·(1 − exp(d))/N added to the policy-gradient term of each token
  const pg = [-1.1 / 5, 0, -0.5 / 5, 3 / 5, 0];
  allClose(grad.slice(0, 5), pg.map((g, i) => g + 0.1 * (1 - Math.exp(ds[i])) / 5));
  assert.equal(grad[5], 0);
  // without β the reference KL is logged but does not enter the loss
  const noKl = lossAndGrad(p);
  close(noKl.loss, refLoss(HAND));
  close(noKl.stats.refKl!, k3);
});

Deno.test("ppoClipLoss() weight 2 equals duplicating the row", () => {
  const rng = new Rng(4);
  const rand = (n: number, s: number) => Array.from({ length: n }, () => s * rng.normal());
  const old = [rand(4, 1), rand(4, 1)];
  const lp = old.map((r) => r.map((x) => x + 0.3 * rng.normal()));
  const base = { old, lp, mask: [[1, 1, 1, 0], [1, 1, 1, 1]], adv: [0.7, -1.3] };
  const weighted = lossAndGrad({ ...base, w: [2, 1] });
  const dup: Problem = {
    old: [old[0], old[0], old[1]],
    lp: [lp[0], lp[0], lp[1]],
    mask: [base.mask[0], base.mask[0], base.mask[1]],
    adv: [0.7, 0.7, -1.3],
    w: [1, 1, 1],
  };
  const duplicated = lossAndGrad(dup);
  close(weighted.loss, duplicated.loss);
  // gradient of the shared row = sum of its copies' gradients
  const g = duplicated.grad;
  allClose(weighted.grad, [...g.slice(0, 4).map((x, i) => x + g[4 + i]), ...g.slice(8)]);
  for (const k of ["clipFrac", "approxKl", "pgLoss", "tokens"] as const) {
    close(weighted.stats[k] as number, duplicated.stats[k] as number);
  }
});

Deno.test("ppoClipLoss() micro-batch losses with the full normalizer sum to the full-batch loss", () => {
  const rng = new Rng(9);
  const B = 5, T = 6;
  const old = Array.from({ length: B }, () => Array.from({ length: T }, () => -1 - rng.float()));
  const lp = old.map((r) => r.map((x) => x + 0.4 * rng.normal()));
  const mask: number[][] = Array.from(
    { length: B },
    (_, b) => Array.from({ length: T }, (_, t) => t < 2 + b ? 1 : 0),
  );
  const p: Problem = { old, lp, mask, adv: [1, -0.5, 0.3, -2, 0.8], w: [1, 3, 2, 1, 1] };
  for (const seq of [false, true]) {
    const aggregation = seq ? "seq-mean-token-mean" as const : "token-mean" as const;
    const full = lossAndGrad(p, { aggregation });
    close(full.loss, refLoss(p, { seq }));
    const normalizer = seq
      ? p.w.reduce((s, x) => s + x, 0)
      : p.w.reduce((s, x, b) => s + x * mask[b].reduce((a, m) => a + m, 0), 0);
    const slice = (from: number, to: number): Problem => ({
      old: old.slice(from, to),
      lp: lp.slice(from, to),
      mask: mask.slice(from, to),
      adv: p.adv.slice(from, to),
      w: p.w.slice(from, to),
    });
    const parts = [slice(0, 2), slice(2, 3), slice(3, 5)].map((q) =>
      lossAndGrad(q, { aggregation, normalizer })
    );
    close(parts.reduce((s, x) => s + x.loss, 0), full.loss);
    allClose(parts.flatMap((x) => x.grad), full.grad);
  }
});

Deno.test("ppoClipLoss() seq-mean-token-mean averages each sequence first", () => {
  const { loss } = lossAndGrad(HAND, { aggregation: "seq-mean-token-mean" });
  close(loss, ((-1.1 - 1.2 - 0.5) / 3 + (3 + 1.6) / 2) / 2);
});

Deno.test("ppoClipLoss() agrees with the plain-JS reference on random inputs", () => {
  const rng = new Rng(31);
  for (let trial = 0; trial < 5; trial++) {
    const B = 1 + rng.int(4), T = 1 + rng.int(7);
    const old = Array.from({ length: B }, () => Array.from({ length: T }, () => -3 * rng.float()));
    const p: Problem = {
      old,
      lp: old.map((r) => r.map((x) => x + 0.5 * rng.normal())),
      ref: old.map((r) => r.map((x) => x + 0.2 * rng.normal())),
      mask: Array.from(
        { length: B },
        () => Array.from({ length: T }, (_, t) => t === 0 || rng.float() < 0.7 ? 1 : 0),
      ),
      adv: Array.from({ length: B }, () => rng.normal()),
      w: Array.from({ length: B }, () => 1 + rng.int(3)),
    };
    const eps = 0.1 + 0.2 * rng.float();
    const { loss } = lossAndGrad(p, { clipEps: eps, klBeta: 0.05 });
    close(loss, refLoss(p, { eps, beta: 0.05 }), 1e-4);
  }
});

Deno.test("ppoClipLoss() gradient matches finite differences of the plain-JS reference", () => {
  const rng = new Rng(77);
  for (const seq of [false, true]) {
    const B = 3, T = 4;
    const old = Array.from({ length: B }, () => Array.from({ length: T }, () => -3 * rng.float()));
    const p: Problem = {
      old,
      lp: old.map((r) => r.map((x) => x + 0.4 * rng.normal())),
      ref: old.map((r) => r.map((x) => x + 0.3 * rng.normal())),
      ent: old.map((r) => r.map(() => 2 * rng.float())),
      mask: [[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]],
      adv: [0.9, -1.4, 0.6],
      w: [1, 2, 3],
    };
    const o = { beta: 0.2, c: 0.05, seq };
    const aggregation = seq ? "seq-mean-token-mean" as const : "token-mean" as const;
    const input = toInput(p, { klBeta: 0.2, entropyCoef: 0.05, aggregation });
    const lpVar = tf.variable(input.logprobs), entVar = tf.variable(input.entropy!);
    const { grads } = tf.variableGrads(
      () => ppoClipLoss({ ...input, logprobs: lpVar, entropy: entVar }).loss,
      [lpVar, entVar],
    );
    const gLp = grads[lpVar.name].dataSync(), gEnt = grads[entVar.name].dataSync();
    const h = 1e-6;
    p.lp.forEach((row, b) =>
      row.forEach((_, t) => {
        for (const [key, g] of [["lp", gLp], ["ent", gEnt]] as const) {
          const m = p[key]!;
          const x = m[b][t];
          m[b][t] = x + h;
          const up = refLoss(p, o);
          m[b][t] = x - h;
          const down = refLoss(p, o);
          m[b][t] = x;
          close(g[b * T + t], (up - down) / (2 * h), 1e-4);
        }
      })
    );
    lpVar.dispose();
    entVar.dispose();
  }
});

Deno.test("ppoClipLoss() releases its intermediate tensors", () => {
  const input = toInput(HAND);
  const before = tf.memory().numTensors;
  const value = tf.tidy(() => {
    const { value, grad } = tf.valueAndGrad((lp: tf.Tensor) =>
      ppoClipLoss({ ...input, logprobs: lp as tf.Tensor2D }).loss
    )(input.logprobs);
    grad.dispose();
    return value.dataSync()[0];
  });
  close(value, 0.36);
  assert.equal(tf.memory().numTensors, before);
  const out = ppoClipLoss(input);
  assert.equal(tf.memory().numTensors, before + 1, "only the loss scalar stays alive");
  out.loss.dispose();
});

Deno.test("ppoClipLoss() rejects mismatched shapes and inconsistent options", () => {
  const base = toInput(HAND);
  assert.throws(
    () => ppoClipLoss({ ...base, advantages: tf.tensor1d([1, 2, 3]) }),
    /advantages has shape \[3\], expected \[2\]/,
  );
  assert.throws(() => ppoClipLoss({ ...base, mask: tf.ones([2, 2]) }), /mask has shape \[2,2\]/);
  assert.throws(() => ppoClipLoss({ ...base, klBeta: 0.1 }), /refLogprobs is missing/);
  assert.throws(() => ppoClipLoss({ ...base, entropyCoef: 0.1 }), /entropy is missing/);
  assert.throws(() => ppoClipLoss({ ...base, clipEps: 1.5 }), /clipEps must be in \(0, 1\)/);
  assert.throws(() => ppoClipLoss({ ...base, normalizer: 0 }), /normalizer must be/);
});

Deno.test("ppoClipLoss({deferStats}) leaves stats on the device until readStats(), then equals the eager ones", async () => {
  const p: Problem = { ...HAND, ref: HAND.old, ent: [[0.5, 1, 1.5], [2, 0.1, 9]] };
  const eager = lossAndGrad(p).stats;
  const input = toInput(p, { deferStats: true });
  const before = tf.memory().numTensors;
  let out: ReturnType<typeof ppoClipLoss> | undefined;
  tf.tidy(() => { // frees every intermediate tensor; only the kept statistics survive
    out = ppoClipLoss(input);
  });
  if (!out) throw new Error("ppoClipLoss returned nothing");
  assert.deepEqual(out.stats, {
    pgLoss: 0,
    clipFrac: 0,
    approxKl: 0,
    refKl: null,
    entropy: null,
    tokens: 0,
  });
  assert.equal(tf.memory().numTensors, before + 1, "one kept statistics tensor");
  const read = await out.readStats();
  assert.strictEqual(read, out.stats);
  for (const k of Object.keys(eager) as (keyof typeof eager)[]) {
    if (eager[k] === null) assert.equal(read[k], null);
    else close(read[k] as number, eager[k] as number);
  }
  assert.equal(tf.memory().numTensors, before, "the statistics tensor is freed once read");
  assert.strictEqual(await out.readStats(), read);
});
