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

Deno.test("notebooks/README.md describes exactly the notebooks that notebooks/ holds", () => {
  const readme = Deno.readTextFileSync(join(NOTEBOOKS, "README.md"));
  const described = [...readme.matchAll(/^\| `([\w-]+\.ipynb)`/gm)].map((m) => m[1]).sort();
  assert.ok(names.length > 0, "no notebooks found");
  assert.deepEqual(names, described);
});

/** Execute a notebook headlessly (optionally on `runs`) and return its cell outputs. */
async function execute(name: string, runs?: string) {
  const out = await Deno.makeTempDir({ prefix: "msgrpo-nb-" });
  const env: Record<string, string> = { ...Deno.env.toObject(), NO_COLOR: "1" };
  delete env.MSGRPO_RUNS;
  delete env.MSGRPO_EPISODE;
  if (runs) env.MSGRPO_RUNS = runs;
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
  await Deno.remove(out, { recursive: true });
  const outputs = nb.cells.flatMap((c: { outputs?: unknown[] }) => c.outputs ?? []) as {
    output_type: string;
    data?: Record<string, unknown>;
  }[];
  assert.ok(!outputs.some((o) => o.output_type === "error"), "a cell raised an error");
  return outputs;
}

for (const name of names) {
  Deno.test({
    name: `${name} executes headlessly on the sample and shows PNG charts`,
    ignore: missing !== null,
    async fn() {
      const outputs = await execute(name);
      const pngs = outputs.filter((o) => o.data?.["image/png"]).length;
      assert.ok(pngs >= 1, `${name}: no PNG output`);
    },
  });
}

const RESULTS = join(import.meta.dirname!, "..", "..", "results", "cpu");

/** The Markdown tables a notebook printed, as one string. */
function markdownOf(outputs: { data?: Record<string, unknown> }[]): string {
  return outputs.map((o) => String(o.data?.["text/markdown"] ?? "")).join("\n");
}

/**
 * The Markdown a notebook printed on `runs`, holding a table whose header starts with `header`.
 * Under load the Deno kernel sometimes loses display messages (nbconvert then records fewer
 * outputs, e.g. no table at all); a run without the table is executed again, up to 3 times.
 */
async function markdownWithTable(name: string, runs: string, header: string): Promise<string> {
  let md = "";
  for (let attempt = 1; attempt <= 3; attempt++) {
    md = markdownOf(await execute(name, runs));
    if (md.includes(`| ${header} |`)) return md;
    console.log(
      `${name}: the kernel's output lacks the table (attempt ${attempt}); executing again`,
    );
  }
  return md;
}

/** The rows of the Markdown table in `text` whose header line starts with `| first |`. */
function tableRows(text: string, first: string): string[][] {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => new RegExp(`^\\|\\s*${first}\\s*\\|`).test(l));
  assert.ok(start >= 0, `no table headed "${first}"`);
  const rows: string[][] = [];
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith("|")) break;
    rows.push(l.split("|").slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

const EXPERIMENTS_README = join(import.meta.dirname!, "..", "..", "experiments", "README.md");

Deno.test({
  name: "the committed full runs (results/) give the figures of experiments/README.md's tables",
  ignore: missing !== null,
  async fn() {
    const readme = Deno.readTextFileSync(EXPERIMENTS_README);
    // comparison: untrained, trained and baseline success per scenario, as the notebook prints them
    const cmp = await markdownWithTable("comparison.ipynb", join(RESULTS, "scale"), "scenario");
    const scale = tableRows(readme, "scenario");
    assert.ok(scale.length >= 4, "the README's comparison table has a row per scenario");
    for (const [scenario, untrained, trained, baseline] of scale) {
      assert.ok(
        cmp.includes(`${scenario} | ${untrained} (n=3) | ${trained} (n=3) | ${baseline}`),
        `comparison.ipynb disagrees with the README's ${scenario} row`,
      );
    }
    // ablation: mean final success per arm and scenario (the README's first figure of a cell)
    const abl = await markdownWithTable("ablation.ipynb", join(RESULTS, "ablation"), "arm");
    const arms = tableRows(readme, "arm");
    assert.ok(arms.length === 3, "the README's ablation table has the three arms");
    const scenarios = ["FrozenLake-NoSlip", "FrozenLake-Slippery"];
    for (const [arm, ...cells] of arms) {
      cells.forEach((cell, k) => {
        const mean = cell.split(" ")[0];
        assert.ok(
          abl.includes(`${arm.replaceAll("`", "")} | ${scenarios[k]} | 3 | ${mean}`),
          `ablation.ipynb disagrees with the README's ${arm} ${scenarios[k]} cell ${mean}`,
        );
      });
    }
  },
});
