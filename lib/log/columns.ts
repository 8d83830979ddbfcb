/**
 * Typed column schemas for the run tables: each column has an Arrow type (int32, float64, bool,
 * utf8), a nullability flag, a unit and a definition. {@link RowOf} gives the row type a writer
 * accepts, so the code that fills a table and the notebooks that read it share one definition.
 *
 * @example
 * ```ts
 * import { col, defineTable, type RowOf } from "./columns.ts";
 * const EPISODES = defineTable("episodes", "one row per episode", {
 *   iteration: col.int32("training iteration", { unit: "iteration" }),
 *   return: col.float64("sum of rewards", { unit: "reward" }),
 *   note: col.utf8("free text", { nullable: true }),
 * });
 * const row: RowOf<typeof EPISODES> = { iteration: 0, return: 1, note: null };
 * ```
 *
 * @module
 */

/**
 * The Arrow column types the run tables use (`uint32` holds 32-bit seeds such as those from
 * `deriveSeed`, which do not fit int32).
 */
export type ColumnType = "int32" | "uint32" | "float64" | "bool" | "utf8";

/** One column: type, nullability, unit and definition. */
export interface ColumnSpec<T extends ColumnType = ColumnType, N extends boolean = boolean> {
  /** Arrow type. */
  readonly type: T;
  /** Whether the column may hold nulls. */
  readonly nullable: N;
  /** Unit of the values (`"-"` for unitless counts/flags, `""` if not applicable). */
  readonly unit: string;
  /** Definition of the column, one or two sentences. */
  readonly doc: string;
}

/** The columns of a table, in order (object key order is column order). */
export type ColumnSpecs = { readonly [name: string]: ColumnSpec };

/** A named table schema. */
export interface TableSchema<C extends ColumnSpecs = ColumnSpecs> {
  /** Table name: also the file name (`<name>.arrow`). */
  readonly name: string;
  /** What one row of the table is. */
  readonly doc: string;
  /** The columns, in order. */
  readonly columns: C;
  /**
   * Integer column that orders appends and that truncation on resume cuts by (default
   * `iteration`); undefined if the table has none.
   */
  readonly iterationColumn?: string;
}

/** JavaScript value type of an Arrow column type. */
export type ValueOf<T extends ColumnType> = T extends "bool" ? boolean
  : T extends "utf8" ? string
  : number;

/** JavaScript value type of a column, `null` included when nullable. */
export type CellOf<S extends ColumnSpec> = S extends ColumnSpec<infer T, infer N>
  ? ValueOf<T> | (N extends true ? null : never)
  : never;

/** The row object a table accepts and returns. */
export type RowOf<S extends TableSchema> = { [K in keyof S["columns"]]: CellOf<S["columns"][K]> };

/** Column-wise data for a table: one array per column, all of one length. */
export type ColumnsOf<S extends TableSchema> = {
  [K in keyof S["columns"]]: ArrayLike<CellOf<S["columns"][K]>>;
};

/** Options of the {@link col} constructors. */
export interface ColumnOptions {
  /** Unit of the values (default `"-"`). */
  unit?: string;
  /** Whether nulls are allowed (default false). */
  nullable?: boolean;
}

/**
 * A column constructor. Overloads (not a generic) fix nullability from the `nullable` option
 * alone, so a surrounding `defineTable` call cannot widen it to `boolean`.
 */
export interface ColumnConstructor<T extends ColumnType> {
  /** A non-null column. */
  (doc: string, opts?: ColumnOptions & { nullable?: false }): ColumnSpec<T, false>;
  /** A nullable column. */
  (doc: string, opts: ColumnOptions & { nullable: true }): ColumnSpec<T, true>;
}

function _ctor<T extends ColumnType>(type: T): ColumnConstructor<T> {
  return ((doc: string, opts: ColumnOptions = {}) =>
    Object.freeze({
      type,
      nullable: opts.nullable ?? false,
      unit: opts.unit ?? "-",
      doc,
    })) as ColumnConstructor<T>;
}

/** Column constructors: `col.int32(doc, { unit, nullable })` and friends. */
export const col: {
  /** 32-bit signed integer column. */
  readonly int32: ColumnConstructor<"int32">;
  /** 32-bit unsigned integer column (seeds). */
  readonly uint32: ColumnConstructor<"uint32">;
  /** 64-bit float column (NaN and ±Infinity allowed). */
  readonly float64: ColumnConstructor<"float64">;
  /** Boolean column. */
  readonly bool: ColumnConstructor<"bool">;
  /** UTF-8 string column. */
  readonly utf8: ColumnConstructor<"utf8">;
} = Object.freeze({
  int32: _ctor("int32"),
  uint32: _ctor("uint32"),
  float64: _ctor("float64"),
  bool: _ctor("bool"),
  utf8: _ctor("utf8"),
});

/**
 * Declare a table schema. The iteration column defaults to `iteration` when such an int32 column
 * exists.
 *
 * @param name table name (file stem), `[a-z][a-z0-9_]*`.
 * @param doc what one row is.
 * @param columns the columns, in order.
 * @param opts `iterationColumn` to name another int32 column, or `null` for none.
 */
export function defineTable<C extends ColumnSpecs>(
  name: string,
  doc: string,
  columns: C,
  opts: { iterationColumn?: string | null } = {},
): TableSchema<C> {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) {
    throw new Error(`defineTable: table name "${name}" must match [a-z][a-z0-9_]*`);
  }
  if (Object.keys(columns).length === 0) throw new Error(`defineTable ${name}: no columns`);
  for (const [k, spec] of Object.entries(columns)) {
    if (!["int32", "uint32", "float64", "bool", "utf8"].includes(spec.type)) {
      throw new Error(`defineTable ${name}: column ${k} has unknown type ${spec.type}`);
    }
  }
  let iterationColumn: string | undefined = opts.iterationColumn ?? undefined;
  if (opts.iterationColumn === undefined && columns.iteration?.type === "int32") {
    iterationColumn = "iteration";
  }
  if (iterationColumn !== undefined) {
    const spec = columns[iterationColumn];
    if (!spec || spec.type !== "int32" || spec.nullable) {
      throw new Error(
        `defineTable ${name}: iteration column ${iterationColumn} must be a non-null int32 column`,
      );
    }
  }
  return Object.freeze({ name, doc, columns: Object.freeze({ ...columns }), iterationColumn });
}
