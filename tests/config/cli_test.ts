import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import {
  c,
  configArgOptions,
  ConfigError,
  configHelp,
  parseConfigArgs,
} from "../../lib/config/mod.ts";
import { SCHEMA } from "./example_schema.ts";

function configOf(args: string[]) {
  const r = parseConfigArgs(SCHEMA, args);
  assert.equal(r.help, undefined);
  return r;
}

Deno.test("parseConfigArgs() applies defaults < --config file < flags and --set in order", () => {
  const dir = Deno.makeTempDirSync();
  const file = `${dir}/exp.yaml`;
  Deno.writeTextFileSync(file, "seed: 5\nmsgrpo:\n  group_size: 8\n  groups: 3\n");
  const r = configOf([
    "--msgrpo.group_size",
    "10",
    "--config",
    file,
    "--set",
    "msgrpo.group_size=12",
    "--msgrpo.groups=6",
    "--set=optim.lr=1e-3",
  ]);
  assert.equal(r.config!.seed, 5); // from the file
  assert.equal(r.config!.msgrpo.group_size, 12); // the later of the flag and --set
  assert.equal(r.config!.msgrpo.groups, 6); // flag beats file
  assert.equal(r.config!.optim.lr, 0.001);
  assert.equal(r.file, file);
  assert.deepEqual(r.overrides, [
    "msgrpo.group_size=10",
    "msgrpo.group_size=12",
    "msgrpo.groups=6",
    "optim.lr=1e-3",
  ]);
  // flags given before --config still beat the file
  assert.equal(configOf(["--seed", "9", "-c", file]).config!.seed, 9);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("parseConfigArgs() turns bool fields into --flag / --no-flag", () => {
  assert.equal(configOf(["--no-msgrpo.scale_std"]).config!.msgrpo.scale_std, false);
  assert.equal(
    configOf(["--no-msgrpo.scale_std", "--msgrpo.scale_std"]).config!.msgrpo.scale_std,
    true,
  );
});

Deno.test("parseConfigArgs() rejects unknown flags with a suggestion", () => {
  try {
    parseConfigArgs(SCHEMA, ["--msgrpo.group_sise", "5", "--seed"]);
    assert.fail("expected an error");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.issues.map((i) => i.message), [
      "unknown flag --msgrpo.group_sise; did you mean --msgrpo.group_size?",
      "flag --seed needs a value",
    ]);
  }
  assert.throws(() => parseConfigArgs(SCHEMA, ["stray"]), /unexpected argument "stray"/);
  assert.throws(() => parseConfigArgs(SCHEMA, ["--no-seed"]), /unknown flag --no-seed/);
  assert.throws(
    () => parseConfigArgs(SCHEMA, ["--msgrpo.group_size", "1"]),
    /--set msgrpo\.group_size=1: msgrpo\.group_size: must be ≥ 2, got 1/,
  );
});

Deno.test("parseConfigArgs() returns the generated help for -h and --help", () => {
  const r = parseConfigArgs(SCHEMA, ["--seed", "3", "-h"], {
    usage: "deno run -A experiments/frozen_lake.ts",
    description: "Train on Frozen Lake.",
  });
  assert.equal(r.config, undefined);
  const help = r.help!;
  assert.equal(
    help,
    configHelp(SCHEMA, {
      usage: "deno run -A experiments/frozen_lake.ts",
      description: "Train on Frozen Lake.",
    }),
  );
  assert.ok(help.startsWith("usage: deno run -A experiments/frozen_lake.ts [--config FILE]"));
  assert.match(help, /\n\nTrain on Frozen Lake\.\n/);
  assert.match(help, /\n {2}--seed INT +random seed of the run \[int ≥ 0; default: 1\]\n/);
  assert.match(help, /\nmsgrpo: MS-GRPO update\n/);
  assert.match(
    help,
    /\n {2}--msgrpo\.sampling aaw\|uniform\|all +episode sampling: \|A\|-weighted, uniform or all \[default: aaw\]\n/,
  );
  assert.match(help, /--msgrpo\.scale_std, --no-msgrpo\.scale_std +divide advantages/);
  assert.match(help, /--eval\.seeds LIST +episode seeds \[list of int ≥ 0; default: \[1,2,3\]\]/);
  // one line per field
  for (const path of ["seed", "optim.lr", "optim.min_lr", "eval.every", "msgrpo.clip_eps"]) {
    assert.equal(help.split("\n").filter((l) => l.includes(`--${path} `)).length, 1, path);
  }
  assert.equal(parseConfigArgs(SCHEMA, ["--help"]).help, configHelp(SCHEMA));
});

Deno.test("configArgOptions() is a valid node:util parseArgs table", () => {
  const { values } = parseArgs({
    args: ["--msgrpo.clip_eps", "0.1", "--set", "a=1", "--set", "b=2", "--no-msgrpo.scale_std"],
    options: configArgOptions(SCHEMA),
    allowNegative: true,
  });
  assert.equal(values["msgrpo.clip_eps"], "0.1");
  assert.deepEqual(values.set, ["a=1", "b=2"]);
  assert.equal(values["msgrpo.scale_std"], false);
});

Deno.test("configArgOptions() refuses top-level keys that clash with the generic flags", () => {
  const bad = c.object({ config: c.string({ default: "x", doc: "clashes" }) });
  assert.throws(() => configArgOptions(bad), /top-level key "config" clashes with the --config/);
});
