import assert from "node:assert/strict";
import { c, closest, describeField, editDistance, leafFields } from "../../lib/config/mod.ts";
import { SCHEMA } from "./example_schema.ts";

Deno.test("editDistance() counts insertions, deletions and substitutions", () => {
  assert.equal(editDistance("", ""), 0);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("group_sise", "group_size"), 1);
  assert.equal(editDistance("abc", ""), 3);
  assert.equal(editDistance("flaw", "lawn"), 2);
});

Deno.test("closest() suggests only near candidates", () => {
  assert.equal(closest("uniforn", ["aaw", "uniform", "all"]), "uniform");
  assert.equal(closest("LR", ["lr", "seed"]), "lr");
  assert.equal(closest("temperature", ["seed", "backend"]), undefined);
});

Deno.test("leafFields() lists every leaf path in declaration order", () => {
  assert.deepEqual(leafFields(SCHEMA).map(([p]) => p), [
    "seed",
    "run_name",
    "backend",
    "msgrpo.group_size",
    "msgrpo.groups",
    "msgrpo.clip_eps",
    "msgrpo.sampling",
    "msgrpo.scale_std",
    "msgrpo.temperature",
    "optim.lr",
    "optim.min_lr",
    "optim.grad_clip",
    "eval.every",
    "eval.scenarios",
    "eval.seeds",
  ]);
});

Deno.test("describeField() names the type and constraints", () => {
  assert.equal(describeField(c.int({ doc: "x", min: 2 })), "int ≥ 2");
  assert.equal(describeField(c.float({ doc: "x", gt: 0, lt: 1 })), "float > 0, < 1");
  assert.equal(describeField(c.enum(["a", "b"], { doc: "x" })), "a|b");
  assert.equal(describeField(c.string({ doc: "x", nullable: true })), "string or null");
  assert.equal(describeField(c.array(c.int({ doc: "", min: 0 }), { doc: "x" })), "list of int ≥ 0");
});

Deno.test("c.object() and friends reject malformed schemas", () => {
  assert.throws(() => c.object({ "a.b": c.int({ doc: "x" }) }), /key "a\.b" must match/);
  assert.throws(() => c.enum([], { doc: "x" }), /at least one value/);
  assert.throws(() => c.int({} as { doc: string }), /needs a doc/);
  const o = c.object({ a: c.int({ doc: "x", default: 1 }), b: c.int({ doc: "y" }) });
  assert.equal(o.hasDefault, false);
});
