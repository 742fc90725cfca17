import { withTransaction } from '@twincontour/platform';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAuditLog, type TestAuditLog } from './testing.js';
import type { AuditEventInput } from './types.js';

let t: TestAuditLog;

beforeAll(async () => {
  t = await createTestAuditLog({ contour: 'formation' });
});
afterAll(async () => {
  await t?.close();
});

const event = (n: number, extra: Partial<AuditEventInput> = {}): AuditEventInput => ({
  type: 'signature.made',
  actor: 'service:formation',
  result: 'info',
  orderId: `order-${n}`,
  messageId: `msg-${n}`,
  ed: { edNo: String(n), edDate: '2026-12-02', edAuthor: '4525545000' },
  digest: 'ab'.repeat(32),
  certificate: { serial: '1f', issuer: 'CN=TwinContour Development Root CA', thumbprint: 'cd'.repeat(32) },
  details: { sigId: '01', n },
  ...extra,
});

describe('createAuditLog', () => {
  it('chains recorded events in order with gap-free seq, and verify passes', async () => {
    for (let i = 1; i <= 5; i++) await t.audit.record(event(i));
    await t.audit.flush();
    const { events } = await t.audit.query({});
    expect(events.map((e) => e.seq)).toEqual(['1', '2', '3', '4', '5']);
    expect(events[0]?.prevHash).toBe('0'.repeat(64));
    expect(events[1]?.prevHash).toBe(events[0]?.hash);
    expect(events[2]).toMatchObject({
      contour: 'formation',
      service: 'formation',
      type: 'signature.made',
      orderId: 'order-3',
      ed: { edNo: '3', edDate: '2026-12-02', edAuthor: '4525545000' },
      certificate: { serial: '1f' },
      details: { sigId: '01', n: 3 },
      reason: null,
    });
    const checkpoint = await t.audit.checkpoint();
    expect(checkpoint).toMatchObject({ no: '1', seq: '5', headHash: events[4]?.hash, contour: 'formation' });
    expect(await t.audit.checkpoint()).toBeUndefined();
    const verdict = await t.audit.verify();
    expect(verdict).toEqual({ ok: true, contour: 'formation', events: 5, checkpoints: 1, problems: [] });
  });

  it('keeps events recorded in a rolled-back transaction out of the chain, and those committed in', async () => {
    await expect(
      withTransaction(t.pool, async (client) => {
        await t.audit.record(event(100, { orderId: 'rolled-back' }), client);
        throw new Error('business failure');
      }),
    ).rejects.toThrow('business failure');
    await withTransaction(t.pool, async (client) => {
      await t.audit.record(event(101, { orderId: 'committed' }), client);
    });
    await t.audit.flush();
    expect((await t.audit.query({ orderId: 'rolled-back' })).events).toEqual([]);
    expect((await t.audit.query({ orderId: 'committed' })).events).toHaveLength(1);
  });

  it('stores any JSON details so that the hash still holds after the database round trip', async () => {
    const awkward = JSON.parse(
      '{"big":1152921504606846976,"tiny":5e-324,"sum":0.30000000000000004,"exp":1e21,"text":"я😀\\n\\t","__proto__":"own key","nested":{"b":1,"a":[{},[],null]}}',
    );
    await t.audit.record(event(200, { details: awkward }));
    const samples = fc.sample(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })), { numRuns: 150, seed: 6 });
    let stored = 0;
    for (const details of samples) {
      try {
        await t.audit.record(event(201, { details, actor: Object.keys(details)[0] ?? 'x' }));
        stored++;
      } catch (error) {
        // Only what PostgreSQL would change (NUL, lone surrogates) is refused.
        expect(error).toMatchObject({ code: 'AUDIT_EVENT_INVALID' });
      }
    }
    expect(stored).toBeGreaterThan(100);
    await t.audit.flush();
    const verdict = await t.audit.verify();
    expect(verdict.problems).toEqual([]);
    const [back] = (await t.audit.query({ orderId: 'order-200' })).events;
    expect(back?.details).toEqual(awkward);
  });

  it('refuses unusable filters with stable codes', async () => {
    await expect(t.audit.query({ from: new Date(Number.NaN) })).rejects.toMatchObject({ code: 'AUDIT_BAD_TIME' });
    const at = new Date();
    await expect(t.audit.query({ from: at, to: at })).rejects.toMatchObject({
      code: 'AUDIT_BAD_RANGE',
      statusCode: 400,
    });
    await expect(t.audit.query({ cursor: 'djE6MA' })).rejects.toMatchObject({ code: 'AUDIT_BAD_CURSOR' });
  });

  it('refuses events the database would change (AUDIT_EVENT_INVALID)', async () => {
    for (const bad of [
      event(1, { actor: 'a\u0000b' }),
      event(1, { details: { text: '\ud800' } }),
      event(1, { type: 'no.such' as never }),
      event(1, { at: new Date(Number.NaN) }),
      event(1, { details: { big: 'x'.repeat(20_000) } }),
    ]) {
      await expect(t.audit.record(bad)).rejects.toMatchObject({ code: 'AUDIT_EVENT_INVALID' });
    }
  });
});
