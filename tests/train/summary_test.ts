import assert from "node:assert/strict";
import { evalOutcomes } from "../../lib/train/trainer.ts";

Deno.test("evalOutcomes() pairs each scenario's first and last evaluation", () => {
  const ev = (iteration: number, scenario: string, success: number, optimal: number | null) => ({
    iteration,
    scenario,
    success,
    optimal,
  });
  const out = evalOutcomes({
    iterations: 20,
    seconds: 1,
    evaluations: [
      ev(0, "A", 0.1, 1),
      ev(0, "B", 0.2, null),
      ev(10, "A", 0.5, 1),
      ev(20, "A", 0.8, 1),
      ev(20, "B", 0.3, null),
    ],
  });
  assert.deepEqual(out, [
    { scenario: "A", base_success: 0.1, final_success: 0.8, optimal_success: 1 },
    { scenario: "B", base_success: 0.2, final_success: 0.3, optimal_success: null },
  ]);
  // A resumed run that never evaluated iteration 0 reports null for the base.
  assert.deepEqual(
    evalOutcomes({ iterations: 5, seconds: 1, evaluations: [ev(5, "A", 0.4, 1)] }),
    [{ scenario: "A", base_success: null, final_success: 0.4, optimal_success: 1 }],
  );
});
