import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServiceApp, type ServiceAppOptions } from './app.js';
import { createIdentityRegistry, hashApiKey } from './auth.js';
import { createPool, pgReadiness } from './db.js';
import { createLogger } from './logger.js';
import { redisReadiness } from './queue.js';
import { createTestDatabase, type TestDatabase, testRedisConnection } from './testing.js';

const KEYS = { backoffice: 'tck_backoffice_key_0001', ops: 'tck_ops_key_0002', other: 'tck_backoffice_key_0003' };
const registry = createIdentityRegistry([
  { id: 'bo-1', role: 'backoffice', contour: 'formation', keySha256: hashApiKey(KEYS.backoffice) },
  { id: 'ops-1', role: 'ops', contour: 'formation', keySha256: hashApiKey(KEYS.ops) },
  { id: 'bo-2', role: 'backoffice', contour: 'formation', keySha256: hashApiKey(KEYS.other) },
]);
if (!registry.ok) throw new Error('test registry invalid');

const logLines: string[] = [];
const logger = createLogger({
  service: 'test',
  level: 'debug',
  destination: { write: (l: string) => void logLines.push(l) },
});
const bo = { authorization: `ApiKey ${KEYS.backoffice}` };

const orderBody = {
  type: 'object',
  required: ['amount', 'payer', 'priority'],
  additionalProperties: false,
  properties: {
    amount: { type: 'string', pattern: '^[1-9][0-9]{0,17}$' },
    priority: { type: 'string', enum: ['1', '5'] },
    payer: {
      type: 'object',
      required: ['inn'],
      additionalProperties: false,
      properties: {
        inn: { type: 'string', pattern: '^[0-9]{10}$|^[0-9]{12}$' },
        name: { type: 'string', maxLength: 160 },
      },
    },
  },
} as const;

async function build(options: Partial<ServiceAppOptions> = {}): Promise<FastifyInstance> {
  if (!registry.ok) throw new Error('unreachable');
  const app = await buildServiceApp({
    service: 'test-service',
    logger,
    auth: { contour: 'formation', registry: registry.value },
    bodyLimit: 2048,
    metrics: { defaultMetrics: false },
    ...options,
  });
  app.post(
    '/v1/orders',
    {
      config: { roles: ['backoffice'] },
      schema: { summary: 'Create an order', body: orderBody, response: { 400: { $ref: 'PlatformError#' } } },
    },
    async (request) => ({ received: request.body }),
  );
  app.get(
    '/v1/orders/:id',
    {
      config: { roles: ['backoffice'], rateLimit: { max: 2, timeWindow: 60_000 } },
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', pattern: '^[a-z0-9-]+$' } } },
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 10 } },
        },
      },
    },
    async (request) => ({ id: (request.params as { id: string }).id, query: request.query, who: request.identity }),
  );
  app.get('/v1/crash', { config: { roles: ['backoffice'] } }, async () => {
    throw new Error('connection to db.internal failed: password=hunter2');
  });
  await app.ready();
  return app;
}

let app: FastifyInstance;
beforeAll(async () => {
  app = await build();
});
afterAll(async () => {
  await app.close();
  // Whatever happened above, no API key ever reached the log.
  const text = logLines.join('');
  for (const key of Object.values(KEYS)) expect(text).not.toContain(key);
});

