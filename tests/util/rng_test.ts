import assert from "node:assert/strict";
import { deriveSeed, Rng } from "../../lib/util/rng.ts";

Deno.test("Rng gives equal streams for equal seeds and different for different seeds", () => {
  const a = new Rng(7), b = new Rng(7), c = new Rng(8);
  const xa = Array.from({ length: 20 }, () => a.nextU32());
  const xb = Array.from({ length: 20 }, () => b.nextU32());
  const xc = Array.from({ length: 20 }, () => c.nextU32());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, xc);
});

Deno.test("Rng.getState/setState resumes the exact stream", () => {
  const a = new Rng(123);
  for (let i = 0; i < 5; i++) a.float();
  const b = Rng.fromState(a.getState());
  assert.deepEqual([a.float(), a.int(10), a.normal()], [b.float(), b.int(10), b.normal()]);
});

Deno.test("Rng.float is uniform on [0,1) and int covers its range evenly", () => {
  const r = new Rng(1);
  const n = 40000;
  const counts = [0, 0, 0, 0];
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
    sum += f;
    counts[r.int(4)]++;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01, `mean ${sum / n}`);
  for (const c of counts) assert.ok(Math.abs(c / n - 0.25) < 0.01, `count ${c}`);
});

Deno.test("deriveSeed depends on every part and its order", () => {
  assert.equal(deriveSeed(1, 2, 3), deriveSeed(1, 2, 3));
  assert.notEqual(deriveSeed(1, 2, 3), deriveSeed(1, 3, 2));
  assert.notEqual(deriveSeed(1, 2), deriveSeed(1, 2, 0));
  assert.throws(() => deriveSeed(NaN), /not a finite number/);
});

Deno.test("Rng rejects bad arguments with the value in the message", () => {
  assert.throws(() => new Rng(0).int(0), /positive integer, got 0/);
  assert.throws(
    () => new Rng(0).setState([1, 2] as unknown as [number, number, number, number]),
    /4 unsigned/,
  );
});
