import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = join(import.meta.dirname!, "..", "..");

Deno.test("build_base --from takes the recipe (shape and budget) from an experiment config; flags override it", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "msgrpo-build-base-" });
  const cfg = join(tmp, "exp.yaml");
  await Deno.writeTextFile(
    cfg,
    [
      "train_scenarios: [FrozenLake-NoSlip, FrozenLake-Slippery]",
      "env: { render_style: verbose }",
      "model: { backend: wasm }",
      "base_seed: 7",
      "base: { episodes: 6, steps: 1, hidden: 16, layers: 1, heads: 2, kv_heads: 1,",
      "        intermediate: 32, merges: 8, path: ignored }",
      "large: { hidden: 24, heads: 4, steps: 2, episodes: null }",
      "",
    ].join("\n"),
  );
  const out = join(tmp, "base");
  const args = ["run", "-A", "tools/build_base.ts", "--out", out, "--from", cfg];
  const run = (extra: string[]) =>
    new Deno.Command(Deno.execPath(), { args: [...args, ...extra], cwd: ROOT, stderr: "piped" })
      .output();
  const r = await run(["--shape-from", "large", "--budget-from", "large", "--base.episodes", "5"]);
  assert.ok(r.success, new TextDecoder().decode(r.stderr));
  const info = JSON.parse(await Deno.readTextFile(join(out, "recipe.json")));
  assert.deepEqual(info.recipe.scenarios, ["FrozenLake-NoSlip", "FrozenLake-Slippery"]);
  assert.equal(info.recipe.renderStyle, "verbose");
  assert.equal(info.recipe.seed, 7);
  assert.match(info.recipe.backend, /^wasm/);
  const b = info.recipe.base;
  assert.deepEqual(
    [b.episodes, b.steps, b.hidden, b.layers, b.heads, b.kv_heads, b.merges, b.path],
    [5, 2, 24, 1, 4, 1, 8, ""],
  );
  // the tokens pre-training went through (for the 6·P·T compute statement)
  assert.ok(Number.isInteger(info.tokens) && info.tokens > 0, `tokens ${info.tokens}`);
  const cfgJson = JSON.parse(await Deno.readTextFile(join(out, "config.json")));
  assert.equal(cfgJson.hidden_size, 24);
  // the folder exists now: a second build refuses to touch it
  const again = await run([]);
  assert.equal(again.success, false);
  assert.match(new TextDecoder().decode(again.stderr), /exists already/);
  await Deno.remove(tmp, { recursive: true });
});
