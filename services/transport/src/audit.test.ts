import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import type { AuditEvent } from '@twincontour/audit';
import { loadTrustStore, readZks, verifyEnvelope } from '@twincontour/crypto';
import { normalizeEd } from '@twincontour/ufebs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryAdapter, loadTransportKeys } from './adapters/delivery/index.js';
import { parseTransportConfig } from './config.js';
import {
  answerEnvelope,
  controlPayload,
  createHarness,
  exampleOrder,
  type Harness,
  startPeer,
  type TestPeer,
  waitFor,
} from './testing.js';

// Issue 6 (DESIGN.md, Audit log): transport records its checks of control's КА and both ЗК, each refusal
// or delivery, the checks of the Bank of Russia's signatures and each answer, and refused requests.

let h: Harness;
let peer: TestPeer;
let edCounter = 7000;
let answerCounter = 700;
const nextEdNo = () => String(edCounter++);
const nextAnswerNo = () => String(answerCounter++);

beforeAll(async () => {
  h = await createHarness(async (pki, pool) => {
    peer = await startPeer(pki);
    const config = parseTransportConfig({
      TWINCONTOUR_DATABASE_URL: 'postgres://transport@127.0.0.1/transport',
      TWINCONTOUR_C2T_REDIS_URL: 'redis://127.0.0.1:6379',
      TWINCONTOUR_PKI_DIR: pki,
      TWINCONTOUR_PEER_URL: peer.url,
      TWINCONTOUR_PEER_TIMEOUT_MS: '5000',
    });
    if (!config.ok) throw new Error(JSON.stringify(config.errors));
    const keys = await loadTransportKeys(config.value);
    if (!keys.ok) throw new Error(keys.message);
    const trust = await loadTrustStore(pki);
    if (!trust.ok) throw new Error(trust.code);
    const adapter = await createDeliveryAdapter(config.value, { pool, keys: keys.value, validator: trust.value });
    trust.value.close();
    if (!adapter.ok) throw new Error(adapter.message);
    return adapter.value;
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
  await peer?.close();
});

/** The chained events of an order, in chain order. */
async function trail(orderId: string): Promise<AuditEvent[]> {
  await h.audit.flush();
  return (await h.audit.query({ orderId, limit: 1000 })).events;
}

/** The last chained events of a type. */
async function latest(type: AuditEvent['type'], count = 1): Promise<AuditEvent[]> {
  await h.audit.flush();
  return (await h.audit.query({ type, limit: 1000 })).events.slice(-count);
}

/** Facts of a certificate computed independently of the crypto package (node's X509Certificate). */
function certificateFacts(der: Uint8Array) {
  return {
    serial: new X509Certificate(der).serialNumber.toLowerCase().replace(/^0+(?=.)/, ''),
    thumbprint: createHash('sha256').update(der).digest('hex'),
  };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** SHA-256 of what a ЗК signs: the ED normalized, its ЗК left out. */
function zkDigest(ed: Uint8Array): string {
  const normalized = normalizeEd(ed);
  if (!normalized.ok) throw new Error(normalized.code);
  return sha256(normalized.value);
}

const summary = (events: AuditEvent[]) =>
  events.map((e) => [e.type, e.result, e.reason, (e.details as { signature?: string } | null)?.signature ?? null]);

describe('the audit log of transport', () => {
  it('records the checks of the КА and both ЗК, the delivery, and each answer with the checks of its signatures', async () => {
    const orderId = `audit-${randomUUID()}`;
    const { payload, envelope, edFile } = await controlPayload(exampleOrder(), {
      orderId,
      edNo: nextEdNo(),
      zkSigners: [h.signers.formation, h.signers.control],
      kaSigner: h.signers.control,
    });
    await h.sendC2t(payload, payload.messageId);
    await waitFor(() => h.t2c(orderId, 'sent'), 15_000, 'sent');
    await peer.pushAnswer(
      await answerEnvelope(
        { kind: 'ED201', edNo: nextAnswerNo(), refersTo: payload.ed, ctrlCode: '0000', annotation: 'ЭС принято' },
        h.signers.cbr,
      ),
    );
    await waitFor(() => h.t2c(orderId, 'accepted-by-cbr'), 15_000, 'accepted-by-cbr');
    await peer.pushAnswer(
      await answerEnvelope(
        {
          kind: 'ED206',
          edNo: nextAnswerNo(),
          refersTo: payload.ed,
          sum: '12500000',
          accDoc: { accDocNo: '1482', accDocDate: '2025-04-15' },
        },
        h.signers.cbr,
      ),
    );
    await waitFor(() => h.t2c(orderId, 'executed'), 15_000, 'executed');

    const events = await trail(orderId);
    expect(summary(events)).toEqual([
      ['signature.checked', 'pass', null, 'КА'],
      ['signature.checked', 'pass', null, 'ЗК'],
      ['signature.checked', 'pass', null, 'ЗК'],
      ['message.delivered', 'info', null, null],
      ['signature.checked', 'pass', null, 'КА'],
      ['signature.checked', 'pass', null, 'ЗК'],
      ['answer.received', 'pass', null, null],
      ['signature.checked', 'pass', null, 'КА'],
      ['signature.checked', 'pass', null, 'ЗК'],
      ['answer.received', 'pass', null, null],
    ]);
    const [ka, zkFormation, zkControl, delivery, answerKa, answerZk, ed201, , , ed206] = events;
    const subject = { contour: 'transport', actor: 'service:transport', orderId, messageId: payload.messageId };
    expect(ka).toMatchObject({
      ...subject,
      ed: payload.ed,
      digest: sha256(edFile),
      certificate: certificateFacts(h.signers.control.certificate),
      details: { expectedContour: 'control', contour: 'control' },
    });
    expect(zkFormation).toMatchObject({
      ...subject,
      digest: zkDigest(edFile),
      certificate: certificateFacts(h.signers.formation.certificate),
      details: { index: 0, expectedContour: 'formation', contour: 'formation' },
    });
    expect(zkControl).toMatchObject({
      ...subject,
      digest: zkDigest(edFile),
      certificate: certificateFacts(h.signers.control.certificate),
      details: { index: 1, expectedContour: 'control', contour: 'control' },
    });
    expect(delivery).toMatchObject({
      ...subject,
      ed: payload.ed,
      digest: sha256(envelope),
      details: {
        channel: 'simulator',
        reference: expect.any(String),
        wireSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    });
    // The Bank of Russia's signatures: the cbr certificate, over the answer file.
    for (const check of [answerKa, answerZk]) {
      expect(check).toMatchObject({
        orderId,
        certificate: certificateFacts(h.signers.cbr.certificate),
        details: { expectedContour: 'cbr', contour: 'cbr' },
      });
    }
    expect(ed201).toMatchObject({
      orderId,
      ed: { edAuthor: '4583001999' },
      details: { kind: 'ED201', ctrlCode: '0000', stage: 'accepted-by-cbr', refersTo: payload.ed },
    });
    expect(ed201?.digest).toBe(answerKa?.digest);
    expect(ed206).toMatchObject({ orderId, details: { kind: 'ED206', stage: 'executed', refersTo: payload.ed } });
    // The checks come before what they allowed, in time as in the chain.
    const times = events.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it.each([
    [
      'a КА made by formation',
      { zk: ['formation', 'control'] as const, ka: 'formation' as const },
      'TRN_KA_INVALID',
      [['signature.checked', 'fail', 'SIG_WRONG_CONTOUR', 'КА']],
    ],
    [
      'an ED without control’s ЗК',
      { zk: ['formation'] as const, ka: 'control' as const },
      'TRN_ZK_INVALID',
      [
        ['signature.checked', 'pass', null, 'КА'],
        ['signature.checked', 'pass', null, 'ЗК'],
        ['signature.checked', 'fail', 'SIG_MISSING_CONTOUR', 'ЗК'],
      ],
    ],
  ])(
    'records a refused hand-over (%s): the checks, the failed one with its SIG_* code, and message.refused',
    async (_name, spec, code, checks) => {
      const orderId = `audit-bad-${randomUUID()}`;
      const { payload } = await controlPayload(exampleOrder(), {
        orderId,
        edNo: nextEdNo(),
        zkSigners: spec.zk.map((c) => h.signers[c]),
        kaSigner: h.signers[spec.ka],
      });
      await h.sendC2t(payload, payload.messageId);
      await waitFor(() => h.t2c(orderId, 'rejected-by-transport'), 10_000, 'refusal');
      const events = await trail(orderId);
      const sigCode = checks.at(-1)?.[2];
      expect(summary(events)).toEqual([...checks, ['message.refused', 'fail', code, null]]);
      expect(events.at(-1)?.details).toMatchObject({ channel: 'simulator', sigCode });
      expect(events[0]?.certificate).toEqual(expect.objectContaining(certificateFacts(h.signers[spec.ka].certificate)));
    },
  );

  it('records each ЗК a tampered ED fails with SIG_DIGEST_MISMATCH, over the digest of the ED as received', async () => {
    const orderId = `audit-tamper-${randomUUID()}`;
    const { payload, edFile } = await controlPayload(exampleOrder(), {
      orderId,
      edNo: nextEdNo(),
      zkSigners: [h.signers.formation, h.signers.control],
      kaSigner: h.signers.control,
      tamper: (file) => Buffer.from(file.toString('latin1').replace('Sum="12500000"', 'Sum="92500000"'), 'latin1'),
    });
    await h.sendC2t(payload, payload.messageId);
    await waitFor(() => h.t2c(orderId, 'rejected-by-transport'), 10_000, 'refusal');
    const events = await trail(orderId);
    expect(summary(events)).toEqual([
      ['signature.checked', 'pass', null, 'КА'],
      ['signature.checked', 'fail', 'SIG_DIGEST_MISMATCH', 'ЗК'],
      ['signature.checked', 'fail', 'SIG_DIGEST_MISMATCH', 'ЗК'],
      ['message.refused', 'fail', 'TRN_ZK_INVALID', null],
    ]);
    const zks = readZks(edFile);
    expect(zks.ok && zks.value.length).toBe(2);
    expect(events[1]?.digest).toBe(zkDigest(edFile));
  });

  it('records a refused answer on its own: the failed check and answer.received fail, no state', async () => {
    const orderId = `audit-forged-${randomUUID()}`;
    const { payload } = await controlPayload(exampleOrder(), {
      orderId,
      edNo: nextEdNo(),
      zkSigners: [h.signers.formation, h.signers.control],
      kaSigner: h.signers.control,
    });
    await h.sendC2t(payload, payload.messageId);
    await waitFor(() => h.t2c(orderId, 'sent'), 15_000, 'sent');
    const forged = await answerEnvelope(
      { kind: 'ED201', edNo: nextAnswerNo(), refersTo: payload.ed, ctrlCode: '0000', annotation: 'ЭС принято' },
      h.signers.control,
    );
    await peer.pushAnswer(forged);
    const [received] = await waitFor(async () => {
      const found = await latest('answer.received');
      return found[0]?.result === 'fail' ? found : undefined;
    });
    expect(received).toMatchObject({
      actor: 'service:transport',
      orderId: null,
      reason: 'TRN_ANSWER_SIGNATURE_INVALID',
      details: { sigCode: 'SIG_WRONG_CONTOUR' },
    });
    const [check] = (await latest('signature.checked', 10)).filter((e) => e.result === 'fail').slice(-1);
    expect(check).toMatchObject({
      reason: 'SIG_WRONG_CONTOUR',
      certificate: certificateFacts(h.signers.control.certificate),
      details: { signature: 'КА', expectedContour: 'cbr' },
    });
    // The КА check's digest is SHA-256 of the file the forged envelope carries.
    const opened = await verifyEnvelope(forged);
    expect(opened.ok && sha256(opened.file)).toBe(check?.digest);
    expect(summary(await trail(orderId)).map((s) => s[0])).not.toContain('answer.received');
  });

  it('records refused requests as auth.failed (never the key), serves the log to security officers only, and verifies', async () => {
    const noKey = await h.app.inject({ url: '/v1/messages/some-order' });
    expect(noKey.statusCode).toBe(401);
    const fromControl = await h.app.inject({
      url: '/v1/audit/events',
      headers: { 'x-api-key': h.keys.controlOps.key },
    });
    expect(fromControl.statusCode).toBe(403);
    const ops = await h.app.inject({ url: '/v1/audit/events', headers: { 'x-api-key': h.keys.ops.key } });
    expect(ops.statusCode).toBe(403);
    const officer = await h.app.inject({
      url: '/v1/audit/events?type=message.delivered',
      headers: { 'x-api-key': h.keys.security.key },
    });
    expect(officer.statusCode).toBe(200);
    expect((officer.json() as { events: AuditEvent[] }).events.length).toBeGreaterThan(0);

    const failed = await latest('auth.failed', 3);
    expect(failed).toMatchObject([
      { actor: 'anonymous', reason: 'AUTH_REQUIRED', details: { path: '/v1/messages/some-order', credential: 'none' } },
      { actor: 'cops-1', reason: 'AUTH_WRONG_CONTOUR', details: { identityContour: 'control' } },
      { actor: 'ops-1', reason: 'AUTH_FORBIDDEN', details: { route: '/v1/audit/events' } },
    ]);
    for (const key of [h.keys.controlOps.key, h.keys.ops.key]) expect(JSON.stringify(failed)).not.toContain(key);

    expect(await h.audit.checkpoint()).toBeDefined();
    const verified = await h.audit.verify();
    expect(verified.problems).toEqual([]);
    expect(verified.ok).toBe(true);
  });
});
