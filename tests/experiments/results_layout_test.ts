/**
 * The committed logs of the registered experiments (`results/cpu/`) have the layout issue 14
 * names as a contract: `scale/seed<S>/eval.arrow` with `baseline/eval.arrow` and
 * `baseline_long/eval.arrow`, `ablation/<arm>-<S>/eval.arrow` for arm in aaw, uniform, all, at
 * least 5 seeds, the same seeds in every arm, 50 episodes per scenario at every evaluation, and
 * each trained run's `updates.arrow`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readTable } from "../../lib/log/read.ts";

const RESULTS = join(import.meta.dirname!, "..", "..", "results", "cpu");

/** Episodes per (iteration, scenario) of a run directory's `eval.arrow`. */
function episodesPerEvaluation(dir: string): Map<string, number> {
  const rows = readTable(join(dir, "eval.arrow")).objects() as {
    iteration: number;
    scenario: string;
  }[];
  const n = new Map<string, number>();
  for (const r of rows) {
    const key = `${r.iteration} ${r.scenario}`;
    n.set(key, (n.get(key) ?? 0) + 1);
  }
  return n;
}

function assertFifty(dir: string): void {
  const n = episodesPerEvaluation(dir);
  assert.ok(n.size > 0, `${dir}/eval.arrow has no evaluation`);
  for (const [key, count] of n) {
    assert.equal(count, 50, `${dir}/eval.arrow: ${count} episodes at (iteration, scenario) ${key}`);
  }
}

const dirs = (parent: string, pattern: RegExp) =>
  [...Deno.readDirSync(parent)].filter((e) => e.isDirectory && pattern.test(e.name))
    .map((e) => e.name).sort();

Deno.test("results/cpu/scale: ≥ 5 seeds, each with its two baselines, 50 episodes per evaluation", () => {
  const seeds = dirs(join(RESULTS, "scale"), /^seed\d+$/);
  assert.ok(seeds.length >= 5, `seeds: ${seeds}`);
  for (const s of seeds) {
    const dir = join(RESULTS, "scale", s);
    assert.ok(existsSync(join(dir, "updates.arrow")), `${dir} has no updates.arrow`);
    for (const d of [dir, join(dir, "baseline"), join(dir, "baseline_long")]) assertFifty(d);
  }
});

Deno.test("results/cpu/ablation: aaw, uniform and all on the same ≥ 5 seeds, 50 episodes per evaluation", () => {
  const runs = dirs(join(RESULTS, "ablation"), /^(aaw|uniform|all)-\d+$/);
  const seedsOf = (arm: string) =>
    runs.filter((r) => r.startsWith(`${arm}-`)).map((r) => Number(r.split("-")[1]))
      .sort((a, b) => a - b);
  assert.ok(seedsOf("aaw").length >= 5, `aaw seeds: ${seedsOf("aaw")}`);
  assert.deepEqual(seedsOf("uniform"), seedsOf("aaw"));
  assert.deepEqual(seedsOf("all"), seedsOf("aaw"));
  for (const r of runs) {
    const dir = join(RESULTS, "ablation", r);
    assert.ok(existsSync(join(dir, "updates.arrow")), `${dir} has no updates.arrow`);
    assertFifty(dir);
  }
});
