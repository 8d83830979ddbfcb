/**
 * The main job over a list of seeds: judge a learning change on many seeds, never on one curve.
 *
 * Runs `experiments/frozen_lake_demo.ts` once per seed (as separate processes, `--jobs` at a time),
 * each into `OUT/seed<S>`, then reads every run's `eval.arrow` and prints one line per seed —
 * final success, mean of the last three evaluations, best, greedy final success, wall time — and
 * the mean with its 95% interval and the worst seed over all of them. Arguments after `--` go to
 * every run unchanged, except that `{seed}` in them becomes the run's seed (e.g.
 * `--base.path bases/seed{seed}` to reuse bases built earlier). A run directory that already holds
 * a finished run is read, not run again: one this script ran (its wall time is in `sweep.json`), or
 * one made another way, e.g. by `deno task demo -- --seed S --run-dir OUT/seedS` (its last
 * checkpoint is at the run's last iteration; its wall time is unknown and printed as `-`). An
 * interrupted one is resumed.
 *
 * Usage: `deno run -A experiments/seed_sweep.ts --seeds 1,2,3,4,5 --out runs/sweep [--jobs 2]
 * [--scenario FrozenLake-NoSlip] [--bar 0.9] [-- DEMO FLAGS]`. Prints a table on stderr and one
 * JSON line on stdout.
 *
 * @module
 */
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { c, parseConfigArgs } from "../lib/config/mod.ts";
import { runMain, UsageError } from "../lib/util/main.ts";
import { seedOutcome, summarizeSweep, sweepTable } from "../lib/viz/sweep.ts";

const DEMO = join(import.meta.dirname!, "frozen_lake_demo.ts");

/** The sweep's own options (arguments after `--` go to every run). */
const schema = c.object({
  seeds: c.string({ doc: "comma-separated seeds, e.g. 1,2,3,4,5" }),
  out: c.string({ minLength: 1, doc: "folder of the runs (OUT/seed<S>)" }),
  jobs: c.int({ default: 1, min: 1, doc: "runs at a time" }),
  scenario: c.string({ default: "FrozenLake-NoSlip", doc: "evaluation scenario to summarise" }),
  bar: c.float({
    default: 0.9,
    min: 0,
    max: 1,
    doc: "success a seed's final and last-3 mean must reach to count as held",
  }),
});

function _parseSeeds(text: string | undefined): number[] {
  const seeds = (text ?? "").split(",").filter((s) => s.trim() !== "").map((s) => Number(s));
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new UsageError(`--seeds: expected a comma-separated list of seeds, got '${text ?? ""}'`);
  }
  return seeds;
}

async function _runSeed(
  seed: number,
  dir: string,
  extra: readonly string[],
): Promise<number | null> {
  const finished = await _finished(dir);
  if (finished !== undefined) return finished;
  let resume = false;
  try {
    resume = (await Deno.stat(join(dir, "meta.json"))).isFile;
  } catch { /* a fresh run */ }
  const args = [
    "run",
    "-A",
    DEMO,
    "--run-dir",
    dir,
    ...(resume ? ["--resume"] : ["--seed", String(seed)]),
    ...extra.map((a) => a.replaceAll("{seed}", String(seed))),
  ];
  const t0 = performance.now();
  await Deno.mkdir(dir, { recursive: true });
  const log = await Deno.open(join(dir, "..", `seed${seed}.log`), {
    write: true,
    create: true,
    append: true,
  });
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const result = await child.output();
  await log.write(result.stderr);
  log.close();
  const out = new TextDecoder().decode(result.stdout);
  if (!result.success) {
    throw new Error(`seed ${seed}: the main job failed; see ${join(dir, "..")}/seed${seed}.log`);
  }
  const seconds = (performance.now() - t0) / 1000;
  await Deno.writeTextFile(join(dir, "sweep.json"), JSON.stringify({ seconds, summary: out }));
  return seconds;
}

/**
 * Whether `dir` holds a finished run: its wall seconds when this script ran it (`sweep.json`),
 * null when it finished another way (last checkpoint at the config's last iteration), undefined
 * when it is missing or unfinished.
 */
async function _finished(dir: string): Promise<number | null | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(join(dir, "sweep.json"))).seconds;
  } catch { /* not run by this script */ }
  try {
    const state = JSON.parse(
      await Deno.readTextFile(join(dir, "checkpoint", "trainer_state.json")),
    );
    const config = parseYaml(await Deno.readTextFile(join(dir, "config.yaml")));
    const last = config?.msgrpo?.iterations;
    return Number.isInteger(last) && state.iteration === last ? null : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const args = Deno.args.filter((a, i) => !(a === "--" && i === 0));
  const cut = args.indexOf("--");
  const own = cut < 0 ? args : args.slice(0, cut);
  const extra = cut < 0 ? [] : args.slice(cut + 1);
  const parsed = parseConfigArgs(schema, own, {
    usage: "deno run -A experiments/seed_sweep.ts --seeds 1,2,3,4,5 --out DIR [--jobs N] " +
      "[--scenario NAME] [--bar 0.9] [-- DEMO FLAGS]",
  });
  if (parsed.help !== undefined) {
    console.log(parsed.help);
    return;
  }
  const values = parsed.config;
  const seeds = _parseSeeds(values.seeds);
  const jobs = values.jobs;
  const dirOf = (s: number) => join(values.out, `seed${s}`);
  const seconds = new Map<number, number | null>();
  const queue = [...seeds];
  const worker = async () => {
    for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
      console.error(`seed ${s}: ${dirOf(s)}`);
      const wall = await _runSeed(s, dirOf(s), extra);
      seconds.set(s, wall);
      console.error(
        `seed ${s}: ${wall === null ? "finished earlier" : `done in ${wall.toFixed(0)} s`}`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, seeds.length) }, worker));
  const outcomes = seeds.map((s) =>
    seedOutcome(dirOf(s), values.scenario, { seed: s, seconds: seconds.get(s) ?? null })
  );
  const summary = summarizeSweep(outcomes, values.bar);
  console.error(sweepTable(outcomes, summary));
  console.log(JSON.stringify({
    out: values.out,
    scenario: values.scenario,
    seeds: outcomes.map(({ points: _, ...o }) => o),
    summary,
  }));
}

if (import.meta.main) await runMain(main, "seed_sweep");
