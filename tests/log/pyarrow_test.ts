import assert from "node:assert/strict";
import { STEPS, TableWriter } from "../../lib/log/mod.ts";
import { stepRows } from "./fixtures.ts";

/** Why the optional pyarrow check cannot run here, or undefined when it can. */
function pyarrowMissing(): string | undefined {
  try {
    const out = new Deno.Command("/usr/bin/python3", {
      args: ["-c", "import pyarrow"],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    if (out.success) return undefined;
    return `/usr/bin/python3 cannot import pyarrow (${
      new TextDecoder().decode(out.stderr).trim().split("\n").at(-1)
    })`;
  } catch (e) {
    return `/usr/bin/python3 is not runnable (${(e as Error).message})`;
  }
}

const missing = pyarrowMissing();
if (missing) console.log(`skipping the pyarrow readability test: ${missing}`);

const READ = `
import json, sys
import pyarrow as pa
with pa.ipc.open_file(sys.argv[1]) as f:
    t = f.read_all()
    print(json.dumps({"types": [str(x.type) + ("?" if x.nullable else "") for x in t.schema],
                      "batches": f.num_record_batches, "rows": t.to_pylist()}))
`;

Deno.test({
  name: "TableWriter files are readable by pyarrow.ipc.open_file",
  ignore: missing !== undefined,
  fn() {
    const dir = Deno.makeTempDirSync();
    const w = TableWriter.open(dir, STEPS);
    w.append(stepRows(1));
    w.append(stepRows(2));
    w.close();
    const out = new Deno.Command("/usr/bin/python3", {
      args: ["-c", READ, w.path],
      stdout: "piped",
    }).outputSync();
    assert.ok(out.success);
    const got = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(got.batches, 2);
    assert.deepEqual(got.types.slice(0, 10), [
      "int32",
      "int32",
      "int32",
      "int32",
      "string",
      "uint32",
      "int32",
      "int32",
      "string",
      "string?",
    ]);
    assert.deepEqual(got.rows, [...stepRows(1), ...stepRows(2)]);
    Deno.removeSync(dir, { recursive: true });
  },
});
