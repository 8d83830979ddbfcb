import assert from "node:assert/strict";
import { join } from "node:path";

Deno.test("tools/make_model.ts accepts the `--` that `deno task make-model --` forwards", async () => {
  const dir = await Deno.makeTempDir({ prefix: "msgrpo-mm-cli-" });
  const out = join(dir, "m");
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "tools/make_model.ts",
      "--",
      "--out",
      out,
      "--hidden",
      "16",
      "--layers",
      "1",
      "--heads",
      "2",
      "--kv-heads",
      "1",
      "--intermediate",
      "32",
      "--tokenizer",
      "byte",
      "--seed",
      "0",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(r.success, new TextDecoder().decode(r.stderr));
  const cfg = JSON.parse(await Deno.readTextFile(join(out, "config.json")));
  assert.equal(cfg.hidden_size, 16);
  await Deno.remove(dir, { recursive: true });
});
