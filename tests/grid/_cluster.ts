/**
 * A throw-away one-node Slurm cluster for tests: munged, slurmctld and slurmd from Debian's
 * packages, every file (config, munge key and socket, state, spool, logs, pid files) in one
 * temporary folder, on random ports, so nothing of the machine's own configuration is used or
 * changed. Clients reach it through `SLURM_CONF` (see {@link Cluster.env}).
 *
 * Needs root (slurmd runs jobs as their users) and the packages of `deno task setup --slurm`.
 *
 * @module
 */
import { join } from "node:path";

/** A running cluster. */
export interface Cluster {
  /** Environment for Slurm clients (`sbatch`, `squeue`, `scancel`): `SLURM_CONF`. */
  env: Record<string, string>;
  /** The node's name. */
  node: string;
  /** Folder of the cluster's files. */
  dir: string;
  /** Stop the daemons and remove the folder. */
  stop(): Promise<void>;
}

const _BINARIES = [
  "munged",
  "slurmctld",
  "slurmd",
  "sbatch",
  "squeue",
  "scancel",
  "scontrol",
  "sinfo",
];

/** The program's path: on PATH, or in /usr/sbin or /sbin (the daemons' home, often not on PATH). */
function _which(name: string): string | null {
  for (const d of (Deno.env.get("PATH") ?? "").split(":").concat(["/usr/sbin", "/sbin"])) {
    try {
      if (d && Deno.statSync(join(d, name)).isFile) return join(d, name);
    } catch { /* next */ }
  }
  return null;
}

/**
 * Why a cluster cannot be started here, or null when it can.
 *
 * @returns the reason, or null.
 */
export function clusterUnavailable(): string | null {
  const missing = _BINARIES.filter((b) => _which(b) === null);
  if (missing.length) {
    return `Slurm/munge not installed (missing ${missing.join(", ")}; run deno task setup --slurm)`;
  }
  if (Deno.uid() !== 0) return "a one-node Slurm cluster needs root (slurmd)";
  return null;
}

async function _run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(_which(cmd) ?? cmd, {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { ok: out.success, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function _alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

function _pid(file: string): number | null {
  try {
    const n = Number(Deno.readTextFileSync(file).trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/**
 * The slurm.conf of a one-node cluster: no accounting, linuxproc process tracking, cons_tres
 * allocating CPUs, everything on 127.0.0.1 (the host name need not resolve).
 *
 * @param dir the cluster's folder.
 * @param node the node's name (the short host name, which slurmd looks for).
 * @param cpus CPUs of the node.
 * @param port slurmctld's port (slurmd takes the next).
 * @returns the file's text.
 */
export function slurmConf(dir: string, node: string, cpus: number, port: number): string {
  return [
    "ClusterName=msgrpo-test",
    `SlurmctldHost=${node}(127.0.0.1)`,
    "SlurmUser=root",
    `SlurmctldPort=${port}`,
    `SlurmdPort=${port + 1}`,
    "AuthType=auth/munge",
    `AuthInfo=socket=${dir}/munge/munge.socket`,
    "CryptoType=crypto/munge",
    `StateSaveLocation=${dir}/state`,
    `SlurmdSpoolDir=${dir}/spool`,
    `SlurmctldPidFile=${dir}/slurmctld.pid`,
    `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/log/slurmctld.log`,
    `SlurmdLogFile=${dir}/log/slurmd.log`,
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_CPU",
    "SchedulerType=sched/backfill",
    "AccountingStorageType=accounting_storage/none",
    "JobCompType=jobcomp/none",
    "JobAcctGatherType=jobacct_gather/none",
    "MpiDefault=none",
    "ReturnToService=2",
    "InactiveLimit=0",
    "KillWait=2",
    "MinJobAge=300",
    // the configured CPUs count even where the machine has fewer (CI machines vary)
    "SlurmdParameters=config_overrides",
    `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} State=UNKNOWN`,
    "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
    "",
  ].join("\n");
}

/**
 * Start a one-node cluster with `cpus` CPUs and wait until its node is idle.
 *
 * @param cpus CPUs of the node (default 2).
 * @returns the cluster.
 * @throws {Error} with the daemons' log tails when it does not come up within 30 s.
 */
export async function startCluster(cpus = 2): Promise<Cluster> {
  const dir = await Deno.makeTempDir({ prefix: "msgrpo-slurm-" });
  await Deno.chmod(dir, 0o755);
  for (const d of ["munge", "state", "spool", "log"]) await Deno.mkdir(join(dir, d));
  await Deno.chmod(join(dir, "munge"), 0o700);
  const key = join(dir, "munge", "munge.key");
  await Deno.writeFile(key, crypto.getRandomValues(new Uint8Array(1024)), { mode: 0o600 });
  const node = Deno.hostname().split(".")[0];
  const port = 20000 + Math.floor(Math.random() * 20000) * 2;
  const conf = join(dir, "slurm.conf");
  await Deno.writeTextFile(conf, slurmConf(dir, node, cpus, port));
  const env = { SLURM_CONF: conf };
  const pids = () =>
    ["munge/munged.pid", "slurmctld.pid", "slurmd.pid"].map((f) => _pid(join(dir, f)));
  const stop = async () => {
    await _run("scontrol", ["shutdown"], env);
    const t0 = Date.now();
    const [, ctld, slurmd] = pids();
    while ([ctld, slurmd].some((p) => p !== null && _alive(p)) && Date.now() - t0 < 10_000) {
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const p of pids()) {
      if (p !== null && _alive(p)) Deno.kill(p, "SIGTERM");
    }
    await new Promise((r) => setTimeout(r, 200));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const munged = await _run("munged", [
    "--force",
    `--socket=${dir}/munge/munge.socket`,
    `--key-file=${key}`,
    `--log-file=${dir}/log/munged.log`,
    `--pid-file=${dir}/munge/munged.pid`,
    `--seed-file=${dir}/munge/munged.seed`,
  ]);
  const ctld = munged.ok ? await _run("slurmctld", ["-f", conf]) : munged;
  const slurmd = ctld.ok ? await _run("slurmd", ["-f", conf]) : ctld;
  const t0 = Date.now();
  let state = "";
  while (slurmd.ok && Date.now() - t0 < 30_000) {
    state = (await _run("sinfo", ["-h", "-o", "%T"], env)).stdout.trim();
    if (state === "idle") return { env, node, dir, stop };
    await new Promise((r) => setTimeout(r, 250));
  }
  let logs = "";
  for (const f of ["munged.log", "slurmctld.log", "slurmd.log"]) {
    try {
      logs += `\n--- ${f}\n` + Deno.readTextFileSync(join(dir, "log", f)).split("\n").slice(-15)
        .join("\n");
    } catch { /* absent */ }
  }
  await stop();
  throw new Error(
    `one-node Slurm did not come up (node state ${JSON.stringify(state)}): ` +
      `${slurmd.stderr.trim()}${logs}`,
  );
}
