import assert from "node:assert/strict";
import { klProbeRows } from "../../lib/msgrpo/kl_probe.ts";
import { prepareUpdate } from "../../lib/msgrpo/prepare.ts";
import type { Episode } from "../../lib/msgrpo/types.ts";

/** A pool of `lengths.length` episodes (group 0) with the given numbers of steps. */
function pool(lengths: number[], rewards = lengths.map((_, i) => i % 2)): Episode[] {
  return lengths.map((n, e) => ({
    iteration: 3,
    group: 0,
    index: e,
    scenario: "S",
    initialStateSeed: 11,
    dynamicsSeed: e,
    return: rewards[e],
    success: rewards[e] > 0,
    steps: Array.from({ length: n }, (_, t) => ({
      t,
      promptIds: [1, e, t],
      completionIds: [2, 3],
      completionText: "",
      oldLogprobs: [-0.5, -1],
      action: 0,
      valid: true,
      reward: t === n - 1 ? rewards[e] : 0,
      done: t === n - 1,
    })),
  }));
}

Deno.test("klProbeRows() draws distinct steps of the pool, in pool order, the same for a seed", () => {
  const eps = pool([5, 1, 3, 7]);
  const a = klProbeRows(eps, { rows: 6, seed: 4, iteration: 9 });
  assert.equal(a.length, 6);
  const keys = a.map((r) => `${r.episode}/${r.t}`);
  assert.equal(new Set(keys).size, 6, "no step twice");
  const order = a.map((r) => r.episode * 100 + r.t);
  assert.deepEqual(order, [...order].sort((x, y) => x - y));
  for (const r of a) {
    assert.deepEqual(r.promptIds, [1, r.episode, r.t]);
    assert.deepEqual([r.oldLogprobs, r.weight, r.advantage], [[-0.5, -1], 1, 0]);
  }
  assert.deepEqual(klProbeRows(eps, { rows: 6, seed: 4, iteration: 9 }), a);
  assert.notDeepEqual(klProbeRows(eps, { rows: 6, seed: 4, iteration: 10 }), a);
  // asking for the pool's 16 steps or more gives all of them
  assert.equal(klProbeRows(eps, { rows: 16, seed: 4, iteration: 9 }).length, 16);
  assert.equal(klProbeRows(eps, { rows: 99, seed: 4, iteration: 9 }).length, 16);
});

Deno.test("klProbeRows() gives every step the same chance, whatever its episode's length", () => {
  // 16 steps, 4 drawn: each step is in the probe with probability 1/4 (the long episode's steps
  // as often as the one-step episode's step). 4000 draws: sd of a count ≈ 27.
  const eps = pool([5, 1, 3, 7]);
  const counts = new Map<string, number>();
  for (let it = 0; it < 4000; it++) {
    for (const r of klProbeRows(eps, { rows: 4, seed: 1, iteration: it })) {
      const k = `${r.episode}/${r.t}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  assert.equal(counts.size, 16);
  for (const [k, n] of counts) assert.ok(Math.abs(n - 1000) < 120, `step ${k} drawn ${n} times`);
});

Deno.test("klProbeRows() skips steps without tokens and names bad input", () => {
  const eps = pool([2, 2]);
  eps[0].steps[1] = { ...eps[0].steps[1], completionIds: [], oldLogprobs: [] };
  assert.equal(klProbeRows(eps, { rows: 10, seed: 1, iteration: 1 }).length, 3);
  assert.throws(
    () => klProbeRows(eps, { rows: 0, seed: 1, iteration: 1 }),
    /rows must be an integer >= 1, got 0/,
  );
  eps[1].steps[0] = { ...eps[1].steps[0], oldLogprobs: [-1] };
  assert.throws(
    () => klProbeRows(eps, { rows: 2, seed: 1, iteration: 1 }),
    /episode 1 step 0: 2 completion tokens but 1 oldLogprobs/,
  );
});

Deno.test("prepareUpdate() pads a probe only when asked and when it updates", () => {
  const opts = { seed: 2, iteration: 3, microBatchTokens: 12 };
  const eps = pool([3, 2, 4]);
  assert.deepEqual(prepareUpdate(eps, opts).probe, []);
  const p = prepareUpdate(eps, { ...opts, klProbeRows: 5 });
  // 5 rows of 3 prompt + 2 completion tokens: micro-batches of at most 12 padded tokens
  assert.deepEqual(p.probe.map((m) => m.prompts.length), [2, 2, 1]);
  assert.deepEqual([...p.probe[0].weights], [1, 1]);
  assert.deepEqual([...p.probe[0].oldLogprobs], [-0.5, -1, -0.5, -1]);
  // all returns equal: no update, so nothing to measure
  const flat = pool([3, 2], [0, 0]);
  const none = prepareUpdate(flat, { ...opts, klProbeRows: 5 });
  assert.deepEqual([none.steps.length, none.probe.length], [0, 0]);
});
