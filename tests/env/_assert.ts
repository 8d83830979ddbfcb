/** Assertion helpers for the environment tests (node:assert/strict underneath). */
import assert from "node:assert/strict";

/** Deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  assert.deepStrictEqual(actual, expected, msg);
}

/** |actual − expected| ≤ tol. */
export function assertClose(actual: number, expected: number, tol: number, msg?: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${msg ?? "value"}: expected ${expected} ± ${tol}, got ${actual}`,
  );
}

/** A truthy condition. */
export function assertTrue(cond: unknown, msg?: string): void {
  assert.ok(cond, msg);
}

/** The function throws an instance of `cls` whose message contains `includes`. */
export function assertThrows(fn: () => unknown, cls: ErrorConstructor, includes: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    assert.ok(
      (e as Error).message.includes(includes),
      `expected the message to contain ${JSON.stringify(includes)}, got ${
        JSON.stringify((e as Error).message)
      }`,
    );
    return true;
  });
}
