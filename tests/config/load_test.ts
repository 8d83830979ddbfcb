import assert from "node:assert/strict";
import { c, ConfigError, dumpConfig, loadConfig } from "../../lib/config/mod.ts";
import { type ExampleConfig, SCHEMA } from "./example_schema.ts";

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

Deno.test("loadConfig() with nothing gives the schema defaults, deeply frozen", () => {
  const cfg: ExampleConfig = loadConfig(SCHEMA);
  assert.deepEqual(cfg, {
    seed: 1,
    run_name: null,
    backend: "wasm",
    msgrpo: {
      group_size: 16,
      groups: 2,
      clip_eps: 0.2,
      sampling: "aaw",
      scale_std: true,
      temperature: 1,
    },
    optim: { lr: 3e-4, min_lr: 0, grad_clip: 1 },
    eval: { every: 10, scenarios: ["4x4", "8x8"], seeds: [1, 2, 3] },
  });
  assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.msgrpo) && Object.isFrozen(cfg.eval.seeds));
  assert.throws(() => {
    (cfg.msgrpo as { group_size: number }).group_size = 3;
  }, TypeError);
  // defaults are copied, not shared with the schema
  const again = loadConfig(SCHEMA);
  assert.notEqual(again.eval.seeds, cfg.eval.seeds);
});

Deno.test("loadConfig() reports an unknown key with a suggestion and its file:line:col", () => {
  const text = "seed: 4\nmsgrpo:\n  group_sise: 8\n";
  const e = errorOf(() => loadConfig(SCHEMA, { text, file: "exp.yaml" }));
  assert.equal(e.issues.length, 1);
  assert.deepEqual(e.issues[0], {
    path: "msgrpo.group_sise",
    message: "unknown key; did you mean msgrpo.group_size?",
    origin: "exp.yaml:3:3",
  });
  assert.equal(
    e.message,
    "invalid config: exp.yaml:3:3: msgrpo.group_sise: unknown key; did you mean msgrpo.group_size?",
  );
});

Deno.test("loadConfig() suggests the full path of a key written at the wrong level", () => {
  const e = errorOf(() => loadConfig(SCHEMA, { text: "seed: 1\nclip_eps: 0.1\n", file: "a.yaml" }));
  assert.equal(e.issues[0].path, "clip_eps");
  assert.equal(e.issues[0].message, "unknown key; did you mean msgrpo.clip_eps?");
  assert.equal(e.issues[0].origin, "a.yaml:2:1");
});

Deno.test("loadConfig() rejects wrong types with the key path and the value", () => {
  const text = [
    "seed: abc", //                       line 1
    "backend: 3",
    "msgrpo:",
    "  group_size: 2.5", //               line 4
    "  scale_std: yes", //                YAML 1.2: a string
    "eval:",
    "  scenarios: 4x4", //                line 7: not a list
    "  seeds: [1, -2, x]", //             line 8
    "run_name: 12",
  ].join("\n");
  const e = errorOf(() => loadConfig(SCHEMA, { text, file: "t.yaml" }));
  const got = e.issues.map((i) => `${i.origin} ${i.path}: ${i.message}`);
  assert.deepEqual(got, [
    `t.yaml:1:1 seed: must be an integer, got string "abc"`,
    `t.yaml:9:1 run_name: must be a string, got number 12 (quote it in YAML)`,
    `t.yaml:2:1 backend: must be one of wasm | cpu | webgpu, got 3`,
    `t.yaml:4:3 msgrpo.group_size: must be an integer, got 2.5`,
    `t.yaml:5:3 msgrpo.scale_std: must be true or false, got string "yes"`,
    `t.yaml:7:3 eval.scenarios: must be a list, got string "4x4"`,
    `t.yaml:8:14 eval.seeds[1]: must be ≥ 0, got -2`,
    `t.yaml:8:18 eval.seeds[2]: must be an integer, got string "x"`,
  ]);
});