describe('health and request ids', () => {
  it('answers /health without credentials', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('keeps a safe X-Request-Id and replaces an unsafe one', async () => {
    const kept = await app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    expect(kept.json().requestId).toBe('abc-123');
    const replaced = await app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'a b\n{"level":60}' },
    });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('errors at the edge', () => {
  it('lists every field error of a body at once', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: bo,
      payload: { amount: '0', priority: '3', payer: { inn: '12', extra: true } },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toMatchObject({ statusCode: 400, code: 'PLT_VALIDATION', error: 'Bad Request' });
    expect(typeof body.requestId).toBe('string');
    expect(body.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'PLT_FIELD_FORMAT', path: 'body.amount' }),
        expect.objectContaining({ code: 'PLT_FIELD_NOT_ALLOWED', path: 'body.priority' }),
        expect.objectContaining({ code: 'PLT_FIELD_FORMAT', path: 'body.payer.inn' }),
        expect.objectContaining({ code: 'PLT_FIELD_UNKNOWN', path: 'body.payer.extra' }),
      ]),
    );
    expect(body.details).toHaveLength(4);
  });

  it('never coerces JSON body types, but reports the missing fields too', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/orders', headers: bo, payload: { amount: 100 } });
    expect(res.json().details).toEqual([
      { code: 'PLT_FIELD_REQUIRED', path: 'body.payer', message: 'is required' },
      { code: 'PLT_FIELD_REQUIRED', path: 'body.priority', message: 'is required' },
      { code: 'PLT_FIELD_TYPE', path: 'body.amount', message: 'must be string' },
    ]);
  });

  it('accepts a valid body', async () => {
    const payload = { amount: '100', priority: '5', payer: { inn: '7707083893' } };
    const res = await app.inject({ method: 'POST', url: '/v1/orders', headers: bo, payload });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: payload });
  });

  it('coerces querystring values and applies defaults', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/orders/ab-1?limit=7', headers: bo });
    expect(res.json()).toMatchObject({ id: 'ab-1', query: { limit: 7 }, who: { id: 'bo-1', role: 'backoffice' } });
    const bad = await app.inject({ method: 'GET', url: '/v1/orders/AB?limit=0', headers: { 'x-api-key': KEYS.other } });
    expect(bad.json().code).toBe('PLT_VALIDATION');
    expect(bad.json().details.map((d: { path: string }) => d.path)).toEqual(['params.id']);
  });

  it.each([
    ['bad JSON', 400, 'PLT_BAD_JSON', 'application/json', '{"amount":'],
    ['empty JSON', 400, 'PLT_BAD_JSON', 'application/json', ''],
    ['XML body', 415, 'PLT_UNSUPPORTED_MEDIA_TYPE', 'text/xml', '<a/>'],
    ['too large', 413, 'PLT_BODY_TOO_LARGE', 'application/json', JSON.stringify({ amount: 'x'.repeat(4000) })],
  ])('%s → %i %s', async (_name, status, code, type, payload) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { ...bo, 'content-type': type },
      payload,
    });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ statusCode: status, code });
  });

  it('answers an unknown route 404 PLT_NOT_FOUND to an authenticated caller', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nothing?x=1', headers: bo });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'PLT_NOT_FOUND', error: 'Not Found' });
  });

  it('hides a 5xx behind PLT_INTERNAL and keeps the error in the log', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/crash', headers: bo });
    expect(res.statusCode).toBe(500);
    const body = res.json();
    expect(body.code).toBe('PLT_INTERNAL');
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toContain('db.internal');
    const line = logLines.map((l) => JSON.parse(l)).find((l) => l.requestId === body.requestId && l.level === 'error');
    expect(line?.err?.message).toContain('db.internal');
  });
});

describe('rate limits', () => {
  it('limits a route that asks for it, per identity, with PLT_RATE_LIMITED', async () => {
    const fresh = await build();
    try {
      const headers = { 'x-api-key': KEYS.backoffice };
      expect((await fresh.inject({ method: 'GET', url: '/v1/orders/a', headers })).statusCode).toBe(200);
      expect((await fresh.inject({ method: 'GET', url: '/v1/orders/a', headers })).statusCode).toBe(200);
      const limited = await fresh.inject({ method: 'GET', url: '/v1/orders/a', headers });
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ code: 'PLT_RATE_LIMITED', statusCode: 429 });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Another identity has its own budget; routes without a limit are not limited.
      const other = await fresh.inject({ method: 'GET', url: '/v1/orders/a', headers: { 'x-api-key': KEYS.other } });
      expect(other.statusCode).toBe(200);
      for (let i = 0; i < 4; i++) {
        expect((await fresh.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      }
    } finally {
      await fresh.close();
    }
  });
});

