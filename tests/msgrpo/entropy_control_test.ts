import assert from "node:assert/strict";
import { nextEntropyCoef } from "../../lib/msgrpo/entropy_control.ts";

const opts = { target: 0.2, rate: 0.5 };

Deno.test("nextEntropyCoef() grows the coefficient while entropy is below the target", () => {
  // error (0.2 − 0.05) / 0.2 = 0.75; step 0.5 · 0.75 = 0.375 in log space
  assert.equal(nextEntropyCoef(0.02, 0.05, opts).toFixed(8), (0.02 * Math.exp(0.375)).toFixed(8));
  assert.ok(nextEntropyCoef(0.02, 0.05, opts) > 0.02);
});

Deno.test("nextEntropyCoef() shrinks it while entropy is above the target, holds it at the target", () => {
  // error (0.2 − 0.6) / 0.2 = −2; step −1
  assert.equal(nextEntropyCoef(0.02, 0.6, opts).toFixed(8), (0.02 / Math.E).toFixed(8));
  assert.equal(nextEntropyCoef(0.02, 0.2, opts), 0.02);
});

Deno.test("nextEntropyCoef() keeps the coefficient without a measurement and within its bounds", () => {
  assert.equal(nextEntropyCoef(0.02, null, opts), 0.02);
  assert.equal(nextEntropyCoef(0.9, 0, { ...opts, rate: 10 }), 1);
  assert.equal(nextEntropyCoef(2e-5, 50, { ...opts, rate: 10 }), 1e-5);
  assert.equal(nextEntropyCoef(0.5, 0, { ...opts, rate: 10, maxCoef: 0.6 }), 0.6);
});

Deno.test("nextEntropyCoef() rejects a non-positive target, rate or coefficient", () => {
  assert.throws(() => nextEntropyCoef(0.01, 0, { target: 0, rate: 1 }), /target and rate/);
  assert.throws(() => nextEntropyCoef(0.01, 0, { target: 0.1, rate: -1 }), /target and rate/);
  assert.throws(() => nextEntropyCoef(0, 0, opts), /coef must be/);
});
