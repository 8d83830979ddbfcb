/**
 * A tiny typed schema language for nested configuration objects: each field declares its type,
 * default, one-line doc and constraints, and {@link Infer} turns a schema into the TypeScript type
 * of the resolved config.
 *
 * @example
 * ```ts
 * import { c, type Infer } from "./schema.ts";
 * const schema = c.object({
 *   seed: c.int({ default: 1, doc: "random seed" }),
 *   msgrpo: c.object({
 *     group_size: c.int({ default: 16, min: 2, doc: "episodes per group (G)" }),
 *     sampling: c.enum(["aaw", "uniform", "all"], { default: "aaw", doc: "episode sampling" }),
 *   }, { doc: "MS-GRPO update" }),
 * });
 * type Config = Infer<typeof schema>; // { seed: number; msgrpo: { group_size: number; ... } }
 * ```
 *
 * @module
 */

/** The kinds of value a {@link Field} can hold. */
export type FieldKind = "int" | "float" | "bool" | "string" | "enum" | "array" | "object";

/** A record of named fields: the children of an object field. */
export type Fields = { readonly [key: string]: Field };

/**
 * One declared configuration field. Build fields with the constructors in {@link c}; the
 * phantom `_type` carries the resolved TypeScript type for {@link Infer}.
 */
export interface Field<T = unknown> {
  /** What kind of value the field holds. */
  readonly kind: FieldKind;
  /** One-line description, shown in `--help` and as a comment in dumped YAML. */
  readonly doc: string;
  /** Whether {@link Field.default} is set (a field without a default must be given). */
  readonly hasDefault: boolean;
  /** Default value (objects derive theirs from their children). */
  readonly default?: unknown;
  /** Whether `null` is an accepted value. */
  readonly nullable: boolean;
  /** Inclusive lower bound (numbers). */
  readonly min?: number;
  /** Inclusive upper bound (numbers). */
  readonly max?: number;
  /** Exclusive lower bound (numbers): value must be greater. */
  readonly gt?: number;
  /** Exclusive upper bound (numbers): value must be smaller. */
  readonly lt?: number;
  /** Allowed values (enums). */
  readonly values?: readonly string[];
  /** Pattern the whole string must match (strings). */
  readonly pattern?: RegExp;
  /** Minimum length (strings and arrays). */
  readonly minLength?: number;
  /** Maximum length (strings and arrays). */
  readonly maxLength?: number;
  /** Element schema (arrays). */
  readonly item?: Field;
  /** Children (objects). */
  readonly fields?: Fields;
  /** Custom check run after the built-in ones: returns an error message, or undefined if fine. */
  check?(value: T): string | undefined;
  /** Phantom: the resolved value type. Never set at run time. */
  readonly _type?: T;
}

/** The resolved TypeScript type of a field or schema. */
export type Infer<F> = F extends Field<infer T> ? T : never;

type _Nullable<T, N> = N extends true ? T | null : T;

/** Options shared by every leaf field. */
export interface CommonOptions<T, N extends boolean> {
  /** One-line description (required: it becomes the `--help` line and the YAML comment). */
  doc: string;
  /** Default value; without one the field must be given in the file or on the command line. */
  default?: _Nullable<T, N>;
  /** Accept `null` (default false). */
  nullable?: N;
  /** Custom check: return an error message, or undefined when the value is fine. */
  check?: (value: _Nullable<T, N>) => string | undefined;
}

/** Options of {@link c.int} and {@link c.float}. */
export interface NumberOptions<N extends boolean> extends CommonOptions<number, N> {
  /** Inclusive lower bound. */
  min?: number;
  /** Inclusive upper bound. */
  max?: number;
  /** Exclusive lower bound. */
  gt?: number;
  /** Exclusive upper bound. */
  lt?: number;
}

/** Options of {@link c.string}. */
export interface StringOptions<N extends boolean> extends CommonOptions<string, N> {
  /** The whole string must match this pattern. */
  pattern?: RegExp;
  /** Minimum length in UTF-16 code units. */
  minLength?: number;
  /** Maximum length in UTF-16 code units. */
  maxLength?: number;
}

/** Options of {@link c.array}. */
export interface ArrayOptions<T, N extends boolean> extends CommonOptions<readonly T[], N> {
  /** Minimum number of elements. */
  minLength?: number;
  /** Maximum number of elements. */
  maxLength?: number;
}

/** Options of {@link c.object}. */
export interface ObjectOptions<T> {
  /** One-line description of the group. */
  doc?: string;
  /** Cross-field check on the resolved group: return an error message, or undefined. */
  check?: (value: T) => string | undefined;
}

/** The resolved type of an object field with children `C`. */
export type ObjectValue<C extends Fields> = { readonly [K in keyof C]: Infer<C[K]> };

