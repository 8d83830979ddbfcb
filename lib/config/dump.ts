/**
 * Write a resolved config back as YAML (for `config.yaml` in a run directory), optionally with each
 * field's doc as a comment above it. Loading the dump with the same schema gives the same config.
 *
 * @module
 */

import { Document, isMap, isScalar, type Node } from "yaml";
import type { Field } from "./schema.ts";
import { describeField } from "./schema.ts";

/**
 * Serialise a config to YAML. With `schema`, every key gets its doc and type as a comment.
 *
 * @param cfg a resolved config (any plain JSON-like object).
 * @param schema optional schema supplying the comments.
 * @returns YAML text ending in a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { c } from "./schema.ts";
 * import { dumpConfig } from "./dump.ts";
 * const schema = c.object({ lr: c.float({ default: 3e-4, gt: 0, doc: "learning rate" }) });
 * assert.deepEqual(dumpConfig({ lr: 3e-4 }, schema), "# learning rate (float > 0)\nlr: 0.0003\n");
 * ```
 */
export function dumpConfig(cfg: unknown, schema?: Field): string {
  const doc = new Document(cfg);
  if (schema) _comment(doc.contents as Node | null, schema);
  return doc.toString({ lineWidth: 0 });
}

function _comment(node: Node | null, f: Field): void {
  if (!isMap(node) || f.kind !== "object") return;
  for (const pair of node.items) {
    if (!isScalar(pair.key)) continue;
    const child = f.fields![String(pair.key.value)];
    if (!child) continue;
    const what = child.kind === "object" ? "" : ` (${describeField(child)})`;
    const text = `${child.doc}${what}`.trim();
    if (text) pair.key.commentBefore = ` ${text}`;
    _comment(pair.value as Node | null, child);
  }
}
