/**
 * Run directories: `ROOT/<experiment>__<seed>__<YYYYMMDD-HHMMSS>` (UTC), holding `config.yaml`,
 * `meta.json` (versions, seed, backend, git commit, host, start time, argv) and the run tables.
 *
 * @module
 */

import { stringify } from "yaml";
import { writeFileAtomic, writeJsonAtomic } from "./atomic.ts";

/** What `meta.json` records about a run. */
export interface RunMeta {
  /** Experiment name. */
  experiment: string;
  /** Run seed. */
  seed: number;
  /** Run directory base name. */
  run: string;
  /** Start time, ISO 8601 UTC. */
  start_time: string;
  /** Command-line arguments of the process. */
  argv: string[];
  /** Host name, or null when not readable. */
  hostname: string | null;
  /** Compute backend (e.g. `wasm`), or null if not given. */
  backend: string | null;
  /**
   * The hardware it computed on (e.g. `cpu: AMD EPYC 7B13 x2`), or null if not given: the same
   * seed rounds differently on another CPU or thread count, so runs compare within one device.
   */
  device: string | null;
  /** `git rev-parse HEAD` of the source tree, or null (no git, no repository, no commit). */
  git_commit: string | null;
  /** Whether the work tree had uncommitted changes, or null when unknown. */
  git_dirty: boolean | null;
  /** Versions of the runtime and of key packages. */
  versions: {
    deno: string;
    v8: string;
    typescript: string;
    msgrpo: string | null;
    tfjs: string | null;
  };
  /** Anything else the caller passed in `extra`. */
  [key: string]: unknown;
}

/** Options of {@link createRunDir}. */
export interface CreateRunDirOptions {
  /** Parent directory of run directories (e.g. `runs`). */
  root: string;
  /** Experiment name, `[A-Za-z0-9_.-]+`. */
  experiment: string;
  /** Run seed. */
  seed: number;
  /** Use this directory instead of a generated name (created if missing). */
  runDir?: string;
  /** The resolved config, written as `config.yaml` (ignored when `configYaml` is given). */
  config?: unknown;
  /** Ready-made YAML for `config.yaml` (e.g. `dumpConfig(cfg, schema)` with doc comments). */
  configYaml?: string;
  /** Compute backend, recorded in `meta.json`. */
  backend?: string;
  /** The hardware (`deviceDescription()` of the engine), recorded in `meta.json`. */
  device?: string;
  /** Process arguments (default `Deno.args`). */
  argv?: readonly string[];
  /** Extra fields for `meta.json`. */
  extra?: Record<string, unknown>;
  /** Start time (default now). */
  now?: Date;
}

/** A created run directory. */
export interface RunDir {
  /** Path of the directory. */
  readonly path: string;
  /** Its base name. */
  readonly name: string;
  /** What was written to `meta.json`. */
  readonly meta: RunMeta;
}

/** `YYYYMMDD-HHMMSS` of a date, in UTC. */
export function runTimestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** The generated run directory name, `experiment__seed__YYYYMMDD-HHMMSS` (CleanRL style). */
export function runDirName(experiment: string, seed: number, start: Date): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(experiment) || experiment.includes("__")) {
    throw new Error(
      `run dir: experiment name ${JSON.stringify(experiment)} must match [A-Za-z0-9_.-]+ ` +
        `without "__"`,
    );
  }
  if (!Number.isSafeInteger(seed)) throw new Error(`run dir: seed ${seed} is not an integer`);
  return `${experiment}__${seed}__${runTimestamp(start)}`;
}

const _ROOT = new URL("../../", import.meta.url);

async function _git(args: string[]): Promise<string | null> {
  if (_ROOT.protocol !== "file:") return null;
  try {
    const out = await new Deno.Command("git", {
      args,
      cwd: _ROOT,
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

async function _msgrpoVersion(): Promise<string | null> {
  try {
    const text = await Deno.readTextFile(new URL("deno.json", _ROOT));
    return (JSON.parse(text) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

async function _tfjsVersion(): Promise<string | null> {
  try {
    const tf = await import("@tensorflow/tfjs-core");
    return tf.version_core;
  } catch {
    return null;
  }
}

/**
 * Collect what `meta.json` records (without writing anything). Every probe tolerates failure:
 * no git, no repository or no permission gives null.
 */
export async function collectRunMeta(
  opts: Omit<CreateRunDirOptions, "root" | "runDir" | "config" | "configYaml">,
  run: string,
  start: Date,
): Promise<RunMeta> {
  let hostname: string | null = null;
  try {
    hostname = Deno.hostname();
  } catch { /* no --allow-sys */ }
  const commit = await _git(["rev-parse", "HEAD"]);
  const status = commit === null ? null : await _git(["status", "--porcelain"]);
  const [msgrpo, tfjs] = await Promise.all([_msgrpoVersion(), _tfjsVersion()]);
  return {
    experiment: opts.experiment,
    seed: opts.seed,
    run,
    start_time: start.toISOString(),
    argv: [...(opts.argv ?? Deno.args)],
    hostname,
    backend: opts.backend ?? null,
    device: opts.device ?? null,
    git_commit: commit,
    git_dirty: status === null ? null : status.length > 0,
    versions: { ...Deno.version, msgrpo, tfjs },
    ...opts.extra,
  };
}

/**
 * Create a run directory and write `config.yaml` and `meta.json` into it (atomically). A
 * generated name that already exists gets a `-1`, `-2`, … suffix.
 *
 * @param opts root, experiment, seed, config and meta options.
 * @returns the directory's path, name and meta.
 *
 * @example
 * ```ts ignore
 * // not run as a test: its directory name carries the clock time
 * import { createRunDir } from "./run_dir.ts";
 * const run = await createRunDir({ root: "runs", experiment: "frozen_lake", seed: 1, config });
 * console.log(run.path); // e.g. runs/frozen_lake__1__20261101-120000
 * ```
 */
export async function createRunDir(opts: CreateRunDirOptions): Promise<RunDir> {
  const start = opts.now ?? new Date();
  let path: string;
  if (opts.runDir !== undefined) {
    path = opts.runDir;
    await Deno.mkdir(path, { recursive: true });
  } else {
    await Deno.mkdir(opts.root, { recursive: true });
    const base = `${opts.root.replace(/\/+$/, "")}/${
      runDirName(opts.experiment, opts.seed, start)
    }`;
    path = base;
    for (let k = 1;; k++) {
      try {
        await Deno.mkdir(path);
        break;
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists) || k > 999) throw e;
        path = `${base}-${k}`;
      }
    }
  }
  const name = path.replace(/\/+$/, "").slice(path.replace(/\/+$/, "").lastIndexOf("/") + 1);
  const meta = await collectRunMeta(opts, name, start);
  const yaml = opts.configYaml ?? (opts.config === undefined ? undefined : stringify(opts.config));
  if (yaml !== undefined) await writeFileAtomic(`${path}/config.yaml`, yaml);
  await writeJsonAtomic(`${path}/meta.json`, meta);
  return { path, name, meta };
}
