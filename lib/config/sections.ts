/**
 * Layer sections of another config file: {@link sectionOverrides} turns chosen top-level
 * sections of a YAML file into `key.path=value` overrides, so an experiment can take, say, the
 * main job's `msgrpo` and `optim` sections from their one source of truth instead of copying them
 * (the config loader reads one file; overrides then layer on top, and later ones win).
 *
 * @module
 */
import { parse } from "yaml";

function _flatten(prefix: string, value: unknown, out: string[]): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) _flatten(`${prefix}.${k}`, v, out);
  } else out.push(`${prefix}=${JSON.stringify(value)}`);
}

/**
 * The leaves of some top-level sections of a YAML config file as `key.path=value` overrides
 * (values written as JSON, which the loader reads as YAML: numbers, booleans, null, lists and
 * quoted strings keep their type).
 *
 * @param file the YAML file (its path labels errors).
 * @param sections top-level keys to take, each of which must be a mapping in the file.
 * @param text YAML text to use instead of reading `file` (then `file` only labels errors).
 * @returns the overrides, section by section in file order.
 * @throws naming the file and the section when the file cannot be read or parsed, or a section
 *   is missing or not a mapping.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sectionOverrides } from "./sections.ts";
 * const text = "seed: 3\nmsgrpo:\n  groups: 8\n  draws: null\noptim:\n  schedule: cosine\n";
 * assert.deepEqual(sectionOverrides("demo.yaml", ["msgrpo", "optim"], text), [
 *   "msgrpo.groups=8",
 *   "msgrpo.draws=null",
 *   'optim.schedule="cosine"',
 * ]);
 * ```
 */
export function sectionOverrides(
  file: string,
  sections: readonly string[],
  text?: string,
): string[] {
  let doc: unknown;
  try {
    doc = parse(text ?? Deno.readTextFileSync(file));
  } catch (e) {
    throw new Error(`config sections: cannot read ${file}: ${(e as Error).message}`);
  }
  const out: string[] = [];
  for (const s of sections) {
    const v = (doc as Record<string, unknown> | null)?.[s];
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      throw new Error(
        `config sections: ${file} has no mapping "${s}:" (got ${JSON.stringify(v ?? null)})`,
      );
    }
    _flatten(s, v, out);
  }
  return out;
}