Deno.test("loadConfig() enforces inclusive and exclusive bounds and custom checks", () => {
  const cases: [string, string][] = [
    ["msgrpo: {group_size: 1}", "msgrpo.group_size: must be ≥ 2, got 1"],
    ["msgrpo: {clip_eps: 0}", "msgrpo.clip_eps: must be > 0, got 0"],
    ["msgrpo: {clip_eps: 1}", "msgrpo.clip_eps: must be < 1, got 1"],
    ["msgrpo: {temperature: 5.5}", "msgrpo.temperature: must be ≤ 5, got 5.5"],
    ["optim: {lr: -1e-3}", "optim.lr: must be > 0, got -0.001"],
    ["optim: {grad_clip: -1}", "optim.grad_clip: must be ≥ 0 or exactly 0 to switch off, got -1"],
    ["optim: {lr: 1e-4, min_lr: 1e-3}", "optim: min_lr (0.001) must be ≤ lr (0.0001)"],
    ["eval: {scenarios: []}", "eval.scenarios: must have at least 1 elements, got 0"],
    ["eval: {scenarios: ['']}", "eval.scenarios[0]: must have at least 1 characters, got 0"],
    ["msgrpo: {temperature: .inf}", "msgrpo.temperature: must be a finite number, got Infinity"],
  ];
  for (const [text, want] of cases) {
    const e = errorOf(() => loadConfig(SCHEMA, { text }));
    assert.equal(e.issues.length, 1, text);
    assert.equal(`${e.issues[0].path}: ${e.issues[0].message}`, want);
  }
  // values on the bounds pass
  const ok = loadConfig(SCHEMA, { text: "msgrpo: {group_size: 2, temperature: 5}" });
  assert.equal(ok.msgrpo.group_size, 2);
});

Deno.test("loadConfig() rejects an enum value with a did-you-mean", () => {
  const e = errorOf(() => loadConfig(SCHEMA, { overrides: ["msgrpo.sampling=unifrom"] }));
  assert.equal(
    e.message,
    `invalid config: --set msgrpo.sampling=unifrom: msgrpo.sampling: must be one of ` +
      `aaw | uniform | all, got "unifrom" (did you mean "uniform"?)`,
  );
});

Deno.test("loadConfig() reports YAML syntax errors and duplicate keys with their line", () => {
  const bad = errorOf(() =>
    loadConfig(SCHEMA, { text: "seed: 1\nmsgrpo:\n  group_size: [1, 2\n", file: "s.yaml" })
  );
  assert.match(bad.issues[0].origin!, /^s\.yaml:[34]:\d+$/);
  assert.match(bad.issues[0].message, /^YAML syntax: /);
  const dup = errorOf(() => loadConfig(SCHEMA, { text: "seed: 1\nbackend: cpu\nseed: 2\n" }));
  assert.equal(dup.issues[0].origin, "<config>:3:1");
  assert.match(dup.issues[0].message, /unique/);
});

