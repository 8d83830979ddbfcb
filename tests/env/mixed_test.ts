import assert from "node:assert/strict";
import { SnakeEnv } from "../../lib/env/snake.ts";
import { MIXED_ACTIONS, MixedScenarioEnv, mixtureName, pickScenario } from "../../lib/env/mixed.ts";

const FOUR = ["FrozenLake-NoSlip", "FrozenLake-Slippery", "Snake-8", "Snake-20"];

Deno.test("pickScenario() is a pure function of the seed and covers the mixture", () => {
  const counts = new Map<string, number>();
  for (let s = 0; s < 400; s++) {
    const n = pickScenario(s, FOUR);
    assert.equal(n, pickScenario(s, FOUR));
    counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  assert.equal(counts.size, 4);
  for (const c of counts.values()) assert.ok(c > 60 && c < 140, `counts ${[...counts]}`);
  assert.equal(mixtureName(["Snake-8"]), "Snake-8");
  assert.equal(mixtureName(FOUR), `mix(${FOUR.join("+")})`);
});

Deno.test("MixedScenarioEnv maps unified actions onto Snake's own order", () => {
  const env = new MixedScenarioEnv(["Snake-8"], { renderStyle: "compact" });
  const ref = new SnakeEnv({
    width: 10,
    height: 10,
    opponents: 1,
    apples: 5,
    maxSteps: 8,
    renderStyle: "compact",
  });
  env.reset(11, 12);
  ref.reset(11, 12);
  assert.equal(env.observe().user, ref.observe().user);
  assert.equal(env.parseAction("<action>up</action>"), MIXED_ACTIONS.indexOf("up"));
  const r = env.stepText(["<action>left</action>"]);
  const q = ref.stepText(["<action>left</action>"]);
  assert.deepEqual(r.rewards, q.rewards);
  assert.equal(env.observe().user, ref.observe().user);
  assert.equal(r.info.actions[0], MIXED_ACTIONS.indexOf("left"));
  assert.equal(MIXED_ACTIONS[env.defaultAction], "up", "Snake's default action is up");
  assert.throws(() => new MixedScenarioEnv(["Nope"]), /unknown scenario "Nope"/);
});
