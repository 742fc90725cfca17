import { ORDER_STAGES } from '@twincontour/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, createFormationFixture, type FormationFixture, TEST_KEYS } from '../../testing/fixture.js';
import { MAX_SUBSCRIPTIONS_PER_IDENTITY } from './index.js';

let fx: FormationFixture;
const bo = auth(TEST_KEYS.backoffice);
const bo2 = auth(TEST_KEYS.backoffice2);

beforeAll(async () => {
  fx = await createFormationFixture();
});
afterAll(async () => {
  await fx?.close();
});

async function subscribe(headers: Record<string, string>, payload: Record<string, unknown>) {
  return fx.app.inject({ method: 'POST', url: '/v1/webhooks', headers, payload });
}

async function list(headers: Record<string, string>) {
  return fx.app.inject({ method: 'GET', url: '/v1/webhooks', headers });
}

describe('POST /v1/webhooks', () => {
  it('answers 201 with the secret once; every stage by default; the secret is stored sealed', async () => {
    const res = await subscribe(bo, { url: 'https://abs.bank.example/hooks', description: 'АБС, статусы' });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json();
    expect(Object.keys(created).sort()).toEqual(['createdAt', 'description', 'id', 'secret', 'stages', 'url']);
    expect(created.url).toBe('https://abs.bank.example/hooks');
    expect(created.stages).toEqual([...ORDER_STAGES]);
    expect(created.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(created.secret, 'base64url')).toHaveLength(32);

    const row = await fx.db.pool.query<{ secret_enc: Buffer; owner_id: string }>(
      'select secret_enc, owner_id from webhook_subscriptions where id = $1',
      [created.id],
    );
    expect(row.rows[0]?.owner_id).toBe('bo-1');
    const sealed = row.rows[0]?.secret_enc ?? Buffer.alloc(0);
    expect(sealed.length).toBe(12 + 43 + 16);
    expect(sealed.includes(Buffer.from(created.secret))).toBe(false);
    expect(sealed.includes(Buffer.from(created.secret, 'base64url'))).toBe(false);

    const again = await list(bo);
    expect(again.body).not.toContain(created.secret);
    expect(again.json().items).toContainEqual({
      id: created.id,
      url: created.url,
      stages: created.stages,
      description: 'АБС, статусы',
      createdAt: created.createdAt,
    });
    expect(fx.logLines.join('\n')).not.toContain(created.secret);
  });

  it('keeps a stage filter, in ORDER_STAGES order', async () => {
    const res = await subscribe(bo, { url: 'http://127.0.0.1:1/x', stages: ['rejected-by-control', 'accepted'] });
    expect(res.statusCode).toBe(201);
    expect(res.json().stages).toEqual(['accepted', 'rejected-by-control']);
  });

  it.each([
    ['an ftp URL', { url: 'ftp://abs.bank.example/x' }, 422, 'FRM_WEBHOOK_URL_INVALID'],
    ['a relative URL', { url: '/hooks' }, 422, 'FRM_WEBHOOK_URL_INVALID'],
    ['a URL with credentials', { url: 'https://u:p@abs.bank.example/x' }, 422, 'FRM_WEBHOOK_URL_INVALID'],
    ['a URL over 2048 characters', { url: `https://a.example/${'x'.repeat(2048)}` }, 400, 'PLT_VALIDATION'],
    ['no URL', { stages: ['accepted'] }, 400, 'PLT_VALIDATION'],
    ['an unknown stage', { url: 'https://a.example/', stages: ['paid'] }, 400, 'PLT_VALIDATION'],
    ['an empty stage list', { url: 'https://a.example/', stages: [] }, 400, 'PLT_VALIDATION'],
    ['a repeated stage', { url: 'https://a.example/', stages: ['sent', 'sent'] }, 400, 'PLT_VALIDATION'],
    ['an unknown field', { url: 'https://a.example/', secret: 'mine' }, 400, 'PLT_VALIDATION'],
  ])('refuses %s', async (_name, payload, status, code) => {
    const before = await fx.db.pool.query('select count(*)::int as n from webhook_subscriptions');
    const res = await subscribe(bo, payload);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().code).toBe(code);
    const after = await fx.db.pool.query('select count(*)::int as n from webhook_subscriptions');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });
});

