/**
 * Typed, validated configuration: declare a schema with {@link c}, resolve defaults < YAML file <
 * `--set` overrides with {@link loadConfig} (errors name the key path and file:line), write it
 * back with {@link dumpConfig}, and build a command line with {@link parseConfigArgs}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { c, loadConfig } from "./mod.ts";
 * const schema = c.object({
 *   msgrpo: c.object({
 *     group_size: c.int({ default: 16, min: 2, doc: "episodes per group (G)" }),
 *   }, { doc: "MS-GRPO update" }),
 * });
 * const cfg = loadConfig(schema, { overrides: ["msgrpo.group_size=8"] });
 * assert.deepEqual(cfg.msgrpo.group_size, 8);
 * ```
 *
 * @module
 */

export {
  type ArrayOptions,
  c,
  type CommonOptions,
  describeField,
  type Field,
  type FieldKind,
  type Fields,
  type Infer,
  leafFields,
  type NumberOptions,
  type ObjectOptions,
  type ObjectValue,
  type StringOptions,
} from "./schema.ts";
export { ConfigError, type ConfigIssue, formatIssue, resolveConfig } from "./validate.ts";
export { applyOverride, deepFreeze, loadConfig, type LoadConfigOptions } from "./load.ts";
export { dumpConfig } from "./dump.ts";
export {
  type CliHelpOptions,
  configArgOptions,
  type ConfigArgs,
  configHelp,
  parseConfigArgs,
} from "./cli.ts";
export { closest, editDistance } from "./suggest.ts";
export { sectionOverrides } from "./sections.ts";
