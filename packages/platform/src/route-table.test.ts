import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServiceApp } from './app.js';
import { createIdentityRegistry, hashApiKey } from './auth.js';
import { createLogger } from './logger.js';
import { serviceRateLimit } from './service-config.js';

const KEYS = {
  backoffice: 'tck_rt_backoffice_0001',
  backoffice2: 'tck_rt_backoffice_0002',
  operator: 'tck_rt_operator_0003',
  operator2: 'tck_rt_operator_0004',
};
const registry = createIdentityRegistry([
  { id: 'bo-1', role: 'backoffice', contour: 'formation', keySha256: hashApiKey(KEYS.backoffice) },
  { id: 'bo-2', role: 'backoffice', contour: 'formation', keySha256: hashApiKey(KEYS.backoffice2) },
  { id: 'op-1', role: 'formation-operator', contour: 'formation', keySha256: hashApiKey(KEYS.operator) },
  { id: 'op-2', role: 'formation-operator', contour: 'formation', keySha256: hashApiKey(KEYS.operator2) },
]);
if (!registry.ok) throw new Error('test registry invalid');

async function build(rateLimit?: Parameters<typeof buildServiceApp>[0]['rateLimit']): Promise<FastifyInstance> {
  if (!registry.ok) throw new Error('unreachable');
  const app = await buildServiceApp({
    service: 'route-table-test',
    logger: createLogger({ service: 'test', level: 'silent' }),
    auth: { contour: 'formation', registry: registry.value },
    metrics: { defaultMetrics: false },
    ...(rateLimit ? { rateLimit } : {}),
  });
  const roles = ['backoffice', 'formation-operator'] as const;
  app.get('/v1/things/:id', { config: { roles } }, async () => ({ ok: true }));
  app.post('/v1/things', { config: { roles } }, async () => ({ ok: true }));
  // A route with a limit of its own keeps it.
  app.get('/v1/scarce', { config: { roles, rateLimit: { max: 1, timeWindow: 60_000 } } }, async () => ({ ok: true }));
  await app.ready();
  return app;
}

describe('routeTable', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await build();
  });
  afterAll(async () => {
    await app.close();
  });

  it('lists every route with its roles, the platform ones and HEAD twins included', () => {
    const table = app.routeTable.map((r) => `${r.method} ${r.url} ${r.public ? 'public' : r.roles.join(',')}`);
    expect(table).toEqual(
      expect.arrayContaining([
        'GET /health public',
        'GET /ready public',
        'GET /openapi.json public',
        'GET /metrics ops,service',
        'GET /v1/things/:id backoffice,formation-operator',
        'HEAD /v1/things/:id backoffice,formation-operator',
        'POST /v1/things backoffice,formation-operator',
      ]),
    );
    expect(Object.isFrozen(app.routeTable[0])).toBe(true);
  });
});

describe('the per-identity rate limit (serviceRateLimit)', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await build(
      serviceRateLimit({
        TWINCONTOUR_RATE_LIMIT_MAX: 3,
        TWINCONTOUR_RATE_LIMIT_MACHINE_MAX: 5,
        TWINCONTOUR_RATE_LIMIT_WINDOW_MS: 60_000,
      }),
    );
  });
  afterAll(async () => {
    await app.close();
  });

  const call = (key: string, url = '/v1/things/a', method: 'GET' | 'POST' = 'GET') =>
    app.inject({ method, url, headers: { 'x-api-key': key }, ...(method === 'POST' ? { payload: {} } : {}) });

  it('gives a person max requests per window over all routes, then 429 PLT_RATE_LIMITED with Retry-After', async () => {
    expect((await call(KEYS.operator)).statusCode).toBe(200);
    expect((await call(KEYS.operator, '/v1/things', 'POST')).statusCode).toBe(200);
    expect((await call(KEYS.operator, '/v1/things/b')).statusCode).toBe(200);
    const limited = await call(KEYS.operator, '/v1/things', 'POST');
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ statusCode: 429, code: 'PLT_RATE_LIMITED' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another identity of the same role has its own budget; public routes are never limited.
    expect((await call(KEYS.operator2)).statusCode).toBe(200);
    for (let i = 0; i < 10; i++) expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
  });

  it('gives a machine role (backoffice) machineMax', async () => {
    for (let i = 0; i < 5; i++) expect((await call(KEYS.backoffice)).statusCode).toBe(200);
    expect((await call(KEYS.backoffice)).statusCode).toBe(429);
    expect((await call(KEYS.backoffice2)).statusCode).toBe(200);
  });

  it('keeps a route’s own limit', async () => {
    expect((await call(KEYS.backoffice2, '/v1/scarce')).statusCode).toBe(200);
    const limited = await call(KEYS.backoffice2, '/v1/scarce');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('PLT_RATE_LIMITED');
  });

  it('does not count refused credentials against anyone (401 before the limit)', async () => {
    for (let i = 0; i < 10; i++) expect((await call('tck_unknown_key')).statusCode).toBe(401);
  });
});
