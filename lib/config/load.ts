/**
 * Load a config: schema defaults, then a YAML file, then `--set key.path=value` overrides (later
 * wins), resolved against the schema into a validated, deeply frozen object.
 *
 * @module
 */

import { isMap, isScalar, isSeq, LineCounter, type Node, parse, parseDocument } from "yaml";
import type { Field, Infer } from "./schema.ts";
import { ConfigError, type ConfigIssue, resolveConfig, showValue } from "./validate.ts";

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** YAML file to read (its path also labels error messages). */
  file?: string;
  /** YAML text to use instead of reading `file` (then `file` is only the label). */
  text?: string;
  /** `key.path=value` strings (e.g. from repeated `--set`), applied in order after the file. */
  overrides?: readonly string[];
}

/**
 * Resolve a config from defaults < YAML file < overrides into a validated, frozen object.
 *
 * Override values are read as YAML (`4` is a number, `true` a bool, `[1, 2]` a list, `null`
 * null); for string and enum fields the text is taken as written unless it is quoted. An override
 * replaces the whole value at its path (a list or mapping is replaced, not merged).
 *
 * @param schema root field, usually `c.object({...})`.
 * @param opts file, text and overrides.
 * @returns the resolved config, deeply frozen.
 * @throws {ConfigError} naming each bad key path with its file:line:col or `--set` origin.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { c } from "./schema.ts";
 * import { loadConfig } from "./load.ts";
 * const schema = c.object({ lr: c.float({ default: 3e-4, gt: 0, doc: "learning rate" }) });
 * const cfg = loadConfig(schema, { text: "lr: 1e-3", overrides: ["lr=5e-4"] });
 * assert.deepEqual(cfg.lr, 0.0005);
 * ```
 */
export function loadConfig<F extends Field>(schema: F, opts: LoadConfigOptions = {}): Infer<F> {
  const origins = new Map<string, string>();
  let raw: unknown = undefined;
  const label = opts.file ?? "<config>";
  if (opts.text !== undefined || opts.file !== undefined) {
    let text: string;
    if (opts.text !== undefined) text = opts.text;
    else {
      try {
        text = Deno.readTextFileSync(opts.file!);
      } catch (e) {
        throw new Error(`config: cannot read ${opts.file}: ${(e as Error).message}`);
      }
    }
    raw = _parseYaml(text, label, origins);
  }
  for (const o of opts.overrides ?? []) raw = applyOverride(schema, raw, o, origins);
  const cfg = resolveConfig(schema, raw, (p) => _originOf(origins, p));
  return deepFreeze(cfg);
}

/** Recursively `Object.freeze` a plain value and return it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function _originOf(origins: Map<string, string>, path: string): string | undefined {
  let p = path;
  for (;;) {
    const o = origins.get(p);
    if (o !== undefined) return o;
    const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
    if (cut <= 0) return origins.get("");
    p = p.slice(0, cut);
  }
}

function _parseYaml(text: string, label: string, origins: Map<string, string>): unknown {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  if (doc.errors.length) {
    const issues: ConfigIssue[] = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return {
        path: "",
        message: `YAML syntax: ${
          e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")
        }`,
        origin: pos ? `${label}:${pos.line}:${pos.col}` : label,
      };
    });
    throw new ConfigError(issues);
  }
  const at = (offset: number | undefined) => {
    if (offset === undefined) return label;
    const { line, col } = lc.linePos(offset);
    return `${label}:${line}:${col}`;
  };
  origins.set("", at(doc.contents?.range?.[0] ?? 0));
  const walk = (node: Node | null | undefined, path: string) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const p = path ? `${path}.${key}` : key;
        origins.set(p, at((pair.key as Node | null)?.range?.[0]));
        walk(pair.value as Node | null, p);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const p = `${path}[${i}]`;
        origins.set(p, at((item as Node | null)?.range?.[0]));
        walk(item as Node | null, p);
      });
    }
  };
  walk(doc.contents, "");
  return doc.toJS() ?? undefined;
}

function _fieldAt(schema: Field, keys: string[]): { field?: Field; stop?: string } {
  let f: Field | undefined = schema;
  for (let i = 0; i < keys.length; i++) {
    if (f.kind !== "object") return { stop: keys.slice(0, i).join(".") };
    f = f.fields![keys[i]];
    if (f === undefined) return {};
  }
  return { field: f };
}

/**
 * Apply one `key.path=value` override to a raw config tree (returns the new root). Exposed for
 * the CLI helper; most callers use {@link loadConfig}.
 *
 * @param schema the root schema (decides how string values are read).
 * @param raw the raw tree so far (may be undefined).
 * @param override `a.b=value`.
 * @param origins path → origin map, updated in place.
 */
export function applyOverride(
  schema: Field,
  raw: unknown,
  override: string,
  origins: Map<string, string>,
): unknown {
  const origin = `--set ${override}`;
  const eq = override.indexOf("=");
  const keyText = eq < 0 ? override : override.slice(0, eq).trim();
  const keys = keyText.split(".");
  if (eq < 1 || keys.some((k) => k === "")) {
    throw new ConfigError([{
      path: keyText,
      message: `an override must look like key.path=value, got ${showValue(override)}`,
      origin,
    }]);
  }
  const text = override.slice(eq + 1);
  const { field, stop } = _fieldAt(schema, keys);
  if (stop !== undefined) {
    throw new ConfigError([{
      path: keyText,
      message: `${stop} is a single value, not a group of keys`,
      origin,
    }]);
  }
  let value: unknown;
  const quoted = /^\s*(["']).*\1\s*$/s.test(text);
  if ((field?.kind === "string" || field?.kind === "enum") && !quoted) {
    value = field.nullable && /^\s*(null|~|)\s*$/.test(text) ? null : text;
  } else {
    try {
      value = parse(text);
    } catch (e) {
      throw new ConfigError([{
        path: keyText,
        message: `cannot read the value as YAML: ${(e as Error).message.split("\n")[0]}`,
        origin,
      }]);
    }
  }
  const root: Record<string, unknown> = _isObj(raw) ? raw : {};
  let node = root;
  for (const k of keys.slice(0, -1)) {
    if (!_isObj(node[k])) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
  for (const p of [...origins.keys()]) {
    if (p.startsWith(`${keyText}.`) || p.startsWith(`${keyText}[`)) origins.delete(p);
  }
  origins.set(keyText, origin);
  return root;
}

function _isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
