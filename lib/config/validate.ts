/**
 * Resolve a raw (parsed YAML / override) value against a schema: fill defaults, check types and
 * constraints, reject unknown keys, and collect every problem with its key path and origin.
 *
 * @module
 */

import { type Field, type Infer, leafFields } from "./schema.ts";
import { closest } from "./suggest.ts";

/** One problem found while resolving a config. */
export interface ConfigIssue {
  /** Dotted key path, e.g. `msgrpo.group_size` or `eval.scenarios[2]`. */
  readonly path: string;
  /** What is wrong, e.g. `must be ≥ 2, got 1`. */
  readonly message: string;
  /** Where the value came from: `file.yaml:3:5`, `--set a.b=1`, `default`; absent if unknown. */
  readonly origin?: string;
}

/** Render an issue as `origin: path: message` (parts that are absent are left out). */
export function formatIssue(issue: ConfigIssue): string {
  const at = issue.path === "" ? "" : `${issue.path}: `;
  return `${issue.origin ? `${issue.origin}: ` : ""}${at}${issue.message}`;
}

/** Thrown when a config does not resolve; `issues` lists every problem found. */
export class ConfigError extends Error {
  /** Every problem found, in schema order. */
  readonly issues: readonly ConfigIssue[];
  /** @param issues the problems (at least one). */
  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map(formatIssue);
    super(
      lines.length === 1
        ? `invalid config: ${lines[0]}`
        : `invalid config (${lines.length} problems):\n  ${lines.join("\n  ")}`,
    );
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/** Maps a key path to where its value came from (see {@link ConfigIssue.origin}). */
export type OriginOf = (path: string) => string | undefined;

/** Show a value in an error message: strings quoted, long values shortened. */
export function showValue(v: unknown): string {
  let s: string;
  if (typeof v === "string") s = JSON.stringify(v);
  else if (typeof v === "number" || typeof v === "boolean" || v === null) s = String(v);
  else if (v === undefined) s = "nothing";
  else {
    try {
      s = JSON.stringify(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function _typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  return typeof v === "object" ? "mapping" : typeof v;
}

function _isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function _join(prefix: string, key: string): string {
  return prefix ? `${prefix}.${key}` : key;
}

/**
 * Resolve `raw` against `schema`. Returns the resolved value (plain, unfrozen, keys in schema
 * order) or throws a {@link ConfigError} listing every problem.
 *
 * @param schema the root field (usually `c.object({...})`).
 * @param raw the merged raw value (undefined = all defaults).
 * @param originOf where each path's value came from, for messages.
 */
export function resolveConfig<F extends Field>(
  schema: F,
  raw: unknown,
  originOf: OriginOf = () => undefined,
): Infer<F> {
  const issues: ConfigIssue[] = [];
  const allPaths = leafFields(schema).map(([p]) => p);
  const ctx = { issues, originOf, allPaths };
  const out = _resolve(schema, raw, "", ctx);
  if (issues.length) throw new ConfigError(issues);
  return out as Infer<F>;
}

interface _Ctx {
  issues: ConfigIssue[];
  originOf: OriginOf;
  allPaths: string[];
}

function _issue(ctx: _Ctx, path: string, message: string, origin?: string): void {
  ctx.issues.push({ path, message, origin: origin ?? ctx.originOf(path) });
}

function _unknownKey(ctx: _Ctx, parent: string, key: string, siblings: string[]): void {
  const path = _join(parent, key);
  let hint = closest(key, siblings);
  let full = hint === undefined ? undefined : _join(parent, hint);
  if (full === undefined) {
    // the key may belong to another group: match on the last path segment
    const byLeaf = ctx.allPaths.filter((p) => p.split(".").pop() === key);
    if (byLeaf.length >= 1) full = byLeaf[0];
    else {
      hint = closest(path, ctx.allPaths);
      full = hint;
    }
  }
  const known = siblings.length <= 12 ? ` (known here: ${siblings.join(", ")})` : "";
  _issue(ctx, path, full ? `unknown key; did you mean ${full}?` : `unknown key${known}`);
}

function _resolve(f: Field, raw: unknown, path: string, ctx: _Ctx): unknown {
  if (f.kind === "object") return _resolveObject(f, raw, path, ctx);
  let value = raw;
  let origin: string | undefined;
  if (raw === undefined) {
    if (!f.hasDefault) {
      _issue(ctx, path, `required (no default) but not given`);
      return undefined;
    }
    value = structuredClone(f.default);
    origin = "default";
  }
  if (value === null) {
    if (!f.nullable) _issue(ctx, path, `must not be null`, origin);
    return null;
  }
  const before = ctx.issues.length;
  if (f.kind === "array") {
    if (!Array.isArray(value)) {
      _issue(ctx, path, `must be a list, got ${_typeName(value)} ${showValue(value)}`, origin);
      return value;
    }
    value = value.map((x, i) => _resolveItem(f.item!, x, `${path}[${i}]`, ctx, origin));
    const msg = _checkLength(f, (value as unknown[]).length, "elements");
    if (msg) _issue(ctx, path, msg, origin);
  } else {
    const problem = _checkLeaf(f, value);
    if (problem) _issue(ctx, path, problem, origin);
  }
  if (ctx.issues.length === before && f.check) {
    const msg = f.check(value as never);
    if (msg) _issue(ctx, path, msg, origin);
  }
  return value;
}

function _resolveItem(
  f: Field,
  x: unknown,
  path: string,
  ctx: _Ctx,
  origin: string | undefined,
): unknown {
  if (origin === undefined) return _resolve(f, x ?? null, path, ctx);
  // elements of a default list: report them as coming from the default
  const inner = { ...ctx, originOf: () => origin };
  return _resolve(f, x ?? null, path, inner);
}

function _resolveObject(f: Field, raw: unknown, path: string, ctx: _Ctx): unknown {
  const fields = f.fields!;
  if (raw !== undefined && !_isPlainObject(raw)) {
    _issue(ctx, path, `must be a mapping of keys, got ${_typeName(raw)} ${showValue(raw)}`);
    return undefined;
  }
  const given = raw ?? {};
  const keys = Object.keys(fields);
  for (const k of Object.keys(given)) {
    if (!Object.hasOwn(fields, k)) _unknownKey(ctx, path, k, keys);
  }
  const before = ctx.issues.length;
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = _resolve(fields[k], given[k], _join(path, k), ctx);
  if (ctx.issues.length === before && f.check) {
    const msg = f.check(out as never);
    if (msg) _issue(ctx, path, msg);
  }
  return out;
}

function _checkNumber(f: Field, v: number): string | undefined {
  if (f.min !== undefined && !(v >= f.min)) return `must be ≥ ${f.min}, got ${v}`;
  if (f.gt !== undefined && !(v > f.gt)) return `must be > ${f.gt}, got ${v}`;
  if (f.max !== undefined && !(v <= f.max)) return `must be ≤ ${f.max}, got ${v}`;
  if (f.lt !== undefined && !(v < f.lt)) return `must be < ${f.lt}, got ${v}`;
  return undefined;
}

function _checkLength(f: Field, n: number, what: string): string | undefined {
  if (f.minLength !== undefined && n < f.minLength) {
    return `must have at least ${f.minLength} ${what}, got ${n}`;
  }
  if (f.maxLength !== undefined && n > f.maxLength) {
    return `must have at most ${f.maxLength} ${what}, got ${n}`;
  }
  return undefined;
}

function _checkLeaf(f: Field, v: unknown): string | undefined {
  const got = `got ${_typeName(v)} ${showValue(v)}`;
  switch (f.kind) {
    case "int":
      if (typeof v !== "number" || !Number.isSafeInteger(v)) {
        return typeof v === "number"
          ? `must be an integer, got ${v}`
          : `must be an integer, ${got}`;
      }
      return _checkNumber(f, v);
    case "float":
      if (typeof v !== "number") return `must be a number, ${got}`;
      if (!Number.isFinite(v)) return `must be a finite number, got ${v}`;
      return _checkNumber(f, v);
    case "bool":
      return typeof v === "boolean" ? undefined : `must be true or false, ${got}`;
    case "string":
      if (typeof v !== "string") return `must be a string, ${got} (quote it in YAML)`;
      if (f.pattern && !new RegExp(`^(?:${f.pattern.source})$`, f.pattern.flags).test(v)) {
        return `must match /${f.pattern.source}/, got ${showValue(v)}`;
      }
      return _checkLength(f, v.length, "characters");
    case "enum": {
      const values = f.values!;
      if (typeof v === "string" && values.includes(v)) return undefined;
      const hint = typeof v === "string" ? closest(v, values) : undefined;
      return `must be one of ${values.join(" | ")}, got ${showValue(v)}` +
        (hint ? ` (did you mean "${hint}"?)` : "");
    }
    default:
      return `unsupported field kind ${f.kind}`;
  }
}
