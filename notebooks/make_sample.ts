/**
 * Make the small sample of run directories the notebooks read by default: the scale comparison
 * (cpu setup, 2 seeds) and the sampling ablation (3 arms × 2 seeds), each with tiny models and a
 * few iterations, so every notebook has something of each kind to draw. The numbers mean nothing;
 * the sample exists so that the notebooks execute in CI. Checkpoints are left out.
 *
 * Usage: `deno run -A notebooks/make_sample.ts [OUT_DIR]` (default `notebooks/sample`; the folder
 * is replaced).
 *
 * @module
 */
import { join } from "node:path";

const ROOT = join(import.meta.dirname!, "..");

/** Flags making every model tiny and every budget small. */
export const TINY_FLAGS: readonly string[] = [
  "--msgrpo.iterations",
  "4",
  "--msgrpo.groups",
  "2",
  "--msgrpo.group_size",
  "4",
  "--eval.every",
  "2",
  "--eval.episodes",
  "4",
  "--checkpoint.every",
  "4",
  "--base.episodes",
  "80",
  "--base.steps",
  "20",
  "--base.hidden",
  "32",
  "--base.layers",
  "1",
  "--base.heads",
  "2",
  "--base.kv_heads",
  "1",
  "--base.intermediate",
  "64",
  "--base.merges",
  "64",
  "--base.lr",
  "3.0e-3",
];

/** Extra flags of the scale comparison: large bases ≥ 8× the tiny one, with tiny budgets. */
export const TINY_LARGE_FLAGS: readonly string[] = [
  "--large.hidden",
  "96",
  "--large.layers",
  "2",
  "--large.heads",
  "2",
  "--large.kv_heads",
  "1",
  "--large.intermediate",
  "192",
  // tiny budgets of the two large bases: B (baseline/) and C, pre-trained longer (baseline_long/)
  "--large.steps",
  "30",
  "--large_long.steps",
  "40",
  "--large_long.episodes",
  "160",
];

/**
 * Run an experiment script and return its JSON summary line.
 * @param script path under the repository root.
 * @param args its arguments.
 * @returns the parsed summary.
 */
export async function runExperiment(
  script: string,
  args: readonly string[],
): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, script), ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout),
    stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${script} ${args.join(" ")} failed (${out.code}):\n${stderr}`);
  const last = stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`${script}: no JSON summary on stdout:\n${stdout}\n${stderr}`);
  }
}

/** Drop the checkpoint and the part files (each consolidated table file is complete). */
async function _prune(dir: string): Promise<void> {
  await Deno.remove(join(dir, "checkpoint"), { recursive: true }).catch(() => {});
  for (const e of [...Deno.readDirSync(dir)]) {
    const path = join(dir, e.name);
    if (e.isDirectory && e.name.endsWith(".parts")) {
      const table = path.replace(/\.parts$/, ".arrow");
      Deno.statSync(table); // the consolidated file must exist
      await Deno.remove(path, { recursive: true });
    } else if (e.isDirectory) await _prune(path);
  }
}

/**
 * Write the sample.
 * @param out output folder (replaced).
 * @param cacheDir where the tiny bases are cached (default: a temporary folder).
 */
export async function makeSample(out: string, cacheDir?: string): Promise<void> {
  await Deno.remove(out, { recursive: true }).catch(() => {});
  const cache = cacheDir ?? await Deno.makeTempDir({ prefix: "msgrpo-sample-bases-" });
  const common = [...TINY_FLAGS, "--cache_dir", cache];
  const jobs: Promise<unknown>[] = [];
  for (const seed of [1, 2]) {
    jobs.push(runExperiment("experiments/scale_comparison.ts", [
      "--setup",
      "cpu",
      "--seed",
      String(seed),
      "--run-dir",
      join(out, "scale", `scale_cpu__${seed}`),
      ...common,
      ...TINY_LARGE_FLAGS,
    ]));
  }
  await Promise.all(jobs); // the first two share (and race for) the bases cache; that is allowed
  for (const arm of ["aaw", "uniform", "all"]) {
    for (const seed of [1, 2]) {
      await runExperiment("experiments/sampling_ablation.ts", [
        "--arm",
        arm,
        "--seed",
        String(seed),
        "--run-dir",
        join(out, "ablation", `ablation-${arm}__${seed}`),
        ...common,
      ]);
    }
  }
  for (const kind of ["scale", "ablation"]) {
    for (const e of Deno.readDirSync(join(out, kind))) await _prune(join(out, kind, e.name));
  }
  if (cacheDir === undefined) await Deno.remove(cache, { recursive: true });
}

if (import.meta.main) {
  const out = Deno.args[0] ?? join(import.meta.dirname!, "sample");
  const t0 = performance.now();
  await makeSample(out);
  console.error(`sample written to ${out} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
