import assert from "node:assert/strict";
import { engineEnv, setEngineEnvDefault } from "../../lib/engine/engine_env.ts";

Deno.test("setEngineEnvDefault() sets and records a variable only when the user has not set it", () => {
  const free = "MSGRPO_TEST_ENGINE_ENV_FREE", taken = "MSGRPO_TEST_ENGINE_ENV_TAKEN";
  Deno.env.delete(free);
  Deno.env.set(taken, "user");
  try {
    setEngineEnvDefault(free, "4");
    setEngineEnvDefault(taken, "4");
    assert.equal(Deno.env.get(free), "4");
    assert.equal(engineEnv.get(free), "4");
    assert.equal(Deno.env.get(taken), "user");
    assert.equal(engineEnv.has(taken), false);
  } finally {
    Deno.env.delete(free);
    Deno.env.delete(taken);
    engineEnv.delete(free);
  }
});