function _leaf<T>(kind: FieldKind, opts: CommonOptions<unknown, boolean>, extra: object): Field<T> {
  if (typeof opts.doc !== "string") throw new Error(`config schema: a ${kind} field needs a doc`);
  const f: Record<string, unknown> = {
    kind,
    doc: opts.doc,
    hasDefault: Object.hasOwn(opts, "default") && opts.default !== undefined,
    default: opts.default,
    nullable: opts.nullable === true,
    ...extra,
  };
  if (opts.check) f.check = opts.check;
  return Object.freeze(f) as unknown as Field<T>;
}

function _bounds(o: NumberOptions<boolean>): object {
  return { min: o.min, max: o.max, gt: o.gt, lt: o.lt };
}

/** Field constructors. */
export const c = {
  /** A safe integer, optionally bounded. */
  int<N extends boolean = false>(opts: NumberOptions<N>): Field<_Nullable<number, N>> {
    return _leaf("int", opts as CommonOptions<unknown, boolean>, _bounds(opts));
  },
  /** A finite number, optionally bounded (`gt: 0` for "strictly positive"). */
  float<N extends boolean = false>(opts: NumberOptions<N>): Field<_Nullable<number, N>> {
    return _leaf("float", opts as CommonOptions<unknown, boolean>, _bounds(opts));
  },
  /** `true` or `false`. */
  bool<N extends boolean = false>(opts: CommonOptions<boolean, N>): Field<_Nullable<boolean, N>> {
    return _leaf("bool", opts as CommonOptions<unknown, boolean>, {});
  },
  /** A string, optionally constrained by pattern and length. */
  string<N extends boolean = false>(opts: StringOptions<N>): Field<_Nullable<string, N>> {
    return _leaf("string", opts as CommonOptions<unknown, boolean>, {
      pattern: opts.pattern,
      minLength: opts.minLength,
      maxLength: opts.maxLength,
    });
  },
  /** One of a fixed list of strings. */
  enum<const V extends string, N extends boolean = false>(
    values: readonly V[],
    opts: CommonOptions<V, N>,
  ): Field<_Nullable<V, N>> {
    if (values.length === 0) throw new Error("config schema: an enum needs at least one value");
    return _leaf("enum", opts as CommonOptions<unknown, boolean>, {
      values: Object.freeze([...values]),
    });
  },
  /** A list whose elements all follow `item` (the item's own default and doc are unused). */
  array<I extends Field, N extends boolean = false>(
    item: I,
    opts: ArrayOptions<Infer<I>, N>,
  ): Field<_Nullable<readonly Infer<I>[], N>> {
    return _leaf("array", opts as CommonOptions<unknown, boolean>, {
      item,
      minLength: opts.minLength,
      maxLength: opts.maxLength,
    });
  },
  /** A nested group of fields; its default is made of its children's defaults. */
  object<C extends Fields>(
    fields: C,
    opts: ObjectOptions<ObjectValue<C>> = {},
  ): Field<ObjectValue<C>> {
    for (const key of Object.keys(fields)) {
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) {
        throw new Error(`config schema: key "${key}" must match [A-Za-z_][A-Za-z0-9_-]*`);
      }
    }
    const f: Record<string, unknown> = {
      kind: "object",
      doc: opts.doc ?? "",
      hasDefault: Object.values(fields).every((x) => x.hasDefault),
      nullable: false,
      fields: Object.freeze({ ...fields }),
    };
    if (opts.check) f.check = opts.check;
    return Object.freeze(f) as unknown as Field<ObjectValue<C>>;
  },
};

/** Every leaf of a schema as `[dotted path, field]`, in declaration order (objects recursed). */
export function leafFields(schema: Field, prefix = ""): [string, Field][] {
  if (schema.kind !== "object") return [[prefix, schema]];
  const out: [string, Field][] = [];
  for (const [k, f] of Object.entries(schema.fields!)) {
    out.push(...leafFields(f, prefix ? `${prefix}.${k}` : k));
  }
  return out;
}

/** A short human description of a field's type and constraints, e.g. `int ≥ 2` or `aaw|uniform`. */
export function describeField(f: Field): string {
  let s: string;
  switch (f.kind) {
    case "enum":
      s = f.values!.join("|");
      break;
    case "array":
      s = `list of ${describeField(f.item!)}`;
      break;
    default:
      s = f.kind;
  }
  const b: string[] = [];
  if (f.min !== undefined) b.push(`≥ ${f.min}`);
  if (f.gt !== undefined) b.push(`> ${f.gt}`);
  if (f.max !== undefined) b.push(`≤ ${f.max}`);
  if (f.lt !== undefined) b.push(`< ${f.lt}`);
  if (b.length) s += ` ${b.join(", ")}`;
  if (f.nullable) s += " or null";
  return s;
}
