import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import type { AuditEvent } from '@twincontour/audit';
import { loadSigner } from '@twincontour/crypto';
import { normalizeEd } from '@twincontour/ufebs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findEdBytes } from './adapters/order-store.js';
import type { OrderView } from './domain/order-view.js';
import { auth, createFormationFixture, exampleOrder, type FormationFixture, TEST_KEYS } from './testing/fixture.js';

// Issue 6 (DESIGN.md, Audit log): formation records every ЗК it makes, in the order's own transaction,
// a failed check of its own ЗК on its own, and every refused request; security officers read the log.

let fx: FormationFixture;

beforeAll(async () => {
  fx = await createFormationFixture();
});
afterAll(async () => {
  await fx?.close();
});

function order(): Record<string, unknown> {
  return { ...exampleOrder('payment-order'), accDocNo: String(1 + Math.floor(Math.random() * 899_999)) };
}

async function post(app = fx.app, key = randomUUID(), body: unknown = order()) {
  return app.inject({
    method: 'POST',
    url: '/v1/payment-orders',
    headers: { ...auth(TEST_KEYS.backoffice), 'idempotency-key': key },
    payload: body as object,
  });
}

/** The chained events matching a query (everything recorded so far is chained first). */
async function events(query: Parameters<FormationFixture['audit']['query']>[0]): Promise<AuditEvent[]> {
  await fx.audit.flush();
  return (await fx.audit.query({ ...query, limit: 1000 })).events;
}

/** Facts of a certificate computed independently of the crypto package (node's X509Certificate). */
function certificateFacts(der: Uint8Array) {
  const x509 = new X509Certificate(der);
  return {
    serial: x509.serialNumber.toLowerCase().replace(/^0+(?=.)/, ''),
    thumbprint: createHash('sha256').update(der).digest('hex'),
  };
}

describe('the audit log of formation', () => {
  it('records the ЗК made for an order: its digest is SHA-256 of the normalized ED, its certificate formation’s', async () => {
    const key = randomUUID();
    const body = order();
    const res = await post(fx.app, key, body);
    expect(res.statusCode, res.body).toBe(201);
    const view = res.json() as OrderView;
    const ed = await findEdBytes(fx.db.pool, view.id);
    if (!ed) throw new Error('no ED stored');
    // What the ЗК signs: the ED normalized, its ЗК left out (NOTES.md; openssl verifies over the same bytes).
    const normalized = normalizeEd(ed);
    if (!normalized.ok) throw new Error(normalized.code);
    const digest = createHash('sha256').update(normalized.value).digest('hex');

    const recorded = await events({ orderId: view.id });
    expect(recorded).toHaveLength(1);
    const [made] = recorded;
    expect(made).toMatchObject({
      type: 'signature.made',
      contour: 'formation',
      service: 'formation',
      actor: 'service:formation',
      result: 'info',
      reason: null,
      orderId: view.id,
      messageId: `f2c-${view.id}`,
      ed: view.ed,
      digest,
      certificate: certificateFacts(fx.signer.certificate),
      details: { signature: 'ЗК', selfCheck: 'pass' },
    });
    expect(made?.certificate?.issuer).toMatch(/CN=/);
    // The time of the signature: the stage signed-by-formation carries the same instant.
    const signed = view.stages.find((s) => s.stage === 'signed-by-formation');
    expect(made?.at).toBe(signed?.at);

    // A replay of the same request signs nothing again, and so records nothing.
    const again = await post(fx.app, key, body);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await events({ orderId: view.id })).toHaveLength(1);
  });

  it('records a failed check of its own ЗК on its own, and nothing of the refused order', async () => {
    // Signed with the control key, the ЗК fails formation's own check (SIG_WRONG_CONTOUR): the order's
    // transaction rolls back, the failed check is recorded alone.
    const control = await loadSigner('control', { pkiDir: fx.pkiDir });
    if (!control.ok) throw new Error(control.code);
    const app = await fx.build({ signer: control.value });
    const before = await events({ type: 'signature.made' });
    const res = await post(app);
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('FRM_SIGNATURE_FAILED');

    const failed = (await events({ type: 'signature.checked', result: 'fail' })).at(-1);
    expect(failed).toMatchObject({
      actor: 'service:formation',
      reason: 'SIG_WRONG_CONTOUR',
      orderId: null,
      certificate: certificateFacts(control.value.certificate),
      details: { signature: 'ЗК', expectedContour: 'formation', selfCheck: true, requestedBy: 'bo-1' },
    });
    expect(failed?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(await events({ type: 'signature.made' })).toHaveLength(before.length);
  });

  it.each([
    ['no credential', {}, 401, 'AUTH_REQUIRED', 'anonymous'],
    ['an unknown key', auth('tck_not_a_key_of_anyone_0000'), 401, 'AUTH_INVALID', 'anonymous'],
    ['a control identity', auth(TEST_KEYS.controlBackoffice), 403, 'AUTH_WRONG_CONTOUR', 'cbo-1'],
    ['a role the route does not allow', auth(TEST_KEYS.ops), 403, 'AUTH_FORBIDDEN', 'ops-1'],
  ])(
    'records a refused request with %s as auth.failed, never with the key',
    async (_name, headers, status, code, actor) => {
      const res = await fx.app.inject({
        method: 'POST',
        url: '/v1/payment-orders',
        headers: { ...headers, 'idempotency-key': randomUUID() },
        payload: order(),
      });
      expect(res.statusCode).toBe(status);
      expect(res.json().code).toBe(code);
      const refused = (await events({ type: 'auth.failed' })).at(-1);
      expect(refused).toMatchObject({
        contour: 'formation',
        actor,
        result: 'fail',
        reason: code,
        details: { method: 'POST', path: '/v1/payment-orders', route: '/v1/payment-orders' },
      });
      const presented = (headers as { authorization?: string }).authorization?.replace('ApiKey ', '');
      if (presented) expect(JSON.stringify(refused)).not.toContain(presented);
    },
  );

  it('serves the log to security officers only, and the chain and checkpoints verify', async () => {
    const officer = await fx.app.inject({
      method: 'GET',
      url: '/v1/audit/events?type=signature.made',
      headers: auth(TEST_KEYS.security),
    });
    expect(officer.statusCode).toBe(200);
    const listed = officer.json() as { events: AuditEvent[] };
    expect(listed.events.length).toBeGreaterThan(0);
    expect(listed.events.every((e) => e.type === 'signature.made')).toBe(true);

    const ops = await fx.app.inject({ method: 'GET', url: '/v1/audit/events', headers: auth(TEST_KEYS.ops) });
    expect(ops.statusCode).toBe(403);
    expect((await events({ type: 'auth.failed' })).at(-1)).toMatchObject({
      actor: 'ops-1',
      reason: 'AUTH_FORBIDDEN',
      details: { route: '/v1/audit/events' },
    });

    expect(await fx.audit.checkpoint()).toBeDefined();
    const verified = await fx.audit.verify();
    expect(verified.problems).toEqual([]);
    expect(verified.ok).toBe(true);
    expect(verified.events).toBeGreaterThanOrEqual(7);
  });
});
