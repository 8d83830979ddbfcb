/**
 * One-time machine setup: installs what the fast engine needs through apt when it is missing
 * (`libopenblas0-pthread`, `gcc`; optionally `python3-torch` for the PyTorch reference benchmark
 * and `mesa-vulkan-drivers libvulkan1` for a software WebGPU adapter) and compiles the native
 * kernels into `.cache/native/`. Everything it installs is optional: without it the engine
 * falls back to stock tfjs kernels. `--jupyter` installs what the notebooks need when it is
 * missing: `jupyter-nbconvert jupyter-client` (headless execution), `fonts-dejavu-core` (chart
 * text) and the Deno kernel (`deno jupyter --install`). `--slurm` installs Debian's Slurm
 * (`slurmctld slurmd slurm-client`, 22.05 on Debian 12) and `munge`, which the grid tests start
 * as a one-node cluster of their own (`tests/grid/`).
 *
 * Usage: `deno task setup [--no-apt] [--no-native] [--torch] [--webgpu] [--jupyter] [--slurm]
 * [--force]`
 *
 * @module
 */
import { c, parseConfigArgs } from "../lib/config/mod.ts";
import { loadBlas } from "../lib/engine/blas.ts";
import { buildNative, defaultNativeLibPath } from "../lib/engine/native_build.ts";
import { runMain } from "../lib/util/main.ts";

