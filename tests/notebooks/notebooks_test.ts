import assert from "node:assert/strict";
import { join } from "node:path";

const NOTEBOOKS = join(import.meta.dirname!, "..", "..", "notebooks");
const names = [...Deno.readDirSync(NOTEBOOKS)]
  .filter((e) => e.isFile && e.name.endsWith(".ipynb"))
  .map((e) => e.name)
  .sort();

async function hasJupyter(): Promise<string | null> {
  try {
    const out = await new Deno.Command("jupyter", {
      args: ["kernelspec", "list", "--json"],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) return "`jupyter kernelspec list` failed";
    const specs = JSON.parse(new TextDecoder().decode(out.stdout)).kernelspecs ?? {};
    return "deno" in specs ? null : "the Deno kernel is not installed (`deno jupyter --install`)";
  } catch {
    return "`jupyter` is not installed (run `deno task setup --jupyter`)";
  }
}

const missing = await hasJupyter();
if (missing) console.log(`skipping the notebook tests: ${missing}`);

Deno.test("notebooks/ holds the five analysis notebooks", () => {
  assert.deepEqual(names, [
    "ablation.ipynb",
    "comparison.ipynb",
    "episode_replay.ipynb",
    "run_health.ipynb",
    "training_progress.ipynb",
  ]);
});

for (const name of names) {
  Deno.test({
    name: `${name} executes headlessly on the sample and shows PNG charts`,
    ignore: missing !== null,
    async fn() {
      const out = await Deno.makeTempDir({ prefix: "msgrpo-nb-" });
      const env: Record<string, string> = { ...Deno.env.toObject(), NO_COLOR: "1" };
      delete env.MSGRPO_RUNS;
      delete env.MSGRPO_EPISODE;
      const r = await new Deno.Command("jupyter", {
        args: [
          "nbconvert",
          "--to",
          "notebook",
          "--execute",
          name,
          "--output-dir",
          out,
          "--ExecutePreprocessor.timeout=120",
        ],
        cwd: NOTEBOOKS,
        env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(r.stderr);
      assert.equal(r.code, 0, `${name} failed:\n${stderr.slice(-3000)}`);
      const nb = JSON.parse(await Deno.readTextFile(join(out, name)));
      const outputs = nb.cells.flatMap((c: { outputs?: unknown[] }) => c.outputs ?? []) as {
        output_type: string;
        data?: Record<string, unknown>;
      }[];
      assert.ok(!outputs.some((o) => o.output_type === "error"), "a cell raised an error");
      const pngs = outputs.filter((o) => o.data?.["image/png"]).length;
      assert.ok(pngs >= 1, `${name}: no PNG output`);
      await Deno.remove(out, { recursive: true });
    },
  });
}
