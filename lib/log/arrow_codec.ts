/**
 * Conversion between typed rows and Arrow (flechette) tables: validate values against a
 * {@link TableSchema}, build record batches with explicit types, check a decoded file's schema,
 * and encode many batches as one Arrow IPC file.
 *
 * @module
 */

import {
  bool,
  Column,
  columnFromArray,
  type DataType,
  type Field as ArrowField,
  field,
  float64,
  int32,
  Table,
  tableToIPC,
  Type,
  uint32,
  utf8,
} from "@uwdata/flechette";
import type { ColumnSpec, ColumnType, TableSchema } from "./columns.ts";

/** Schema metadata key holding the table name. */
export const META_TABLE = "msgrpo.table";
/** Schema metadata key holding the part files a consolidated file was built from. */
export const META_PARTS = "msgrpo.parts";

/** Input accepted by a table writer: row objects, one array per column, or an arquero table. */
export type TableInput =
  | readonly Record<string, unknown>[]
  | { readonly [column: string]: ArrayLike<unknown> }
  | { columnNames(): string[]; array(name: string): ArrayLike<unknown>; numRows(): number };

function _arrowType(t: ColumnType): DataType {
  switch (t) {
    case "int32":
      return int32();
    case "uint32":
      return uint32();
    case "float64":
      return float64();
    case "bool":
      return bool();
    case "utf8":
      return utf8();
  }
}

/** The Arrow fields (with nullability, unit and doc metadata) of a table schema. */
export function arrowFields(schema: TableSchema): ArrowField[] {
  return Object.entries(schema.columns).map(([name, spec]) =>
    field(
      name,
      _arrowType(spec.type),
      spec.nullable,
      new Map([["unit", spec.unit], ["doc", spec.doc]]),
    )
  );
}

function _typeName(t: DataType): string {
  switch (t.typeId) {
    case Type.Int:
      return `${(t as { signed: boolean }).signed ? "int" : "uint"}${
        (t as { bitWidth: number }).bitWidth
      }`;
    case Type.Float:
      return ["float16", "float32", "float64"][(t as { precision: number }).precision] ?? "float";
    case Type.Bool:
      return "bool";
    case Type.Utf8:
      return "utf8";
    default:
      return `arrow type ${t.typeId}`;
  }
}

/**
 * Check that a decoded Arrow schema has exactly the schema's columns, types and nullability.
 *
 * @param schema the declared table schema.
 * @param fields the fields found in a file.
 * @param where the file, for the message.
 * @throws naming the table, the column and the file on the first mismatch.
 */
export function checkArrowSchema(
  schema: TableSchema,
  fields: readonly ArrowField[],
  where: string,
): void {
  const want = arrowFields(schema);
  const got = new Map(fields.map((f) => [f.name, f]));
  for (const w of want) {
    const g = got.get(w.name);
    if (!g) {
      throw new Error(`table ${schema.name}: column ${w.name} is missing from ${where}`);
    }
    if (_typeName(g.type) !== _typeName(w.type) || g.nullable !== w.nullable) {
      throw new Error(
        `table ${schema.name}: column ${w.name} in ${where} is ${_typeName(g.type)}` +
          `${g.nullable ? " (nullable)" : ""}, the schema says ${_typeName(w.type)}` +
          `${w.nullable ? " (nullable)" : ""}`,
      );
    }
  }
  for (const f of fields) {
    if (!Object.hasOwn(schema.columns, f.name)) {
      throw new Error(`table ${schema.name}: ${where} has column ${f.name}, not in the schema`);
    }
  }
  if (fields.map((f) => f.name).join() !== want.map((f) => f.name).join()) {
    throw new Error(`table ${schema.name}: ${where} has the columns in another order`);
  }
}

function _describe(v: unknown): string {
  if (typeof v === "string") {
    return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  }
  return `${v === null ? "null" : typeof v} ${String(v)}`;
}

function _checkCell(spec: ColumnSpec, v: unknown): boolean {
  switch (spec.type) {
    case "int32":
      return typeof v === "number" && Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff;
    case "uint32":
      return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
    case "float64":
      return typeof v === "number";
    case "bool":
      return typeof v === "boolean";
    case "utf8":
      return typeof v === "string";
  }
}

