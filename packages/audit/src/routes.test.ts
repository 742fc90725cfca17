import { buildServiceApp, createIdentityRegistry, hashApiKey, type Role, seriesValue } from '@twincontour/platform';
import type { FastifyInstance } from 'fastify';
import type { Counter } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyExport } from './export.js';
import { registerAuditRoutes } from './routes.js';
import { createTestAuditLog, type TestAuditLog } from './testing.js';
import type { AuditEvent } from './types.js';

const KEYS: Record<string, { role: Role; contour: string }> = {
  tck_test_security: { role: 'security-officer', contour: 'formation' },
  tck_test_ops: { role: 'ops', contour: 'formation' },
  tck_test_backoffice: { role: 'backoffice', contour: 'formation' },
  tck_test_control_security: { role: 'security-officer', contour: 'control' },
};
const as = (key: string) => ({ authorization: `ApiKey ${key}` });
const SECURITY = as('tck_test_security');

let t: TestAuditLog;
let app: FastifyInstance;

beforeAll(async () => {
  t = await createTestAuditLog({ contour: 'formation' });
  const registry = createIdentityRegistry(
    Object.entries(KEYS).map(([key, v], i) => ({ id: `id-${i}-${v.role}`, ...v, keySha256: hashApiKey(key) })),
  );
  if (!registry.ok) throw new Error('registry');
  app = await buildServiceApp({
    service: 'formation',
    logger: t.logger,
    auth: { contour: 'formation', registry: registry.value },
    metrics: { defaultMetrics: false },
  });
  registerAuditRoutes(app, { audit: t.audit, checkpointIntervalMs: 60_000 });
  await app.ready();
  const types = ['signature.made', 'signature.checked', 'control.decision'] as const;
  for (let i = 1; i <= 57; i++) {
    await t.audit.record({
      type: types[i % 3]!,
      actor: 'service:formation',
      result: i % 5 === 0 ? 'fail' : 'pass',
      orderId: `order-${i % 7}`,
      messageId: `m-${i}`,
      certificate: { serial: `${i % 2 ? '1a' : '2b'}`, issuer: 'CN=CA', thumbprint: (i % 2 ? 'aa' : 'bb').repeat(32) },
      at: new Date(Date.UTC(2026, 11, 1, 0, i)),
    });
  }
  await t.audit.flush();
  await t.audit.checkpoint();
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

describe('who may read the audit log', () => {
  it.each([
    ['GET', '/v1/audit/events'],
    ['GET', '/v1/audit/export'],
    ['POST', '/v1/audit/verify'],
  ] as const)('%s %s: 401 without a credential, 403 for other roles and contours', async (method, url) => {
    const none = await app.inject({ method, url });
    expect([none.statusCode, none.json().code]).toEqual([401, 'AUTH_REQUIRED']);
    for (const key of ['tck_test_ops', 'tck_test_backoffice']) {
      const r = await app.inject({ method, url, headers: as(key) });
      expect([r.statusCode, r.json().code]).toEqual([403, 'AUTH_FORBIDDEN']);
    }
    const other = await app.inject({ method, url, headers: as('tck_test_control_security') });
    expect([other.statusCode, other.json().code]).toEqual([403, 'AUTH_WRONG_CONTOUR']);
  });
});

describe('GET /v1/audit/events', () => {
  it('pages through every event exactly once, in chain order', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await app.inject({
        url: '/v1/audit/events',
        query: { limit: '10', ...(cursor ? { cursor } : {}) },
        headers: SECURITY,
      });
      expect(r.statusCode).toBe(200);
      const body = r.json() as { events: AuditEvent[]; nextCursor?: string };
      seen.push(...body.events.map((e) => e.seq));
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 57 }, (_, i) => String(i + 1)));
    expect(pages).toBe(6);
  });

  it('filters by time range, type, order, message, certificate and result', async () => {
    const get = async (query: Record<string, string>) => {
      const r = await app.inject({ url: '/v1/audit/events', query: { limit: '1000', ...query }, headers: SECURITY });
      expect(r.statusCode, r.body).toBe(200);
      return (r.json() as { events: AuditEvent[] }).events;
    };
    const range = await get({ from: '2026-12-01T00:10:00Z', to: '2026-12-01T00:20:00Z' });
    expect(range.map((e) => e.messageId)).toEqual(Array.from({ length: 10 }, (_, i) => `m-${i + 10}`));
    expect((await get({ type: 'control.decision' })).every((e) => e.type === 'control.decision')).toBe(true);
    expect((await get({ orderId: 'order-3' })).map((e) => e.messageId)).toEqual([
      'm-3',
      'm-10',
      'm-17',
      'm-24',
      'm-31',
      'm-38',
      'm-45',
      'm-52',
    ]);
    expect((await get({ messageId: 'm-42' })).map((e) => e.seq)).toEqual(['42']);
    expect(await get({ certificate: `${'AA:'.repeat(31)}AA` })).toHaveLength(29);
    expect(await get({ certificate: '2b' })).toHaveLength(28);
    const failed = await get({ result: 'fail' });
    expect(failed).toHaveLength(11);
    expect(failed[0]).toMatchObject({ result: 'fail', details: null, ed: null, reason: null });
  });

  it.each([
    [{ cursor: 'not-a-cursor' }, 'AUDIT_BAD_CURSOR'],
    [{ cursor: Buffer.from('v1:abc').toString('base64url') }, 'AUDIT_BAD_CURSOR'],
    [{ from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' }, 'AUDIT_BAD_RANGE'],
    [{ from: '2026-12-31T23:59:60Z' }, 'PLT_VALIDATION'],
    [{ orderId: 'a\u0000b' }, 'PLT_VALIDATION'],
    [{ limit: '1001' }, 'PLT_VALIDATION'],
    [{ type: 'no.such' }, 'PLT_VALIDATION'],
    [{ from: 'yesterday' }, 'PLT_VALIDATION'],
    [{ unknown: 'x' }, 'PLT_VALIDATION'],
  ])('refuses bad filters with a stable code: %j', async (query, code) => {
    const r = await app.inject({ url: '/v1/audit/events', query, headers: SECURITY });
    expect([r.statusCode, r.json().code]).toEqual([400, code]);
  });
});

