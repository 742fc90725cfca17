import { Ajv, type Options as AjvOptions, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FieldError } from './result.js';

// ajv-formats is CommonJS with `module.exports = plugin` and `exports.default = plugin`; under NodeNext the
// default import is typed as the module object, so take `.default` when the typings say it is there.
const addFormats: (ajv: Ajv) => unknown =
  (addFormatsModule as unknown as { default?: (ajv: Ajv) => unknown }).default ??
  (addFormatsModule as unknown as (ajv: Ajv) => unknown);

/** OpenAPI annotations that route schemas may carry and ajv's strict mode would otherwise refuse. */
const OPENAPI_KEYWORDS = ['example', 'discriminator', 'externalDocs', 'xml'] as const;

/**
 * A strict ajv instance shared by config and HTTP validation: every error is collected (`allErrors`),
 * defaults are applied, and nothing is silently removed — an unknown field is an error, not a drop.
 */
export function createAjv(options: { coerceTypes: boolean | 'array'; keywords?: readonly string[] }): Ajv {
  const ajvOptions: AjvOptions = {
    allErrors: true,
    useDefaults: true,
    removeAdditional: false,
    coerceTypes: options.coerceTypes,
    strict: true,
    strictTypes: false,
    strictTuples: false,
  };
  const ajv = new Ajv(ajvOptions);
  addFormats(ajv);
  representableDates(ajv);
  for (const keyword of [...OPENAPI_KEYWORDS, ...(options.keywords ?? [])]) {
    if (!ajv.getKeyword(keyword)) ajv.addKeyword({ keyword });
  }
  return ajv;
}

/**
 * Narrows `date` and `date-time` to what JavaScript and PostgreSQL can both hold. RFC 3339 lets through
 * year 0000 (PostgreSQL has no year zero: "date/time field value out of range") and the leap second
 * 23:59:60 (`Date.parse` gives NaN); either reached a query and turned a bad filter into a 500.
 */
function representableDates(ajv: Ajv): void {
  for (const name of ['date', 'date-time'] as const) {
    const rfc = ajv.formats[name] as { validate?: unknown } | undefined;
    const base = typeof rfc?.validate === 'function' ? (rfc.validate as (value: string) => boolean) : undefined;
    ajv.addFormat(name, {
      type: 'string',
      validate: (value: string) =>
        (base ? base(value) : true) && Number(value.slice(0, 4)) >= 1 && Number.isFinite(Date.parse(value)),
    });
  }
}

/** Stable field code for each ajv keyword; everything not listed is `PLT_FIELD_INVALID`. */
const FIELD_CODES: Readonly<Record<string, string>> = {
  required: 'PLT_FIELD_REQUIRED',
  dependentRequired: 'PLT_FIELD_REQUIRED',
  type: 'PLT_FIELD_TYPE',
  nullable: 'PLT_FIELD_TYPE',
  format: 'PLT_FIELD_FORMAT',
  pattern: 'PLT_FIELD_FORMAT',
  minLength: 'PLT_FIELD_RANGE',
  maxLength: 'PLT_FIELD_RANGE',
  minimum: 'PLT_FIELD_RANGE',
  maximum: 'PLT_FIELD_RANGE',
  exclusiveMinimum: 'PLT_FIELD_RANGE',
  exclusiveMaximum: 'PLT_FIELD_RANGE',
  multipleOf: 'PLT_FIELD_RANGE',
  minItems: 'PLT_FIELD_RANGE',
  maxItems: 'PLT_FIELD_RANGE',
  minProperties: 'PLT_FIELD_RANGE',
  maxProperties: 'PLT_FIELD_RANGE',
  uniqueItems: 'PLT_FIELD_INVALID',
  enum: 'PLT_FIELD_NOT_ALLOWED',
  const: 'PLT_FIELD_NOT_ALLOWED',
  additionalProperties: 'PLT_FIELD_UNKNOWN',
  unevaluatedProperties: 'PLT_FIELD_UNKNOWN',
};

/** Maps an ajv keyword to the platform's field code. */
export function fieldCodeFor(keyword: string): string {
  return FIELD_CODES[keyword] ?? 'PLT_FIELD_INVALID';
}

/** Splits an ajv `instancePath` (a JSON pointer) into its unescaped segments. */
function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Joins segments into a dotted path with `[n]` for array indexes: `payer.bank.bic`, `items[0].amount`. */
export function dottedPath(root: string, segments: readonly string[]): string {
  let path = root;
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else path += path === '' ? segment : `.${segment}`;
  }
  return path;
}

