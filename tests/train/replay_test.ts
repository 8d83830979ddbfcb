import assert from "node:assert/strict";
import { chooseInitialStates, updateReplayBuffer } from "../../lib/train/replay.ts";
import { Rng } from "../../lib/util/rng.ts";

const fresh = (g: number) => 1000 + g;

Deno.test("chooseInitialStates() fills at most replayGroups groups from the buffer, without repeats", () => {
  const c = chooseInitialStates([5, 6, 7, 8], {
    groups: 4,
    replayGroups: 3,
    freshSeed: fresh,
    rng: new Rng(3),
  });
  assert.equal(c.seeds.length, 4);
  assert.deepEqual(c.replayed, [true, true, true, false]);
  assert.equal(new Set(c.seeds.slice(0, 3)).size, 3);
  for (const s of c.seeds.slice(0, 3)) assert.ok([5, 6, 7, 8].includes(s));
  assert.equal(c.seeds[3], 1003);
});

Deno.test("chooseInitialStates() with an empty buffer or replayGroups 0 plays fresh seeds only", () => {
  const rng = new Rng(0);
  for (const [buffer, k] of [[[], 2], [[9], 0]] as const) {
    const c = chooseInitialStates(buffer, { groups: 3, replayGroups: k, freshSeed: fresh, rng });
    assert.deepEqual(c.seeds, [1000, 1001, 1002]);
  }
});

Deno.test("chooseInitialStates() draws the same seeds from the same Rng state", () => {
  const pick = () =>
    chooseInitialStates([1, 2, 3, 4, 5, 6], {
      groups: 3,
      replayGroups: 3,
      freshSeed: fresh,
      rng: new Rng(77),
    }).seeds;
  assert.deepEqual(pick(), pick());
});

Deno.test("updateReplayBuffer() keeps failed seeds once, drops solved ones and the oldest beyond capacity", () => {
  // 4 solved → leaves; 6 failed again → moves to the back; 9 new failure → appended
  const played = [
    { seed: 4, success: 1 },
    { seed: 6, success: 0.5 },
    { seed: 9, success: 0 },
  ];
  assert.deepEqual(updateReplayBuffer([3, 4, 5, 6], played, 10), [3, 5, 6, 9]);
  assert.deepEqual(updateReplayBuffer([3, 4, 5, 6], played, 2), [6, 9]);
  // a seed played twice in one iteration (two groups) enters once
  assert.deepEqual(
    updateReplayBuffer([], [{ seed: 2, success: 0 }, { seed: 2, success: 0.25 }], 5),
    [2],
  );
});

Deno.test("updateReplayBuffer() with a threshold keeps only the maps mostly failed", () => {
  const played = [{ seed: 1, success: 0.5 }, { seed: 2, success: 0.25 }, { seed: 3, success: 0.9 }];
  // 0.5 is not below 0.5: seed 1 leaves with seed 3; seed 2 stays
  assert.deepEqual(updateReplayBuffer([1, 7], played, 8, 0.5), [7, 2]);
});
