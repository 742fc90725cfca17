import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServiceApp } from './app.js';
import { createIdentityRegistry, hashApiKey } from './auth.js';
import { jsonNestingDepth, MAX_JSON_DEPTH } from './json-body.js';
import { createLogger } from './logger.js';

const KEY = 'tck_json_body_key_0001';
const registry = createIdentityRegistry([
  { id: 'bo-1', role: 'backoffice', contour: 'formation', keySha256: hashApiKey(KEY) },
]);
if (!registry.ok) throw new Error('test registry invalid');

/** The reference: depth of a parsed value, by recursion (fine for the small values fast-check makes). */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (typeof value === 'object' && value !== null) return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

describe('jsonNestingDepth', () => {
  it('is the depth of the parsed value, whatever the strings hold (brackets, quotes, escapes)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expect(jsonNestingDepth(JSON.stringify(value))).toBe(depthOf(value));
      }),
      { numRuns: 300 },
    );
  });

  it('stops counting once past the bound, on any text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.integer({ min: 0, max: 10 }), (text, bound) => {
        const depth = jsonNestingDepth(text, bound);
        expect(depth).toBeGreaterThanOrEqual(0);
        expect(depth > bound).toBe(jsonNestingDepth(text) > bound);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the JSON body parser of every service', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    if (!registry.ok) throw new Error('unreachable');
    app = await buildServiceApp({
      service: 'json-body-test',
      logger: createLogger({ service: 'test', level: 'silent' }),
      auth: { contour: 'formation', registry: registry.value },
      metrics: { defaultMetrics: false },
    });
    app.post('/v1/echo', { config: { roles: ['backoffice'] } }, async (request) => ({ body: request.body }));
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  const post = (payload: string | Buffer, contentType: string | undefined) =>
    app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { 'x-api-key': KEY, ...(contentType === undefined ? {} : { 'content-type': contentType }) },
      payload,
    });

  it.each([
    ['text/plain', '{"a":1}', 415, 'PLT_UNSUPPORTED_MEDIA_TYPE'],
    ['application/xml', '<a/>', 415, 'PLT_UNSUPPORTED_MEDIA_TYPE'],
    ['application/x-www-form-urlencoded', 'a=1', 415, 'PLT_UNSUPPORTED_MEDIA_TYPE'],
    ['multipart/form-data; boundary=x', '--x--', 415, 'PLT_UNSUPPORTED_MEDIA_TYPE'],
    ['application/json; charset=windows-1251', '{"a":1}', 415, 'PLT_UNSUPPORTED_MEDIA_TYPE'],
    ['application/json; charset=utf-16', '{"a":1}', 415, 'PLT_UNSUPPORTED_MEDIA_TYPE'],
    ['application/json', '', 400, 'PLT_BAD_JSON'],
    ['application/json', '{"a":', 400, 'PLT_BAD_JSON'],
    ['application/json', '{"__proto__":{"admin":true}}', 400, 'PLT_BAD_JSON'],
    ['application/json', '{"constructor":{"prototype":{"admin":true}}}', 400, 'PLT_BAD_JSON'],
    [
      'application/json',
      `${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`,
      400,
      'PLT_JSON_TOO_DEEP',
    ],
    ['application/json', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, 400, 'PLT_JSON_TOO_DEEP'],
  ])('%s %j → %i %s', async (contentType, payload, status, code) => {
    const res = await post(payload, contentType);
    expect(res.statusCode).toBe(status);
    expect(res.json().code).toBe(code);
  });

  it('refuses bytes that are not UTF-8 (windows-1251 sent as UTF-8) with PLT_BAD_ENCODING', async () => {
    // {"name":"Пром"} in windows-1251.
    const cp1251 = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xcf, 0xf0, 0xee, 0xec]), Buffer.from('"}')]);
    for (const contentType of ['application/json', 'application/json; charset=utf-8']) {
      const res = await post(cp1251, contentType);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('PLT_BAD_ENCODING');
    }
  });

  it('accepts UTF-8 JSON up to the depth bound, with or without charset', async () => {
    const deepest = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
    for (const [payload, contentType] of [
      ['{"name":"Пром"}', 'application/json'],
      ['{"name":"Пром"}', 'application/json; charset=UTF-8'],
      [deepest, 'application/json'],
    ] as const) {
      const res = await post(payload, contentType);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().body).toEqual(JSON.parse(payload));
    }
  });
});