/** The segment an error points at beyond its instance path (the missing or unknown property). */
function extraSegment(error: ErrorObject): string | undefined {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' || error.keyword === 'dependentRequired') {
    return typeof params.missingProperty === 'string' ? params.missingProperty : undefined;
  }
  if (error.keyword === 'additionalProperties') {
    return typeof params.additionalProperty === 'string' ? params.additionalProperty : undefined;
  }
  if (error.keyword === 'unevaluatedProperties') {
    return typeof params.unevaluatedProperty === 'string' ? params.unevaluatedProperty : undefined;
  }
  return undefined;
}

/** A readable message; for `enum` the allowed values are named (they come from the schema, not the input). */
function messageFor(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return `must be one of: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (error.keyword === 'additionalProperties' || error.keyword === 'unevaluatedProperties') {
    return 'is not allowed here';
  }
  if (error.keyword === 'required') return 'is required';
  return error.message ?? `fails ${error.keyword}`;
}

/**
 * Turns ajv errors into field errors, one per problem, with dotted paths under `root` (`body`,
 * `querystring`, `params`, `headers`, or an env variable name). `codeFor` picks the code family.
 * ajv reports `if`/`anyOf` wrappers besides the failing branch; those add nothing for a caller and are dropped.
 */
export function ajvFieldErrors(
  errors: readonly ErrorObject[] | null | undefined,
  root: string,
  codeFor: (keyword: string) => string = fieldCodeFor,
): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    if (error.keyword === 'if' || error.keyword === 'anyOf' || error.keyword === 'oneOf') continue;
    const segments = pointerSegments(error.instancePath);
    const extra = extraSegment(error);
    if (extra !== undefined) segments.push(extra);
    const item: FieldError = {
      code: codeFor(error.keyword),
      path: dottedPath(root, segments),
      message: messageFor(error),
    };
    const key = `${item.code}\u0000${item.path}\u0000${item.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  return out;
}

/** What fastify hands a validator builder for each route schema part. */
interface RouteSchemaPart {
  schema: Record<string, unknown>;
  httpPart?: string;
}

/**
 * Builds fastify's validator compiler (the `schemaController.compilersFactory.buildValidator` hook).
 *
 * Two ajv instances: a JSON body is validated without type coercion, so `"amount": "100"` is refused
 * rather than quietly turned into a number in a payment order; querystring, params and headers arrive as
 * strings and are coerced (`'array'` also wraps a single query value into a one-item list).
 */
export function buildRouteValidator(
  externalSchemas: Record<string, unknown>,
): (part: RouteSchemaPart) => ValidateFunction {
  const strict = createAjv({ coerceTypes: false });
  const coercing = createAjv({ coerceTypes: 'array' });
  for (const schema of Object.values(externalSchemas)) {
    strict.addSchema(schema as object);
    coercing.addSchema(schema as object);
  }
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    // ajv refuses to compile two schemas with one $id; a shared schema is compiled once and reused.
    if (typeof schema.$id === 'string') {
      const stored = ajv.getSchema(schema.$id);
      if (stored) return finiteNumbersOnly(stored);
    }
    return finiteNumbersOnly(ajv.compile(schema));
  };
}

/** Instance paths of the non-finite numbers in validated data (JSON bodies nest at most 64 levels: json-body.ts). */
function nonFinitePaths(data: unknown, path = '', depth = 0): string[] {
  if (typeof data === 'number') return Number.isFinite(data) ? [] : [path];
  if (depth > 64 || data === null || typeof data !== 'object') return [];
  return Object.entries(data).flatMap(([key, value]) => nonFinitePaths(value, `${path}/${key}`, depth + 1));
}

/**
 * ajv coerces the strings of a query, params or headers to numbers, and `1e999` becomes Infinity, which
 * passes `type: integer` and `maximum` alike (JSON.parse makes Infinity of `1e400` in a body too); the
 * validator refuses it as the wrong type instead.
 */
function finiteNumbersOnly(validate: ValidateFunction): ValidateFunction {
  const wrapped = ((data: unknown) => {
    const valid = validate(data);
    wrapped.errors = validate.errors ?? null;
    if (!valid) return false;
    const bad = nonFinitePaths(data);
    if (bad.length === 0) return true;
    wrapped.errors = bad.map((instancePath) => ({
      keyword: 'type',
      instancePath,
      schemaPath: '#/type',
      params: { type: 'number' },
      message: 'must be a finite number',
    }));
    return false;
  }) as ValidateFunction;
  return Object.assign(wrapped, { schema: validate.schema, schemaEnv: validate.schemaEnv });
}
