import { readFileSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import type { AnyTObject, JsonSchemaNode, Static } from './config-schema.js';
import { type FieldError, fail, ok, type Result } from './result.js';
import { ajvFieldErrors, createAjv } from './validation.js';

/** Where the environment comes from: `process.env` or a plain record in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Variables with this prefix must be in the schema (typos refused). Default `TWINCONTOUR_`. */
  prefix?: string;
  /** Reads a `…_FILE` secret; default `fs.readFileSync(path, 'utf8')`. */
  readFile?: (path: string) => string;
}

/** Deeply readonly view of a config value. */
export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends readonly (infer U)[]
    ? readonly DeepReadonly<U>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** The configuration a schema describes: typed from the schema, deep-frozen. */
export type Config<S extends AnyTObject> = DeepReadonly<Static<S>>;

/** Thrown by {@link loadConfig}: every problem at once, each with a code and the variable it concerns. */
export class ConfigError extends Error {
  /** Always `CFG_INVALID`. */
  readonly code = 'CFG_INVALID';
  /** Every problem found; messages never contain the values of secrets. */
  readonly errors: readonly FieldError[];

  /** Builds the error; the message lists every problem so a crash log is enough to fix the deployment. */
  constructor(errors: readonly FieldError[]) {
    super(`invalid configuration:\n${errors.map((e) => `  ${e.path}: ${e.message} [${e.code}]`).join('\n')}`);
    this.name = 'ConfigError';
    this.errors = errors;
  }
}

const SECRET_FILE_SUFFIX = '_FILE';

/** The config ajv: strict, no coercion (the loader coerces env strings itself, per declared type). */
let configAjv: ReturnType<typeof createAjv> | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: AnyTObject): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    configAjv ??= createAjv({ coerceTypes: false, keywords: ['secret'] });
    validate = configAjv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Coerces one env string to the declared scalar type; leaves it unchanged when it does not parse (ajv then reports it). */
function coerceScalar(text: string, schema: JsonSchemaNode | undefined): unknown {
  const type = schema?.type;
  if (type === 'integer' || type === 'number') {
    const trimmed = text.trim();
    return NUMBER_TEXT.test(trimmed) ? Number(trimmed) : text;
  }
  if (type === 'boolean') {
    const lower = text.trim().toLowerCase();
    if (lower === 'true' || lower === '1') return true;
    if (lower === 'false' || lower === '0') return false;
  }
  return text;
}

type Coerced = { ok: true; value: unknown } | { ok: false; error: FieldError };

/** Coerces one env string per its property schema: scalars by type, lists from JSON or commas, objects from JSON. */
function coerce(name: string, text: string, schema: JsonSchemaNode): Coerced {
  const isArray = schema.type === 'array';
  const isObject = schema.type === 'object';
  if (isObject || (isArray && text.trimStart().startsWith('['))) {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      // The parser's message can quote the input, and the input may be a secret: say only where it is.
      return { ok: false, error: { code: 'CFG_BAD_JSON', path: name, message: 'is not valid JSON' } };
    }
  }
  if (isArray) {
    const parts = text
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    return { ok: true, value: parts.map((p) => coerceScalar(p, schema.items)) };
  }
  return { ok: true, value: coerceScalar(text, schema) };
}

