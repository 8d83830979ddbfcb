import assert from "node:assert/strict";
import { join } from "node:path";
import { sectionOverrides } from "../../lib/config/sections.ts";

const CONFIGS = join(import.meta.dirname!, "..", "..", "experiments", "configs");
const sections = (file: string) =>
  new Map(
    sectionOverrides(join(CONFIGS, file), ["msgrpo", "optim"]).map((o) => {
      const eq = o.indexOf("=");
      return [o.slice(0, eq), o.slice(eq + 1)];
    }),
  );

// Every departure of docs/algorithm.md that the main job's recipe turns on, with its neutral value.
const DEPARTURES: Record<string, string> = {
  "msgrpo.replay_groups": "0",
  "msgrpo.entropy_coef": "0",
  "optim.schedule": '"constant"',
};

Deno.test("the paper preset is the main job's recipe with every departure at its neutral value", () => {
  const recipe = sections("frozen_lake_demo.yaml");
  const paper = sections("frozen_lake_demo_paper.yaml");
  for (const [key, neutral] of Object.entries(DEPARTURES)) {
    assert.notEqual(recipe.get(key), neutral, `the recipe should depart on ${key}`);
    assert.equal(paper.get(key), neutral, `frozen_lake_demo_paper.yaml: ${key}`);
  }
  // everything else of the two sections is the same budget
  for (const [key, value] of recipe) {
    if (key in DEPARTURES || key.startsWith("msgrpo.replay_") || key === "optim.min_lr_ratio") {
      continue;
    }
    assert.equal(paper.get(key), value, `frozen_lake_demo_paper.yaml differs on ${key}`);
  }
});

Deno.test("the Slippery config repeats the main job's msgrpo and optim sections exactly", () => {
  assert.deepEqual(sections("frozen_lake_slippery.yaml"), sections("frozen_lake_demo.yaml"));
});
