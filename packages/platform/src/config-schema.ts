/**
 * A tiny JSON Schema builder whose results carry their TypeScript type, so a configuration is declared
 * once and its type derived (`Static<typeof schema>`), never written twice (STYLE.md, env-schema anchor).
 *
 * Every builder returns a plain JSON Schema object that ajv validates as is. Two markers ride along:
 * `secret: true` (a JSON keyword the loader understands: the value may come from a `…_FILE` variable and
 * is never echoed) and a symbol set by {@link cfg.optional} (not JSON; read only while building `required`).
 */

/** Phantom key carrying the TypeScript type of a schema; never present at run time. */
declare const STATIC: unique symbol;
/** Phantom key marking an optional property in the type. */
declare const OPTIONAL_TYPE: unique symbol;
/** Run-time marker set by `cfg.optional` (symbols are invisible to ajv and to JSON). */
const OPTIONAL_MARK: unique symbol = Symbol('twincontour.config.optional');

/** A JSON Schema node whose validated value has type `T`. */
export type TSchema<T = unknown> = { readonly [STATIC]: T } & JsonSchemaNode;

/** A property schema marked optional. */
export type TOptional<S extends TSchema> = S & { readonly [OPTIONAL_TYPE]: true };

/** The plain JSON Schema keywords the builder emits. */
export interface JsonSchemaNode {
  readonly type?: 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly description?: string;
  readonly secret?: boolean;
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly items?: JsonSchemaNode;
  readonly [keyword: string]: unknown;
}

/** The TypeScript type of a schema built with {@link cfg}. */
export type Static<S> = S extends { readonly [STATIC]: infer T } ? T : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<P> = { [K in keyof P]: P[K] extends { readonly [OPTIONAL_TYPE]: true } ? K : never }[keyof P];
type RequiredKeys<P> = Exclude<keyof P, OptionalKeys<P>>;

/** The type of an object schema: required (or defaulted) keys present, optional keys optional, all readonly. */
export type ObjectStatic<P extends Record<string, TSchema>> = Simplify<
  { readonly [K in RequiredKeys<P>]: Static<P[K]> } & { readonly [K in OptionalKeys<P>]?: Static<P[K]> }
>;

/** An object schema with its property schemas kept for the loader. */
export type TObject<P extends Record<string, TSchema> = Record<string, TSchema>> = TSchema<ObjectStatic<P>> & {
  readonly type: 'object';
  readonly properties: P;
  readonly required: readonly string[];
  readonly additionalProperties: false;
};

/** Any object schema made by {@link cfg.object}, whatever its properties (what the loader accepts). */
export type AnyTObject = TSchema<unknown> & {
  readonly type: 'object';
  readonly properties: Readonly<Record<string, JsonSchemaNode>>;
  readonly required: readonly string[];
};

/** Options common to every scalar. */
interface Common<T> {
  /** Applied when the variable is absent; a defaulted property is always present in the result. */
  default?: T;
  description?: string;
  /** A password, key or passphrase: may be given as `NAME_FILE`, never echoed in errors. */
  secret?: boolean;
}

/** String constraints. */
export interface StringOptions extends Common<string> {
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  /** An ajv-formats format: `uri`, `hostname`, `email`, … */
  format?: string;
}

/** Number constraints. */
export interface NumberOptions extends Common<number> {
  minimum?: number;
  maximum?: number;
}

function node<T>(schema: Record<string, unknown>): TSchema<T> {
  return Object.freeze(schema) as unknown as TSchema<T>;
}

function strip<O extends object>(options: O | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

/** True when a property schema was made by {@link cfg.optional}. */
export function isOptional(schema: JsonSchemaNode): boolean {
  return (schema as { [OPTIONAL_MARK]?: boolean })[OPTIONAL_MARK] === true;
}

/** The schema builder. */
export const cfg = {
  /** A string. */
  string(options?: StringOptions): TSchema<string> {
    return node({ type: 'string', ...strip(options) });
  },
  /** An integer; an env value is coerced from its decimal text. */
  integer(options?: NumberOptions): TSchema<number> {
    return node({ type: 'integer', ...strip(options) });
  },
  /** A number; an env value is coerced from its decimal text. */
  number(options?: NumberOptions): TSchema<number> {
    return node({ type: 'number', ...strip(options) });
  },
  /** A boolean; an env value `true`/`false`/`1`/`0` (any case) is coerced. */
  boolean(options?: Common<boolean>): TSchema<boolean> {
    return node({ type: 'boolean', ...strip(options) });
  },
  /** One of the listed strings. */
  enum<const V extends readonly [string, ...string[]]>(values: V, options?: Common<V[number]>): TSchema<V[number]> {
    return node({ type: 'string', enum: [...values], ...strip(options) });
  },
  /** A list; an env value is JSON (`[...]`) or, for scalars, comma-separated. */
  array<S extends TSchema>(
    items: S,
    options?: Common<readonly Static<S>[]> & { minItems?: number; maxItems?: number; uniqueItems?: boolean },
  ): TSchema<readonly Static<S>[]> {
    return node({ type: 'array', items, ...strip(options) });
  },
  /** An object with exactly these properties (unknown keys refused); an env value is JSON. */
  object<const P extends Record<string, TSchema>>(
    properties: P,
    options?: { description?: string; secret?: boolean },
  ): TObject<P> {
    const required = Object.entries(properties)
      .filter(([, s]) => !isOptional(s) && s.default === undefined)
      .map(([k]) => k);
    return node({
      type: 'object',
      properties: Object.freeze({ ...properties }),
      required: Object.freeze(required),
      additionalProperties: false,
      ...strip(options),
    }) as unknown as TObject<P>;
  },
  /** Marks a property optional: absent from the result when not given. */
  optional<S extends TSchema>(schema: S): TOptional<S> {
    return Object.freeze({ ...schema, [OPTIONAL_MARK]: true }) as unknown as TOptional<S>;
  },
};