/** Run a command, inheriting stdio; returns whether it succeeded (false when not runnable). */
async function run(cmd: string, args: string[], quiet = false): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdout: quiet ? "null" : "inherit",
      stderr: quiet ? "null" : "inherit",
      env: { DEBIAN_FRONTEND: "noninteractive" },
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Whether an apt package is installed (dpkg status "install ok installed"). */
async function dpkgInstalled(pkg: string): Promise<boolean> {
  try {
    const out = await new Deno.Command("dpkg-query", {
      args: ["-W", "-f=${Status}", pkg],
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(out.stdout).includes("install ok installed");
  } catch {
    return false;
  }
}

async function aptInstall(pkgs: string[]): Promise<boolean> {
  if (pkgs.length === 0) return true;
  const isRoot = Deno.uid?.() === 0;
  const sudo = !isRoot && await run("sudo", ["-n", "true"], true);
  if (!isRoot && !sudo) {
    console.error(`setup: not root; install manually: apt-get install -y ${pkgs.join(" ")}`);
    return false;
  }
  const pre = sudo ? ["sudo", "-n"] : [];
  const exec = (args: string[]) =>
    run(pre[0] ?? args[0], pre.length ? [...pre.slice(1), ...args] : args.slice(1));
  console.log(`setup: apt-get install ${pkgs.join(" ")}`);
  if (!await exec(["apt-get", "update", "-qq"])) console.error("setup: apt-get update failed");
  const ok = await exec(["apt-get", "install", "-y", "-qq", "--no-install-recommends", ...pkgs]);
  if (!ok) console.error(`setup: apt-get install ${pkgs.join(" ")} failed`);
  return ok;
}

/** Whether `jupyter nbconvert` runs. */
async function hasNbconvert(): Promise<boolean> {
  return await run("jupyter", ["nbconvert", "--version"], true);
}

/** Whether the Deno Jupyter kernel is registered. */
async function hasDenoKernel(): Promise<boolean> {
  try {
    const out = await new Deno.Command("jupyter", {
      args: ["kernelspec", "list", "--json"],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) return false;
    const specs = JSON.parse(new TextDecoder().decode(out.stdout)).kernelspecs ?? {};
    return "deno" in specs;
  } catch {
    return false;
  }
}

/** Debian packages of a one-node Slurm cluster (controller, node daemon, client commands, munge). */
const SLURM_PACKAGES = ["slurmctld", "slurmd", "slurm-client", "munge"];

const DEJAVU_SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/** Register the Deno kernel when Jupyter is there and the kernel is not. */
async function ensureDenoKernel(): Promise<void> {
  if (!await hasNbconvert()) {
    console.error("setup: jupyter nbconvert absent; the notebooks cannot be executed");
    return;
  }
  if (!await hasDenoKernel()) {
    console.log("setup: deno jupyter --install --force");
    await run(Deno.execPath(), ["jupyter", "--install", "--force"]);
  }
  console.log(
    `setup: Jupyter ${await hasDenoKernel() ? "ok (Deno kernel)" : "without the Deno kernel"}`,
  );
}

const schema = c.object({
  apt: c.bool({
    default: true,
    doc: "install missing packages through apt (--no-apt: only report)",
  }),
  native: c.bool({ default: true, doc: "compile the native kernels (--no-native: skip)" }),
  torch: c.bool({ default: false, doc: "install PyTorch for the reference benchmark" }),
  webgpu: c.bool({ default: false, doc: "install a software WebGPU adapter (Mesa Vulkan)" }),
  jupyter: c.bool({ default: false, doc: "install what the notebooks need, and the Deno kernel" }),
  slurm: c.bool({ default: false, doc: "install a one-node Slurm for the grid tests" }),
  force: c.bool({ default: false, doc: "rebuild the native kernels even when up to date" }),
});

async function main(): Promise<number> {
  const parsed = parseConfigArgs(schema, Deno.args.filter((a) => a !== "--"), {
    usage: "deno task setup [--no-apt] [--no-native] [--torch] [--webgpu] [--jupyter] [--slurm] " +
      "[--force]",
  });
  if (parsed.help !== undefined) {
    console.log(parsed.help);
    return 0;
  }
  const a = parsed.config;
  const values = { ...a, "no-apt": !a.apt, "no-native": !a.native };
  const hasBlas = loadBlas({ notice: () => {} }) !== null;
  const hasGcc = await run(Deno.env.get("CC") ?? "gcc", ["--version"], true);
  const want: string[] = [];
  if (!hasBlas) want.push("libopenblas0-pthread");
  if (!hasGcc && !values["no-native"]) want.push("gcc", "libc6-dev");
  // A PyTorch already importable (e.g. a CUDA build from pip on a GPU machine) is kept.
  if (
    values.torch && !await dpkgInstalled("python3-torch") &&
    !await run("/usr/bin/python3", ["-c", "import torch"], true)
  ) want.push("python3-torch");
  if (values.webgpu) {
    for (const p of ["mesa-vulkan-drivers", "libvulkan1"]) {
      if (!await dpkgInstalled(p)) want.push(p);
    }
  }
  if (values.jupyter) {
    if (!await hasNbconvert()) want.push("jupyter-nbconvert", "jupyter-client");
    try {
      Deno.statSync(DEJAVU_SANS);
    } catch {
      want.push("fonts-dejavu-core");
    }
  }
  if (values.slurm) {
    for (const p of SLURM_PACKAGES) if (!await dpkgInstalled(p)) want.push(p);
  }
  if (want.length > 0 && values["no-apt"]) {
    console.error(`setup: missing ${want.join(", ")} (skipped: --no-apt)`);
  } else if (want.length > 0) {
    await aptInstall(want);
  }
  const blasNow = loadBlas({ notice: (m) => console.error(`setup: ${m}`) });
  console.log(
    `setup: OpenBLAS ${blasNow ? `ok (${blasNow.name}, ${blasNow.threads} threads)` : "absent"}`,
  );
  if (values.jupyter) await ensureDenoKernel();
  if (values.slurm) {
    let ok = true;
    for (const p of SLURM_PACKAGES) ok &&= await dpkgInstalled(p);
    console.log(`setup: Slurm ${ok ? "ok" : "absent (the Slurm grid tests will be skipped)"}`);
  }
  if (values["no-native"]) {
    console.log("setup: native kernels skipped (--no-native)");
    return 0;
  }
  const built = await buildNative(defaultNativeLibPath(), undefined, values.force);
  console.log(`setup: native kernels ${built.ok ? "ok" : "not built"}: ${built.message}`);
  return 0;
}

if (import.meta.main) await runMain(main, "setup");
