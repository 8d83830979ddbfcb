/**
 * Command-line front end for a config schema, on `node:util` parseArgs: one `--key.path VALUE`
 * flag per field (booleans: `--flag` / `--no-flag`), `--config FILE`, repeatable
 * `--set key.path=value`, and `--help` generated from the field docs (one line per field).
 * Precedence: defaults < `--config` file < flags and `--set` (in command-line order).
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { describeField, type Field, type Infer, leafFields } from "./schema.ts";
import { loadConfig } from "./load.ts";
import { ConfigError, type ConfigIssue, showValue } from "./validate.ts";
import { closest } from "./suggest.ts";

/** Text for the help screen. */
export interface CliHelpOptions {
  /** First help line, e.g. `deno run -A experiments/frozen_lake.ts`. */
  usage?: string;
  /** A paragraph under the usage line. */
  description?: string;
}

/** Result of {@link parseConfigArgs}: either the help text, or the resolved config. */
export type ConfigArgs<T> =
  | { readonly help: string; readonly config?: undefined }
  | {
    readonly help?: undefined;
    /** The resolved, frozen config. */
    readonly config: T;
    /** The `--config` file, if one was given. */
    readonly file?: string;
    /** Every override applied, as `key.path=value`, in order (flags included). */
    readonly overrides: readonly string[];
  };

const _RESERVED = ["help", "config", "set"];

/**
 * The `node:util` parseArgs option table for a schema: one string option per field (boolean for
 * bool fields), plus `help`/`h`, `config`/`c` and repeatable `set`.
 *
 * @param schema root object field.
 * @throws if a top-level key collides with `help`, `config` or `set`.
 */
export function configArgOptions(schema: Field): NonNullable<ParseArgsConfig["options"]> {
  const options: NonNullable<ParseArgsConfig["options"]> = {
    help: { type: "boolean", short: "h" },
    config: { type: "string", short: "c" },
    set: { type: "string", multiple: true },
  };
  for (const [path, f] of leafFields(schema)) {
    if (_RESERVED.includes(path)) {
      throw new Error(`config schema: top-level key "${path}" clashes with the --${path} flag`);
    }
    options[path] = { type: f.kind === "bool" ? "boolean" : "string" };
  }
  return options;
}

function _details(f: Field): string {
  const parts: string[] = [];
  const what = describeField(f);
  if (f.kind !== "enum" && what !== f.kind) parts.push(what);
  if (!f.hasDefault) parts.push("required");
  else {
    const d = f.default;
    parts.push(`default: ${typeof d === "string" ? d : showValue(d)}`);
  }
  return ` [${parts.join("; ")}]`;
}

/**
 * The `--help` text: usage, description, the generic flags, then one line per field with its
 * type, doc and default, grouped under each nested object's doc.
 *
 * @param schema root object field.
 * @param opts usage line and description.
 */
export function configHelp(schema: Field, opts: CliHelpOptions = {}): string {
  const out: string[] = [];
  out.push(
    `usage: ${opts.usage ?? "<program>"} [--config FILE] [--set KEY=VALUE]... [--KEY VALUE]...`,
  );
  if (opts.description) out.push("", opts.description.trim());
  const rows: [string, string][] = [
    ["-h, --help", "show this help and exit"],
    ["-c, --config FILE", "YAML config file; flags and --set override it"],
    ["--set KEY=VALUE", "set any key; VALUE is read as YAML (repeatable, later wins)"],
  ];
  const groups: { title: string; rows: [string, string][] }[] = [{ title: "options:", rows }];
  const visit = (f: Field, prefix: string, title: string) => {
    const mine: [string, string][] = [];
    groups.push({ title, rows: mine });
    for (const [k, child] of Object.entries(f.fields!)) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (child.kind === "object") continue;
      const flag = child.kind === "bool"
        ? `--${path}, --no-${path}`
        : `--${path} ${_metavar(child)}`;
      mine.push([flag, `${child.doc}${_details(child)}`]);
    }
    for (const [k, child] of Object.entries(f.fields!)) {
      if (child.kind !== "object") continue;
      const path = prefix ? `${prefix}.${k}` : k;
      visit(child, path, `${path}:${child.doc ? ` ${child.doc}` : ""}`);
    }
  };
  visit(schema, "", "config:");
  const width = Math.min(
    44,
    Math.max(...groups.flatMap((g) => g.rows.map(([a]) => a.length))) + 2,
  );
  for (const g of groups) {
    if (g.rows.length === 0) continue;
    out.push("", g.title);
    for (const [a, b] of g.rows) {
      out.push(
        a.length + 2 > width ? `  ${a}\n  ${" ".repeat(width)}${b}` : `  ${a.padEnd(width)}${b}`,
      );
    }
  }
  return out.join("\n") + "\n";
}