describe('GET /v1/audit/export', () => {
  it('streams an NDJSON export that verifies offline', async () => {
    const r = await app.inject({ url: '/v1/audit/export', headers: SECURITY });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(r.headers['content-disposition']).toMatch(/^attachment; filename="audit-formation-.*\.ndjson"$/);
    const verdict = await verifyExport(r.body, t.trustStore, { contour: 'formation' });
    expect(verdict).toMatchObject({ ok: true, events: 57, checkpoints: 1 });
  });

  it('exports CSV with the same filters, and refuses a bad range before streaming', async () => {
    const r = await app.inject({
      url: '/v1/audit/export',
      query: { format: 'csv', orderId: 'order-3' },
      headers: SECURITY,
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/csv/);
    expect(r.body.split('\r\n').filter(Boolean)).toHaveLength(9);
    const bad = await app.inject({
      url: '/v1/audit/export',
      query: { from: '2026-12-02T00:00:00Z', to: '2026-12-02T00:00:00Z' },
      headers: SECURITY,
    });
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'AUDIT_BAD_RANGE']);
  });
});

describe('POST /v1/audit/verify', () => {
  it('answers the verification, records it, and counts failures', async () => {
    const counter = app.metricsRegistry.getSingleMetric('twincontour_audit_verification_failures_total') as Counter;
    const ok = await app.inject({ method: 'POST', url: '/v1/audit/verify', headers: SECURITY });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ ok: true, contour: 'formation', events: 57, checkpoints: 1, problems: [] });
    expect(await seriesValue(counter, { contour: 'formation' })).toBe(0);
    await t.audit.flush();
    const recorded = await t.audit.query({ type: 'audit.verified' });
    expect(recorded.events).toEqual([
      expect.objectContaining({
        actor: 'id-0-security-officer',
        result: 'pass',
        details: expect.objectContaining({ events: 57 }),
      }),
    ]);

    const client = await t.pool.connect();
    try {
      await client.query('set session_replication_role = replica');
      await client.query(`update audit_events set actor = 'nobody' where seq = 30`);
    } finally {
      await client.query('reset session_replication_role');
      client.release();
    }
    const bad = await app.inject({ method: 'POST', url: '/v1/audit/verify', headers: SECURITY });
    expect(bad.json()).toMatchObject({ ok: false, firstBroken: { code: 'AUDIT_HASH_MISMATCH', seq: '30' } });
    expect(await seriesValue(counter, { contour: 'formation' })).toBe(1);
    const metrics = await app.inject({ url: '/metrics', headers: as('tck_test_ops') });
    expect(metrics.body).toContain('twincontour_audit_verification_failures_total{contour="formation"');
    expect(metrics.body).toMatch(/twincontour_audit_inbox_backlog\{contour="formation",service="formation"\} 1/);
  });

  it('documents every route in the OpenAPI document with its role and error bodies', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    for (const [path, method] of [
      ['/v1/audit/events', 'get'],
      ['/v1/audit/export', 'get'],
      ['/v1/audit/verify', 'post'],
    ] as const) {
      const op = doc.paths[path][method];
      expect(op['x-roles']).toEqual(['security-officer']);
      expect(op.responses['403']).toBeDefined();
    }
  });
});
