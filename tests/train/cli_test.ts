import assert from "node:assert/strict";
import { parseExperimentArgs } from "../../lib/train/cli.ts";
import { trainSchema } from "../../lib/train/schema.ts";

const help = { usage: "deno task demo --", description: "demo" };

Deno.test("parseExperimentArgs() reads run flags, config flags and a forwarded `--`", () => {
  const a = parseExperimentArgs(
    trainSchema,
    ["--", "--run-dir", "runs/x", "--msgrpo.group_size", "4", "--set", "optim.lr=0.001"],
    help,
  );
  assert.equal(a.runDir, "runs/x");
  assert.equal(a.resume, false);
  assert.equal(a.config!.msgrpo.group_size, 4);
  assert.equal(a.config!.optim.lr, 0.001);
  const b = parseExperimentArgs(trainSchema, ["--resume", "--run-dir=runs/y"], help);
  assert.equal(b.runDir, "runs/y");
  assert.equal(b.resume, true);
});

Deno.test("parseExperimentArgs() rejects --resume without --run-dir and bad values with their key", () => {
  assert.throws(
    () => parseExperimentArgs(trainSchema, ["--resume"], help),
    /--resume needs --run-dir/,
  );
  assert.throws(
    () => parseExperimentArgs(trainSchema, ["--msgrpo.group_size", "1"], help),
    /msgrpo\.group_size/,
  );
  assert.throws(
    () => parseExperimentArgs(trainSchema, ["--set", "msgrpo.clip_eps=0"], help),
    /clip_eps/,
  );
  // an empty stop string would end every answer at its first token
  assert.throws(
    () => parseExperimentArgs(trainSchema, ["--set", 'msgrpo.stop=["</action>", ""]'], help),
    /msgrpo\.stop/,
  );
  const stop = parseExperimentArgs(trainSchema, ["--set", 'msgrpo.stop=["</action>"]'], help);
  assert.deepEqual(stop.config!.msgrpo.stop, ["</action>"]);
});

Deno.test("parseExperimentArgs() returns help text naming every option", () => {
  const h = parseExperimentArgs(trainSchema, ["--help"], help);
  assert.ok(h.help!.includes("--run-dir DIR"));
  assert.ok(h.help!.includes("msgrpo.sampling"));
  assert.equal(h.config, undefined);
});

Deno.test("--backend and --model.backend take the engine's names; tensorflow is refused", () => {
  for (const name of ["tfjs-node", "tfjs-node-gpu", "fast", "wasm", "cpu", "webgpu", "auto"]) {
    const a = parseExperimentArgs(trainSchema, ["--backend", name], help);
    assert.equal(a.config!.model.backend, name);
    const b = parseExperimentArgs(trainSchema, ["--model.backend", name], help);
    assert.equal(b.config!.model.backend, name);
  }
  // The run-level flag wins over a config value given earlier.
  const c = parseExperimentArgs(trainSchema, ["--backend=cpu", "--model.backend", "wasm"], help);
  assert.equal(c.config!.model.backend, "cpu");
  assert.throws(
    () => parseExperimentArgs(trainSchema, ["--model.backend", "tensorflow"], help),
    /model\.backend/,
  );
  assert.ok(parseExperimentArgs(trainSchema, ["--help"], help).help!.includes("--backend NAME"));
});

Deno.test("parseExperimentArgs() --resume continues with the run's own config.yaml; flags still win", () => {
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(`${dir}/config.yaml`, "seed: 2\nmsgrpo:\n  group_size: 4\n");
  const a = parseExperimentArgs(trainSchema, ["--resume", "--run-dir", dir], help);
  assert.deepEqual([a.config!.seed, a.config!.msgrpo.group_size], [2, 4]);
  const b = parseExperimentArgs(
    trainSchema,
    ["--resume", "--run-dir", dir, "--msgrpo.group_size", "6"],
    help,
  );
  assert.deepEqual([b.config!.seed, b.config!.msgrpo.group_size], [2, 6]);
  // a fresh run in the same folder name ignores it; a resumed run without the file uses the flags
  const c = parseExperimentArgs(trainSchema, ["--run-dir", dir], help);
  assert.equal(c.config!.seed, 1);
  Deno.removeSync(`${dir}/config.yaml`);
  const d = parseExperimentArgs(trainSchema, ["--resume", "--run-dir", dir, "--seed", "3"], help);
  assert.equal(d.config!.seed, 3);
});