function _columnsOf(schema: TableSchema, input: TableInput): Map<string, ArrayLike<unknown>> {
  const out = new Map<string, ArrayLike<unknown>>();
  let names: string[];
  const get = (k: string): ArrayLike<unknown> | undefined => out.get(k);
  if (Array.isArray(input)) {
    const rows = input as readonly Record<string, unknown>[];
    const seen = new Set<string>();
    rows.forEach((r, i) => {
      if (typeof r !== "object" || r === null) {
        throw new Error(`table ${schema.name}: row ${i} is not an object`);
      }
      for (const k of Object.keys(r)) seen.add(k);
    });
    names = [...seen];
    for (const k of Object.keys(schema.columns)) out.set(k, rows.map((r) => r[k]));
  } else if (typeof (input as { columnNames?: unknown }).columnNames === "function") {
    const t = input as { columnNames(): string[]; array(name: string): ArrayLike<unknown> };
    names = t.columnNames();
    for (const k of names) out.set(k, t.array(k));
  } else {
    const cols = input as { readonly [column: string]: ArrayLike<unknown> };
    names = Object.keys(cols);
    for (const k of names) out.set(k, cols[k]);
  }
  const extra = names.filter((k) => !Object.hasOwn(schema.columns, k));
  if (extra.length) {
    throw new Error(
      `table ${schema.name}: unknown column${extra.length > 1 ? "s" : ""} ${extra.join(", ")} ` +
        `(columns: ${Object.keys(schema.columns).join(", ")})`,
    );
  }
  for (const k of Object.keys(schema.columns)) {
    if (get(k) === undefined) {
      if (!schema.columns[k].nullable) {
        throw new Error(`table ${schema.name}: column ${k} is missing`);
      }
    }
  }
  return out;
}

/**
 * Validate input rows against the schema and build a one-batch flechette table.
 *
 * @param schema the table schema.
 * @param input row objects, column arrays or an arquero table.
 * @returns the table (zero rows allowed).
 * @throws naming the table, column and row for a missing, unknown or mistyped value.
 */
export function encodeRows(schema: TableSchema, input: TableInput): Table {
  const cols = _columnsOf(schema, input);
  const lengths = new Set([...cols.values()].map((a) => a.length));
  if (lengths.size > 1) {
    const desc = [...cols].map(([k, a]) => `${k}=${a.length}`).join(", ");
    throw new Error(`table ${schema.name}: columns differ in length (${desc})`);
  }
  const n = lengths.size ? [...lengths][0] : 0;
  const fields = arrowFields(schema);
  const columns = fields.map((f) => {
    const spec = schema.columns[f.name];
    const src = cols.get(f.name);
    const values = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const v = src === undefined ? null : src[i];
      if (v === null || v === undefined) {
        if (!spec.nullable) {
          throw new Error(
            `table ${schema.name}: column ${f.name}, row ${i}: null in a non-null ${spec.type} column`,
          );
        }
        values[i] = null;
      } else if (!_checkCell(spec, v)) {
        throw new Error(
          `table ${schema.name}: column ${f.name}, row ${i}: expected ${spec.type}, got ${
            _describe(v)
          }`,
        );
      } else values[i] = v;
    }
    return columnFromArray(values, f.type);
  });
  return makeTable(schema, columns, new Map([[META_TABLE, schema.name]]));
}

/**
 * Assemble a table from columns with the schema's fields and the given metadata.
 *
 * @param schema the table schema (gives the fields).
 * @param columns one column per field, in order.
 * @param metadata schema-level metadata.
 */
export function makeTable(
  schema: TableSchema,
  columns: Column<unknown>[],
  metadata: Map<string, string>,
): Table {
  const fields = arrowFields(schema);
  return new Table({ version: 4, endianness: 0, fields, metadata } as never, columns);
}

/**
 * Concatenate the record batches of several tables of one schema (no copy) and encode them as
 * an Arrow IPC **file**.
 *
 * @param schema the table schema.
 * @param parts decoded or built tables, in order.
 * @param metadata schema-level metadata for the file.
 * @returns the file bytes.
 */
export function concatToIPC(
  schema: TableSchema,
  parts: readonly Table[],
  metadata: Map<string, string>,
): Uint8Array {
  return tableToIPC(concatTables(schema, parts, metadata), { format: "file" })!;
}

/** Concatenate the record batches of several tables of one schema into one table (no copy). */
export function concatTables(
  schema: TableSchema,
  parts: readonly Table[],
  metadata: Map<string, string>,
): Table {
  const fields = arrowFields(schema);
  const columns = fields.map((f, k) =>
    new Column(
      parts.flatMap((p) => p.children[k].data as never[]).filter((b: { length: number }) =>
        b.length > 0
      ),
      f.type,
    )
  );
  return makeTable(schema, columns, metadata);
}