function _metavar(f: Field): string {
  switch (f.kind) {
    case "enum":
      return f.values!.join("|");
    case "string":
      return "STR";
    case "array":
      return "LIST";
    default:
      return f.kind.toUpperCase();
  }
}

/**
 * Parse command-line arguments into a config. Unknown flags are rejected with a suggestion.
 *
 * @param schema root object field.
 * @param args the arguments (e.g. `Deno.args`).
 * @param opts help text options.
 * @returns `{ help }` when `-h/--help` was given (print it and exit), else `{ config, ... }`.
 * @throws {ConfigError} for unknown flags, missing values, and anything {@link loadConfig} rejects.
 *
 * @example
 * ```ts
 * import { c } from "./schema.ts";
 * import { parseConfigArgs } from "./cli.ts";
 * const schema = c.object({ seed: c.int({ default: 1, doc: "random seed" }) });
 * const r = parseConfigArgs(schema, ["--seed", "7"]);
 * if (r.help !== undefined) console.log(r.help);
 * else console.log(r.config.seed); // 7
 * ```
 */
export function parseConfigArgs<F extends Field>(
  schema: F,
  args: readonly string[],
  opts: CliHelpOptions = {},
): ConfigArgs<Infer<F>> {
  const options = configArgOptions(schema);
  const { tokens } = parseArgs({
    args: [...args],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true, // `--no-x` is read below, from the token names
  });
  const issues: ConfigIssue[] = [];
  const overrides: string[] = [];
  let file: string | undefined;
  const names = Object.keys(options);
  let skip = -1;
  for (const tok of tokens ?? []) {
    if (tok.kind === "option-terminator" || tok.index === skip) continue;
    if (tok.kind === "positional") {
      issues.push({ path: "", message: `unexpected argument ${showValue(tok.value)}` });
      continue;
    }
    let name = tok.name;
    let negated = false;
    if (!Object.hasOwn(options, name) && name.startsWith("no-")) {
      name = name.slice(3);
      negated = true;
    }
    const spec = options[name];
    if (!spec || (negated && spec.type !== "boolean")) {
      const hint = closest(tok.name, names);
      if (!tok.inlineValue) skip = tok.index + 1; // its value, read as a positional
      issues.push({
        path: "",
        message: `unknown flag ${tok.rawName}` + (hint ? `; did you mean --${hint}?` : ""),
      });
      continue;
    }
    if (spec.type === "string" && tok.value === undefined) {
      issues.push({ path: "", message: `flag ${tok.rawName} needs a value` });
      continue;
    }
    if (spec.type === "boolean" && tok.value !== undefined) {
      issues.push({ path: "", message: `flag ${tok.rawName} takes no value (use --set)` });
      continue;
    }
    if (name === "help") return { help: configHelp(schema, opts) };
    else if (name === "config") file = tok.value;
    else if (name === "set") overrides.push(tok.value!);
    else if (spec.type === "boolean") overrides.push(`${name}=${!negated}`);
    else overrides.push(`${name}=${tok.value}`);
  }
  if (issues.length) throw new ConfigError(issues);
  const config = loadConfig(schema, { file, overrides });
  return { config, file, overrides };
}
