import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from './config.js';
import { cfg, type Static } from './config-schema.js';
import { SERVICE_CONFIG_PROPERTIES } from './service-config.js';

const schema = cfg.object({
  TWINCONTOUR_PORT: cfg.integer({ minimum: 1, maximum: 65535, default: 8080 }),
  TWINCONTOUR_RATIO: cfg.number({ default: 0.5 }),
  TWINCONTOUR_DEBUG: cfg.boolean({ default: false }),
  TWINCONTOUR_NAME: cfg.string({ minLength: 2 }),
  TWINCONTOUR_MODE: cfg.enum(['file', 'https', 'simulator'], { default: 'simulator' }),
  TWINCONTOUR_TAGS: cfg.array(cfg.string(), { default: [] }),
  TWINCONTOUR_PORTS: cfg.optional(cfg.array(cfg.integer())),
  TWINCONTOUR_DB_PASSWORD: cfg.string({ secret: true, minLength: 12 }),
  TWINCONTOUR_NOTE: cfg.optional(cfg.string()),
  TWINCONTOUR_PEER: cfg.optional(
    cfg.object({ url: cfg.string({ format: 'uri' }), retries: cfg.integer({ default: 3 }) }),
  ),
});

const base = { TWINCONTOUR_NAME: 'formation', TWINCONTOUR_DB_PASSWORD: 'correct horse battery' };
const dir = mkdtempSync(join(tmpdir(), 'tc-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the derived type', () => {
  it('has required and defaulted keys present, optional keys optional, and nothing written twice', () => {
    type C = Static<typeof schema>;
    expectTypeOf<C['TWINCONTOUR_PORT']>().toEqualTypeOf<number>();
    expectTypeOf<C['TWINCONTOUR_MODE']>().toEqualTypeOf<'file' | 'https' | 'simulator'>();
    expectTypeOf<C['TWINCONTOUR_TAGS']>().toEqualTypeOf<readonly string[]>();
    expectTypeOf<C>().toHaveProperty('TWINCONTOUR_NOTE');
    expectTypeOf<Pick<C, 'TWINCONTOUR_NOTE'>>().toEqualTypeOf<{ readonly TWINCONTOUR_NOTE?: string }>();
    expectTypeOf<NonNullable<C['TWINCONTOUR_PEER']>>().toEqualTypeOf<{
      readonly url: string;
      readonly retries: number;
    }>();
  });

  it('lists in `required` only keys that are neither optional nor defaulted', () => {
    expect([...schema.required].sort()).toEqual(['TWINCONTOUR_DB_PASSWORD', 'TWINCONTOUR_NAME']);
  });
});

describe('parseConfig', () => {
  it('coerces strings per the declared type and applies defaults', () => {
    const result = parseConfig(schema, {
      ...base,
      TWINCONTOUR_PORT: ' 9090 ',
      TWINCONTOUR_DEBUG: 'TRUE',
      TWINCONTOUR_TAGS: 'a, b,,c',
      TWINCONTOUR_PORTS: '[1, 2]',
      TWINCONTOUR_PEER: '{"url":"https://cbr.example/x"}',
      PATH: '/usr/bin',
    });
    expect(result).toEqual({
      ok: true,
      value: {
        ...base,
        TWINCONTOUR_PORT: 9090,
        TWINCONTOUR_RATIO: 0.5,
        TWINCONTOUR_DEBUG: true,
        TWINCONTOUR_MODE: 'simulator',
        TWINCONTOUR_TAGS: ['a', 'b', 'c'],
        TWINCONTOUR_PORTS: [1, 2],
        TWINCONTOUR_PEER: { url: 'https://cbr.example/x', retries: 3 },
      },
    });
  });

  it.each([
    ['TWINCONTOUR_PORT', '80', 80],
    ['TWINCONTOUR_PORT', '+443', 443],
    ['TWINCONTOUR_RATIO', '1e-3', 0.001],
    ['TWINCONTOUR_RATIO', '.25', 0.25],
    ['TWINCONTOUR_DEBUG', '1', true],
    ['TWINCONTOUR_DEBUG', 'false', false],
    ['TWINCONTOUR_DEBUG', '0', false],
    ['TWINCONTOUR_PORTS', '80,443', [80, 443]],
    ['TWINCONTOUR_TAGS', '["x,y"]', ['x,y']],
  ] as const)('%s=%j becomes %j', (key, text, expected) => {
    const result = parseConfig(schema, { ...base, [key]: text });
    expect(result.ok && (result.value as Record<string, unknown>)[key]).toEqual(expected);
  });

  it.each([
    ['TWINCONTOUR_PORT', 'eighty', 'CFG_TYPE'],
    ['TWINCONTOUR_PORT', '8080.5', 'CFG_TYPE'],
    ['TWINCONTOUR_PORT', '70000', 'CFG_CONSTRAINT'],
    ['TWINCONTOUR_DEBUG', 'yes', 'CFG_TYPE'],
    ['TWINCONTOUR_MODE', 'fax', 'CFG_CONSTRAINT'],
    ['TWINCONTOUR_NAME', 'x', 'CFG_CONSTRAINT'],
    ['TWINCONTOUR_PORTS', '[1, "two"]', 'CFG_TYPE'],
    ['TWINCONTOUR_PEER', '{"url":', 'CFG_BAD_JSON'],
    ['TWINCONTOUR_PEER', '{"url":"not a uri"}', 'CFG_CONSTRAINT'],
  ] as const)('%s=%j is refused with %s', (key, text, code) => {
    const result = parseConfig(schema, { ...base, [key]: text });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('CFG_INVALID');
    expect(result.errors?.map((e) => e.code)).toEqual([code]);
    expect(result.errors?.[0]?.path.startsWith(key)).toBe(true);
  });

  it('reports every problem at once, each with its own code and path', () => {
    const result = parseConfig(schema, {
      TWINCONTOUR_PORT: 'x',
      TWINCONTOUR_MODEE: 'file',
      TWINCONTOUR_PEER: '{"url":"https://a.example","extra":1,"retries":"3"}',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'CFG_UNKNOWN_KEY', path: 'TWINCONTOUR_MODEE' }),
        expect.objectContaining({ code: 'CFG_TYPE', path: 'TWINCONTOUR_PORT' }),
        expect.objectContaining({ code: 'CFG_MISSING', path: 'TWINCONTOUR_NAME' }),
        expect.objectContaining({ code: 'CFG_MISSING', path: 'TWINCONTOUR_DB_PASSWORD' }),
        expect.objectContaining({ code: 'CFG_UNKNOWN_KEY', path: 'TWINCONTOUR_PEER.extra' }),
        expect.objectContaining({ code: 'CFG_TYPE', path: 'TWINCONTOUR_PEER.retries' }),
      ]),
    );
    expect(result.errors).toHaveLength(6);
    expect(result.errors?.find((e) => e.path === 'TWINCONTOUR_DB_PASSWORD')?.message).toContain(
      'TWINCONTOUR_DB_PASSWORD_FILE',
    );
  });

  it('treats an empty value as absent', () => {
    const result = parseConfig(schema, { ...base, TWINCONTOUR_PORT: '', TWINCONTOUR_NOTE: '' });
    expect(result.ok && result.value.TWINCONTOUR_PORT).toBe(8080);
    expect(result.ok && 'TWINCONTOUR_NOTE' in result.value).toBe(false);
  });

  it('refuses unknown keys only under the prefix', () => {
    const result = parseConfig(schema, { ...base, OTHER_THING: '1', TWINCONTOUR_PORTT: '1' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors?.map((e) => e.path)).toEqual(['TWINCONTOUR_PORTT']);
    const custom = parseConfig(schema, { ...base, TWINCONTOUR_PORTT: '1', APP_X: '1' }, { prefix: 'APP_' });
    expect(!custom.ok && custom.errors?.map((e) => e.path)).toEqual(['APP_X']);
  });

  it('deep-freezes the result', () => {
    const result = parseConfig(schema, { ...base, TWINCONTOUR_PEER: '{"url":"https://a.example"}' });
    if (!result.ok) throw new Error('expected a config');
    expect(Object.isFrozen(result.value)).toBe(true);
    expect(Object.isFrozen(result.value.TWINCONTOUR_PEER)).toBe(true);
    expect(Object.isFrozen(result.value.TWINCONTOUR_TAGS)).toBe(true);
    expect(() => {
      (result.value as { TWINCONTOUR_PORT: number }).TWINCONTOUR_PORT = 1;
    }).toThrow(TypeError);
    // A default is copied into the result, never shared with (or frozen into) the schema.
    expect(Object.isFrozen(parseConfig(schema, base))).toBe(false);
  });

  it('never throws and never echoes a value, whatever the environment holds', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(...Object.keys(schema.properties), 'TWINCONTOUR_X', 'TWINCONTOUR_DB_PASSWORD_FILE'),
          fc.string({ minLength: 0, maxLength: 30 }),
        ),
        (env) => {
          const result = parseConfig(schema, env, {
            readFile: () => {
              throw Object.assign(new Error('nope'), { code: 'ENOENT' });
            },
          });
          if (result.ok) return;
          const secret = env.TWINCONTOUR_DB_PASSWORD;
          if (secret !== undefined && secret.length >= 6) {
            for (const e of result.errors ?? []) expect(e.message).not.toContain(secret);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('secrets from files', () => {
  it('reads NAME_FILE and strips the trailing newline', () => {
    const file = join(dir, 'db_password');
    writeFileSync(file, 's3cret-from-docker\n');
    const result = parseConfig(schema, { TWINCONTOUR_NAME: 'x1', TWINCONTOUR_DB_PASSWORD_FILE: file });
    expect(result.ok && result.value.TWINCONTOUR_DB_PASSWORD).toBe('s3cret-from-docker');
  });

  it('reads a JSON list from a file (an identity key file)', () => {
    const file = join(dir, 'identities.json');
    writeFileSync(file, JSON.stringify([{ id: 'ops-1', role: 'ops', contour: 'control', keySha256: 'a'.repeat(64) }]));
    const identities = cfg.object({ TWINCONTOUR_IDENTITIES: SERVICE_CONFIG_PROPERTIES.TWINCONTOUR_IDENTITIES });
    const result = parseConfig(identities, { TWINCONTOUR_IDENTITIES_FILE: file });
    expect(result.ok && result.value.TWINCONTOUR_IDENTITIES[0]?.role).toBe('ops');
  });

  it('reports an unreadable file, a conflict, and a bad entry inside a JSON file, at once', () => {
    const file = join(dir, 'bad-identities.json');
    writeFileSync(file, JSON.stringify([{ id: 'ops-1', role: 'root', contour: 'control', keySha256: 'a'.repeat(64) }]));
    const both = cfg.object({
      TWINCONTOUR_DB_PASSWORD: cfg.string({ secret: true }),
      TWINCONTOUR_API_TOKEN: cfg.string({ secret: true }),
      TWINCONTOUR_IDENTITIES: SERVICE_CONFIG_PROPERTIES.TWINCONTOUR_IDENTITIES,
    });
    const result = parseConfig(both, {
      TWINCONTOUR_DB_PASSWORD: 'direct-value',
      TWINCONTOUR_DB_PASSWORD_FILE: join(dir, 'whatever'),
      TWINCONTOUR_API_TOKEN_FILE: join(dir, 'missing'),
      TWINCONTOUR_IDENTITIES_FILE: file,
    });
    expect(!result.ok && result.errors?.map((e) => [e.code, e.path])).toEqual([
      ['CFG_SECRET_CONFLICT', 'TWINCONTOUR_DB_PASSWORD'],
      ['CFG_SECRET_FILE', 'TWINCONTOUR_API_TOKEN_FILE'],
      ['CFG_CONSTRAINT', 'TWINCONTOUR_IDENTITIES[0].role'],
    ]);
    expect(JSON.stringify(result)).not.toContain('direct-value');
  });

  it('refuses NAME_FILE for a property that is not a secret', () => {
    const result = parseConfig(schema, { ...base, TWINCONTOUR_NAME_FILE: join(dir, 'x') });
    expect(!result.ok && result.errors?.map((e) => e.code)).toEqual(['CFG_UNKNOWN_KEY']);
  });
});

describe('loadConfig', () => {
  it('returns the frozen config', () => {
    expect(loadConfig(schema, base).TWINCONTOUR_PORT).toBe(8080);
  });

  it('throws one ConfigError with code CFG_INVALID listing every problem', () => {
    let caught: unknown;
    try {
      loadConfig(schema, { TWINCONTOUR_PORT: '0' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.code).toBe('CFG_INVALID');
    expect(error.errors.map((e) => e.path).sort()).toEqual([
      'TWINCONTOUR_DB_PASSWORD',
      'TWINCONTOUR_NAME',
      'TWINCONTOUR_PORT',
    ]);
    expect(error.message).toContain('TWINCONTOUR_PORT');
  });
});