function configCode(keyword: string): string {
  if (keyword === 'required') return 'CFG_MISSING';
  if (keyword === 'type') return 'CFG_TYPE';
  if (keyword === 'additionalProperties') return 'CFG_UNKNOWN_KEY';
  return 'CFG_CONSTRAINT';
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Strips the one trailing newline an editor or `echo` leaves in a secret file. */
function secretFromFile(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/**
 * Reads a configuration from `env` against an object schema made with `cfg.object`, returning every
 * problem at once as a value (`CFG_INVALID` with one coded entry per problem).
 *
 * - property names are the env variable names (the name in the config is the name in the deployment);
 * - strings are coerced per the declared type; an empty value counts as absent (compose's `FOO=`);
 * - defaults are applied, then the schema is checked with ajv (all errors);
 * - a variable with the prefix that the schema does not know is refused (`CFG_UNKNOWN_KEY`): a typo
 *   must not silently fall back to a default;
 * - a property marked `secret` may instead be given as `NAME_FILE=/run/secrets/…` (docker secrets);
 * - the result is deep-frozen.
 */
export function parseConfig<S extends AnyTObject>(
  schema: S,
  env: Env,
  options: LoadConfigOptions = {},
): Result<Config<S>> {
  const prefix = options.prefix ?? 'TWINCONTOUR_';
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const properties: Readonly<Record<string, JsonSchemaNode>> = schema.properties;
  const errors: FieldError[] = [];
  const data: Record<string, unknown> = {};
  const handled = new Set<string>();

  for (const key of Object.keys(env).sort()) {
    if (!key.startsWith(prefix) || env[key] === undefined) continue;
    if (Object.hasOwn(properties, key)) continue;
    const base = key.endsWith(SECRET_FILE_SUFFIX) ? key.slice(0, -SECRET_FILE_SUFFIX.length) : undefined;
    if (base !== undefined && properties[base]?.secret === true) continue;
    errors.push({ code: 'CFG_UNKNOWN_KEY', path: key, message: 'is not a known setting of this service' });
  }

  for (const [name, property] of Object.entries(properties)) {
    const direct = env[name];
    const fileVar = property.secret === true ? env[`${name}${SECRET_FILE_SUFFIX}`] : undefined;
    const hasDirect = direct !== undefined && direct !== '';
    const hasFile = fileVar !== undefined && fileVar !== '';
    let text: string | undefined;
    if (hasDirect && hasFile) {
      errors.push({
        code: 'CFG_SECRET_CONFLICT',
        path: name,
        message: `is given both directly and as ${name}${SECRET_FILE_SUFFIX}`,
      });
      handled.add(name);
      continue;
    }
    if (hasFile) {
      try {
        text = secretFromFile(readFile(fileVar));
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code ?? 'read error';
        errors.push({
          code: 'CFG_SECRET_FILE',
          path: `${name}${SECRET_FILE_SUFFIX}`,
          message: `cannot read ${fileVar} (${reason})`,
        });
        handled.add(name);
        continue;
      }
    } else if (hasDirect) {
      text = direct;
    }
    if (text === undefined || text === '') continue;
    const coerced = coerce(name, text, property);
    if (coerced.ok) data[name] = coerced.value;
    else {
      errors.push(coerced.error);
      handled.add(name);
    }
  }

  const validate = validatorFor(schema);
  if (!validate(data)) {
    for (const error of ajvFieldErrors(validate.errors, '', configCode)) {
      // A variable already reported (unreadable file, bad JSON) is not reported again as "missing".
      const root = error.path.split(/[.[]/)[0] ?? error.path;
      if (handled.has(root)) continue;
      if (error.code === 'CFG_MISSING' && error.path === root && properties[root]?.secret === true) {
        errors.push({ ...error, message: `is required (or ${root}${SECRET_FILE_SUFFIX})` });
      } else errors.push(error);
    }
  }
  if (errors.length > 0) return fail('CFG_INVALID', `invalid configuration (${errors.length} problems)`, errors);
  return ok(deepFreeze(data) as Config<S>);
}

/**
 * {@link parseConfig} for `main.ts`: returns the typed, frozen configuration or throws one
 * {@link ConfigError} (`CFG_INVALID`) listing every problem — the service must not start half-configured.
 */
export function loadConfig<S extends AnyTObject>(schema: S, env: Env, options: LoadConfigOptions = {}): Config<S> {
  const result = parseConfig(schema, env, options);
  if (!result.ok) throw new ConfigError(result.errors ?? []);
  return result.value;
}