Deno.test("loadConfig() reads a file from disk and names it in errors", () => {
  const dir = Deno.makeTempDirSync();
  const file = `${dir}/exp.yaml`;
  Deno.writeTextFileSync(file, "# comment\n\nmsgrpo:\n  groups: 0\n");
  const e = errorOf(() => loadConfig(SCHEMA, { file }));
  assert.equal(e.issues[0].origin, `${file}:4:3`);
  assert.throws(() => loadConfig(SCHEMA, { file: `${dir}/missing.yaml` }), /cannot read/);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("loadConfig() applies defaults < file < --set, later overrides winning", () => {
  const text = "seed: 5\nmsgrpo:\n  group_size: 8\n  groups: 4\n";
  const cfg = loadConfig(SCHEMA, {
    text,
    overrides: ["msgrpo.group_size=12", "msgrpo.group_size=6", "optim.lr=1e-3"],
  });
  assert.equal(cfg.seed, 5); // file
  assert.equal(cfg.msgrpo.groups, 4); // file
  assert.equal(cfg.msgrpo.group_size, 6); // last --set
  assert.equal(cfg.optim.lr, 0.001); // --set, YAML float
  assert.equal(cfg.msgrpo.clip_eps, 0.2); // default
});

Deno.test("loadConfig() reads override values with YAML scalar semantics", () => {
  const cfg = loadConfig(SCHEMA, {
    overrides: [
      "msgrpo.scale_std=false",
      "eval.seeds=[7, 8]",
      "eval.scenarios=[a, 'b c']",
      "run_name=123", // string field: taken as written
      "optim.grad_clip=0",
      "seed=0x10",
    ],
  });
  assert.equal(cfg.msgrpo.scale_std, false);
  assert.deepEqual(cfg.eval.seeds, [7, 8]);
  assert.deepEqual(cfg.eval.scenarios, ["a", "b c"]);
  assert.equal(cfg.run_name, "123");
  assert.equal(cfg.optim.grad_clip, 0);
  assert.equal(cfg.seed, 16);
  assert.equal(loadConfig(SCHEMA, { overrides: ["run_name=null"] }).run_name, null);
  assert.equal(loadConfig(SCHEMA, { overrides: ["run_name='null'"] }).run_name, "null");
  const e = errorOf(() => loadConfig(SCHEMA, { overrides: ["msgrpo.scale_std=yes"] }));
  assert.equal(e.issues[0].message, `must be true or false, got string "yes"`);
  assert.equal(e.issues[0].origin, "--set msgrpo.scale_std=yes");
});

Deno.test("loadConfig() rejects malformed overrides and paths through a value", () => {
  assert.throws(
    () => loadConfig(SCHEMA, { overrides: ["seed"] }),
    /an override must look like key\.path=value, got "seed"/,
  );
  assert.throws(
    () => loadConfig(SCHEMA, { overrides: ["seed.x=1"] }),
    /seed\.x: seed is a single value, not a group of keys/,
  );
  const e = errorOf(() => loadConfig(SCHEMA, { overrides: ["msgrpo.grup_size=3"] }));
  assert.equal(e.issues[0].message, "unknown key; did you mean msgrpo.group_size?");
  assert.equal(e.issues[0].origin, "--set msgrpo.grup_size=3");
});

Deno.test("loadConfig() requires fields without a default and collects every problem", () => {
  const schema = c.object({
    model: c.string({ doc: "model directory" }),
    steps: c.int({ doc: "training steps", min: 1 }),
  });
  const e = errorOf(() => loadConfig(schema, { text: "steps: 0" }));
  assert.deepEqual(e.issues.map((i) => `${i.path}: ${i.message}`), [
    "model: required (no default) but not given",
    "steps: must be ≥ 1, got 0",
  ]);
  assert.match(e.message, /^invalid config \(2 problems\):\n {2}/);
  const cfg = loadConfig(schema, { overrides: ["model=/tmp/m", "steps=3"] });
  assert.deepEqual(cfg, { model: "/tmp/m", steps: 3 });
});

Deno.test("dumpConfig() writes commented YAML that loads back to the same config", () => {
  const cfg = loadConfig(SCHEMA, {
    overrides: [
      "run_name='123'",
      "optim.lr=0.30000000000000004",
      "eval.scenarios=['yes', 'null', '1e3', 'a: b']",
      "msgrpo.temperature=1.25",
    ],
  });
  const yaml = dumpConfig(cfg, SCHEMA);
  assert.match(yaml, /# episodes per group \(G\) \(int ≥ 2\)\n {2}group_size: 16\n/);
  assert.match(yaml, /# MS-GRPO update\nmsgrpo:\n/);
  const back = loadConfig(SCHEMA, { text: yaml });
  assert.deepEqual(back, cfg);
  assert.equal(back.optim.lr, 0.30000000000000004);
  assert.equal(back.run_name, "123");
  // without a schema: plain YAML, same values
  assert.deepEqual(loadConfig(SCHEMA, { text: dumpConfig(cfg) }), cfg);
  assert.ok(!dumpConfig(cfg).includes("#"));
});