describe('subscriptions belong to the identity that made them', () => {
  it('another back-office identity neither lists nor deletes them; the owner does', async () => {
    const created = (await subscribe(bo, { url: 'https://abs.bank.example/mine' })).json();
    const others = await list(bo2);
    expect(others.statusCode).toBe(200);
    expect(others.json().items.map((s: { id: string }) => s.id)).not.toContain(created.id);

    const stolen = await fx.app.inject({ method: 'DELETE', url: `/v1/webhooks/${created.id}`, headers: bo2 });
    expect(stolen.statusCode).toBe(404);
    expect(stolen.json().code).toBe('FRM_WEBHOOK_NOT_FOUND');
    expect((await list(bo)).json().items.map((s: { id: string }) => s.id)).toContain(created.id);

    const removed = await fx.app.inject({ method: 'DELETE', url: `/v1/webhooks/${created.id}`, headers: bo });
    expect(removed.statusCode).toBe(204);
    expect(removed.body).toBe('');
    expect((await list(bo)).json().items.map((s: { id: string }) => s.id)).not.toContain(created.id);
    const twice = await fx.app.inject({ method: 'DELETE', url: `/v1/webhooks/${created.id}`, headers: bo });
    expect(twice.statusCode).toBe(404);
  });

  it(`allows ${MAX_SUBSCRIPTIONS_PER_IDENTITY} per identity, then 409 FRM_WEBHOOK_LIMIT`, async () => {
    const mine = (await list(bo2)).json().items.length;
    const made = await Promise.all(
      Array.from({ length: MAX_SUBSCRIPTIONS_PER_IDENTITY - mine + 2 }, (_, i) =>
        subscribe(bo2, { url: `https://abs.bank.example/limit/${i}` }),
      ),
    );
    expect(made.filter((r) => r.statusCode === 201)).toHaveLength(MAX_SUBSCRIPTIONS_PER_IDENTITY - mine);
    const refused = made.filter((r) => r.statusCode !== 201);
    expect(refused.map((r) => [r.statusCode, r.json().code])).toEqual([
      [409, 'FRM_WEBHOOK_LIMIT'],
      [409, 'FRM_WEBHOOK_LIMIT'],
    ]);
    expect((await list(bo2)).json().items).toHaveLength(MAX_SUBSCRIPTIONS_PER_IDENTITY);
    // Another identity's count is its own.
    expect((await subscribe(bo, { url: 'https://abs.bank.example/still-fine' })).statusCode).toBe(201);
  });
});

describe('authentication and roles of /v1/webhooks', () => {
  const routes = [
    ['POST', '/v1/webhooks'],
    ['GET', '/v1/webhooks'],
    ['DELETE', '/v1/webhooks/00000000-0000-4000-8000-000000000000'],
  ] as const;
  const callers = [
    ['no key', undefined, 401, 'AUTH_REQUIRED'],
    ['an unknown key', 'tck_nobody', 401, 'AUTH_INVALID'],
    ['a formation operator', TEST_KEYS.operator, 403, 'AUTH_FORBIDDEN'],
    ['a security officer', TEST_KEYS.security, 403, 'AUTH_FORBIDDEN'],
    ['ops', TEST_KEYS.ops, 403, 'AUTH_FORBIDDEN'],
    ['a control-contour back office', TEST_KEYS.controlBackoffice, 403, 'AUTH_WRONG_CONTOUR'],
  ] as const;
  const table = routes.flatMap(([method, url]) =>
    callers.map(([who, key, status, code]) => [`${method} by ${who}`, method, url, key, status, code] as const),
  );

  it.each(table)('%s → %i %s', async (_name, method, url, key, status, code) => {
    const res = await fx.app.inject({
      method,
      url,
      headers: key === undefined ? {} : auth(key),
      ...(method === 'POST' ? { payload: { url: 'https://abs.bank.example/x' } } : {}),
    });
    expect(res.statusCode).toBe(status);
    expect(res.json().code).toBe(code);
  });

  it('documents the routes with their roles in /openapi.json', async () => {
    const doc = (await fx.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.paths['/v1/webhooks'].post['x-roles']).toEqual(['backoffice']);
    expect(doc.paths['/v1/webhooks'].get['x-roles']).toEqual(['backoffice']);
    expect(doc.paths['/v1/webhooks/{id}'].delete['x-roles']).toEqual(['backoffice']);
  });
});
