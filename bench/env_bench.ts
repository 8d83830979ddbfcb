/**
 * Environment throughput: steps per second of Frozen Lake 4x4 slippery and Snake 10x10, without
 * and with the text interface (render = `observe()` plus parsing the formatted answer each step).
 * Prints one JSON line per measurement, e.g.
 * `{"env":"FrozenLake-4x4-slippery","render":false,"steps_per_s":12345678}`.
 *
 * When Gymnasium is importable by `python3` (or `GYMNASIUM_PATH` names a folder holding the
 * `gymnasium` package), it also measures Gymnasium's FrozenLake-v1 (gym.make, slippery 4x4) in
 * the same run with `bench/gym_frozenlake_bench.py` and prints its figures and our ratio:
 * `{"env":"gymnasium/FrozenLake-v1-4x4-slippery",...}` and
 * `{"env":"ratio/FrozenLake-4x4-slippery","render":false,"ratio_vs_gymnasium":…}`.
 *
 * Usage: `deno task bench:env [--seconds 1] [--no-gym]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FrozenLakeEnv } from "../lib/env/frozen_lake.ts";
import { SnakeEnv } from "../lib/env/snake.ts";
import type { TextEnv } from "../lib/env/tsmg.ts";
import { Rng } from "../lib/util/rng.ts";

const { values } = parseArgs({
  args: Deno.args.filter((a) => a !== "--"),
  options: {
    seconds: { type: "string", default: "1" }, // measuring time per figure
    "no-gym": { type: "boolean", default: false }, // skip the Gymnasium reference
  },
});
const seconds = Number(values.seconds);
if (!(seconds > 0)) throw new Error(`env_bench: --seconds must be > 0, got ${values.seconds}`);

/** Steps per second of random play, resetting with fresh seeds when an episode ends. */
function measure(env: TextEnv, render: boolean, secs: number): number {
  const rng = new Rng(1);
  const actions = Uint8Array.from({ length: 1 << 16 }, () => rng.int(env.actionNames.length));
  const answers = Array.from({ length: env.actionNames.length }, (_, a) => env.formatAction(a));
  let episode = 0, steps = 0, chars = 0;
  env.reset(episode);
  const run = (until: number) => {
    let n = 0;
    for (;;) {
      for (let k = 0; k < 1024; k++, n++) {
        if (env.done) env.reset(++episode);
        const a = actions[(steps + n) & 0xffff];
        if (render) {
          const o = env.observe();
          chars += o.user.length;
          env.stepText([answers[a]]);
        } else {
          env.step([a]);
        }
      }
      if (performance.now() >= until) return n;
    }
  };
  run(performance.now() + Math.min(0.3, secs / 3) * 1000); // warm-up
  const t0 = performance.now();
  steps = run(t0 + secs * 1000);
  const dt = (performance.now() - t0) / 1000;
  if (chars < 0) console.log(chars); // keep the rendered text alive
  return steps / dt;
}

const results: Record<string, number> = {};
const envs: [string, () => TextEnv][] = [
  ["FrozenLake-4x4-slippery", () => new FrozenLakeEnv({ mapName: "4x4", slippery: true })],
  ["Snake-10x10", () => new SnakeEnv({ width: 10, height: 10, opponents: 1, apples: 5 })],
];
for (const [name, make] of envs) {
  for (const render of [false, true]) {
    const sps = measure(make(), render, seconds);
    results[`${name}/${render}`] = sps;
    console.log(JSON.stringify({ env: name, render, steps_per_s: Math.round(sps) }));
  }
}

if (!values["no-gym"]) await gymnasiumReference();

async function gymnasiumReference(): Promise<void> {
  const script = new URL("./gym_frozenlake_bench.py", import.meta.url).pathname;
  const env = { ...Deno.env.toObject() };
  const extra = Deno.env.get("GYMNASIUM_PATH");
  if (extra) env.PYTHONPATH = env.PYTHONPATH ? `${extra}:${env.PYTHONPATH}` : extra;
  let out;
  try {
    out = await new Deno.Command("python3", {
      args: [script, "--seconds", String(seconds)],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch {
    return; // no python3: our figures only
  }
  if (!out.success) return; // gymnasium not importable: our figures only
  for (const line of new TextDecoder().decode(out.stdout).trim().split("\n")) {
    const rec = JSON.parse(line);
    console.log(JSON.stringify(rec));
    const ours = results[`FrozenLake-4x4-slippery/${rec.render}`];
    if (ours !== undefined && rec.steps_per_s > 0) {
      console.log(JSON.stringify({
        env: "ratio/FrozenLake-4x4-slippery",
        render: rec.render,
        ratio_vs_gymnasium: Number((ours / rec.steps_per_s).toFixed(1)),
        gymnasium_version: rec.version,
      }));
    }
  }
}