describe('metrics', () => {
  it('keeps /metrics behind auth (ops) and counts requests by route template', async () => {
    await app.inject({ method: 'GET', url: '/v1/orders/xyz-9', headers: bo });
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/metrics', headers: bo })).statusCode).toBe(403);
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `ApiKey ${KEYS.ops}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(
      /http_requests_total\{route="\/v1\/orders\/:id",method="GET",status_code="200",service="test-service"\} \d+/,
    );
    expect(res.body).toContain('http_request_duration_seconds_bucket');
    expect(res.body).toMatch(/http_requests_total\{route="not_found",method="GET",status_code="404"/);
    expect(res.body).not.toContain('xyz-9');
  });

  it('has a registry per app, and can serve /metrics publicly when configured', async () => {
    const open = await build({ metrics: { public: true, defaultMetrics: true } });
    try {
      const res = await open.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('process_cpu_user_seconds_total');
      expect(res.body).not.toContain('/v1/orders/:id",method="GET",status_code="200"');
      expect(open.metricsRegistry).not.toBe(app.metricsRegistry);
    } finally {
      await open.close();
    }
  });
});

describe('the OpenAPI document', () => {
  it('is public and carries each route schema, its security and its roles', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('test-service');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      'apiKeyAuthorization',
      'apiKeyHeader',
      'clientCertificate',
    ]);
    const create = doc.paths['/v1/orders'].post;
    expect(create.summary).toBe('Create an order');
    expect(create['x-roles']).toEqual(['backoffice']);
    expect(create.security).toEqual([{ apiKeyHeader: [] }, { apiKeyAuthorization: [] }]);
    expect(create.requestBody.content['application/json'].schema.required).toEqual(['amount', 'payer', 'priority']);
    expect(doc.paths['/v1/orders/{id}'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['limit', 'id']);
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(doc.paths['/metrics'].get['x-roles']).toEqual(['ops', 'service']);
    expect(doc.paths['/openapi.json']).toBeUndefined();
  });
});

describe('readiness against the real PostgreSQL and Redis', () => {
  let db: TestDatabase;
  let redis: Redis;
  beforeAll(async () => {
    db = await createTestDatabase();
    redis = new Redis(testRedisConnection());
  });
  afterAll(async () => {
    await db.drop();
    redis.disconnect();
  });

  it('is ready when every check passes', async () => {
    const ready = await build({ readiness: { postgres: pgReadiness(db.pool), redis: redisReadiness(redis) } });
    try {
      const res = await ready.inject({ method: 'GET', url: '/ready' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
    } finally {
      await ready.close();
    }
  });

  it('answers 503 PLT_NOT_READY naming each failing check, with the error class only', async () => {
    const deadPool = createPool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMs: 500 });
    const deadRedis = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    deadRedis.on('error', () => {});
    const notReady = await build({
      readiness: {
        postgres: pgReadiness(db.pool),
        archive: pgReadiness(deadPool),
        queue: redisReadiness(deadRedis),
        hsm: () => new Promise(() => {}),
      },
      readinessTimeoutMs: 300,
    });
    try {
      const res = await notReady.inject({ method: 'GET', url: '/ready' });
      expect(res.statusCode).toBe(503);
      const body = res.json();
      expect(body.code).toBe('PLT_NOT_READY');
      const byPath = Object.fromEntries(
        body.details.map((d: { path: string; message: string }) => [d.path, d.message]),
      );
      expect(Object.keys(byPath).sort()).toEqual(['archive', 'hsm', 'queue']);
      expect(byPath.archive).toBe('ECONNREFUSED');
      expect(byPath.hsm).toBe('timeout');
      expect(res.body).not.toContain('127.0.0.1');
    } finally {
      await notReady.close();
      await deadPool.end();
      deadRedis.disconnect();
    }
  });
});
