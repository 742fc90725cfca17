import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { createSoftwareSigner, issueDevCertificate, readDevIdentity, type Signer } from '@twincontour/crypto';
import type { C2tPayload, StatusPayload } from '@twincontour/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryAdapter, loadTransportKeys } from './adapters/delivery/index.js';
import { parseTransportConfig } from './config.js';
import { sha256Hex } from './domain/handover.js';
import { seriesValue } from './metrics.js';
import {
  answerEnvelope,
  controlPayload,
  createHarness,
  exampleOrder,
  type Harness,
  opensslDecrypt,
  opensslVerifyEnvelope,
  startPeer,
  type TestPeer,
  waitFor,
} from './testing.js';

let h: Harness;
let peer: TestPeer;
let edCounter = 2000;
let answerCounter = 1;
const nextEdNo = () => String(edCounter++);
const nextAnswerNo = () => String(answerCounter++);

beforeAll(async () => {
  h = await createHarness(async (pki, pool) => {
    peer = await startPeer(pki);
    // The simulator channel as main.ts builds it: dev CA, dev cbr certificate, server name cbr-simulator.
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
    const { loadTrustStore } = await import('@twincontour/crypto');
    const trust = await loadTrustStore(pki);
    if (!trust.ok) throw new Error(trust.code);
    const adapter = await createDeliveryAdapter(config.value, { pool, keys: keys.value, validator: trust.value });
    trust.value.close();
    if (!adapter.ok) throw new Error(adapter.message);
    expect(adapter.value.channel).toBe('simulator');
    return adapter.value;
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
  await peer?.close();
});

function signers(...names: ('formation' | 'control' | 'cbr' | 'transport')[]): Signer[] {
  return names.map((n) => h.signers[n]);
}

async function handOver(orderId: string): Promise<{ payload: C2tPayload; envelope: Uint8Array }> {
  return controlPayload(exampleOrder(), {
    orderId,
    edNo: nextEdNo(),
    zkSigners: signers('formation', 'control'),
    kaSigner: h.signers.control,
  });
}

async function delivered(orderId: string): Promise<StatusPayload> {
  return waitFor(() => h.t2c(orderId, 'sent'), 15_000, `sent of ${orderId}`);
}

async function messageView(orderId: string) {
  const response = await h.app.inject({ url: `/v1/messages/${orderId}`, headers: { 'x-api-key': h.keys.ops.key } });
  return { status: response.statusCode, body: response.json() };
}

describe('delivery over https with mutual TLS', () => {
  it('sends the envelope encrypted to cbr (openssl opens it, both ЗК and the КА verify), archives the bytes, and maps ED201 0000 + ED206', async () => {
    const orderId = `ord-${randomUUID()}`;
    const { payload, envelope } = await handOver(orderId);
    const before = peer.received.length;
    await h.sendC2t(payload, payload.messageId);
    const sent = await delivered(orderId);
    expect(sent).toMatchObject({
      type: 'order.status',
      messageId: `t2c-${orderId}-sent`,
      stage: 'sent',
      ed: payload.ed,
    });

    expect(peer.received.length).toBe(before + 1);
    const receipt = peer.received.at(-1)!;
    expect(receipt.edRef).toBe(`${payload.ed.edAuthor}-${payload.ed.edDate}-${payload.ed.edNo}`);
    expect(receipt.contentType).toBe('application/cms');
    // The TLS client is transport's own certificate.
    const transport = await readDevIdentity(h.pki, 'transport');
    if (!transport.ok) throw new Error(transport.code);
    expect(receipt.clientThumbprint).toBe(transport.value.thumbprint.replaceAll(':', '').toLowerCase());
    expect(Buffer.from(receipt.envelope).equals(Buffer.from(envelope))).toBe(true);

    // The independent peer: openssl decrypts with the cbr key, then verifies both ЗК and the КА.
    const work = mkdtempSync(join(h.work, 'openssl-'));
    const opened = opensslDecrypt(receipt.body, h.pki, 'cbr', work);
    expect(opened.status, opened.output).toBe(0);
    expect(opened.stdout.equals(Buffer.from(envelope))).toBe(true);
    const checks = opensslVerifyEnvelope(new Uint8Array(opened.stdout), h.pki, work);
    expect(checks).toHaveLength(3);
    for (const check of checks) expect(check.status, check.output).toBe(0);

    // Archive: exactly the envelope and the EnvelopedData that went out.
    const archived = await h.db.pool.query<{ kind: string; sha256: string; bytes: Buffer }>(
      `select kind, sha256, bytes from archive where order_id = $1 and direction = 'out' order by id`,
      [orderId],
    );
    expect(archived.rows.map((r) => [r.kind, r.sha256])).toEqual([
      ['envelope', sha256Hex(envelope)],
      ['enveloped-data', sha256Hex(receipt.body)],
    ]);
    expect(archived.rows[1]?.bytes.equals(receipt.body)).toBe(true);

    await peer.pushAnswer(
      await answerEnvelope(
        { kind: 'ED201', edNo: nextAnswerNo(), refersTo: payload.ed, ctrlCode: '0000', annotation: 'ЭС принято' },
        h.signers.cbr,
      ),
    );
    const accepted = await waitFor(() => h.t2c(orderId, 'accepted-by-cbr'), 10_000, 'accepted-by-cbr');
    expect(accepted.code).toBeUndefined();
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
    const executed = await waitFor(() => h.t2c(orderId, 'executed'), 10_000, 'executed');
    expect(executed).toMatchObject({ stage: 'executed', ed: payload.ed, orderId });

    const view = await messageView(orderId);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      orderId,
      state: 'sent',
      channel: 'simulator',
      cbrStage: 'executed',
      attempts: 1,
    });
    expect(view.body.answers.map((a: { kind: string; stage: string }) => [a.kind, a.stage])).toEqual([
      ['ED201', 'accepted-by-cbr'],
      ['ED206', 'executed'],
    ]);
    // In: each answer as received (EnvelopedData) and opened (envelope).
    const inbound = view.body.archive.filter((a: { direction: string }) => a.direction === 'in');
    expect(inbound.map((a: { kind: string }) => a.kind)).toEqual([
      'enveloped-data',
      'envelope',
      'enveloped-data',
      'envelope',
    ]);

    // A redelivered job (BullMQ is at-least-once) never sends again.
    expect(await h.runtime.c2t.handleC2t(payload, payload.messageId)).toEqual({ kind: 'duplicate-message' });
    expect(peer.received.length).toBe(before + 1);
    // The archive is append-only.
    await expect(h.db.pool.query('delete from archive where order_id = $1', [orderId])).rejects.toThrow(/append-only/);
  });

  it.each([
    ['0101', 'Ошибка контроля по схеме'],
    ['0202', 'Ошибка проверки ЗК'],
    ['0303', 'Повторное ЭС'],
  ])(
    'turns an ED201 refusal %s into its own rejected-by-cbr status with CBR_<CtrlCode> and the annotation',
    async (ctrlCode, annotation) => {
      const orderId = `refused-${randomUUID()}`;
      const { payload } = await handOver(orderId);
      await h.sendC2t(payload, payload.messageId);
      await delivered(orderId);
      await peer.pushAnswer(
        await answerEnvelope(
          {
            kind: 'ED201',
            edNo: nextAnswerNo(),
            refersTo: payload.ed,
            ctrlCode,
            annotation,
          },
          h.signers.cbr,
        ),
      );
      const rejected = await waitFor(() => h.t2c(orderId, 'rejected-by-cbr'), 10_000, 'rejected-by-cbr');
      expect(rejected).toMatchObject({ code: `CBR_${ctrlCode}`, reason: annotation, ed: payload.ed });
      expect((await messageView(orderId)).body).toMatchObject({
        cbrStage: 'rejected-by-cbr',
        cbrCode: `CBR_${ctrlCode}`,
      });
      expect(await seriesValue(h.metrics.answers, { kind: 'ED201', stage: 'rejected-by-cbr' })).toBeGreaterThanOrEqual(
        1,
      );
    },
  );

  it('refuses an answer with a bad cbr signature (security event) without changing the status', async () => {
    const orderId = `forged-${randomUUID()}`;
    const { payload } = await handOver(orderId);
    await h.sendC2t(payload, payload.messageId);
    await delivered(orderId);
    const before = await seriesValue(h.metrics.failures, { code: 'TRN_ANSWER_SIGNATURE_INVALID' });
    // Signed by control, not by the Bank of Russia.
    await peer.pushAnswer(
      await answerEnvelope(
        { kind: 'ED201', edNo: nextAnswerNo(), refersTo: payload.ed, ctrlCode: '0000', annotation: 'ЭС принято' },
        h.signers.control,
      ),
    );
    // The security log line is the refusal's last step: once it is there, the archive row and the metric are too.
    const line = await waitFor(async () =>
      h.logLines.find((l) => l.event === 'security' && l.code === 'TRN_ANSWER_SIGNATURE_INVALID'),
    );
    expect(line).toMatchObject({ sigCode: 'SIG_WRONG_CONTOUR' });
    const refused = (
      await h.db.pool.query<{ code: string; reason: string }>(
        `select code, reason from archive where direction = 'in' and code is not null order by id desc limit 1`,
      )
    ).rows[0];
    expect(refused?.code).toBe('TRN_ANSWER_SIGNATURE_INVALID');
    expect(refused?.reason).toMatch(/^SIG_WRONG_CONTOUR: /);
    expect(await seriesValue(h.metrics.failures, { code: 'TRN_ANSWER_SIGNATURE_INVALID' })).toBe(before + 1);
    // Let the relay run: no stage came of it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await h.t2c(orderId, 'accepted-by-cbr')).toBeUndefined();
    const view = await messageView(orderId);
    expect(view.body.cbrStage).toBeUndefined();
    expect(view.body.answers).toEqual([]);
  });
});

type Spoil = (ctx: Harness, orderId: string, edNo: string) => Promise<unknown>;

const REFUSALS: [string, Spoil, string, string | undefined][] = [
  [
    'an ED without control’s ЗК',
    async (ctx, orderId, edNo) =>
      (
        await controlPayload(exampleOrder(), {
          orderId,
          edNo,
          zkSigners: [ctx.signers.formation],
          kaSigner: ctx.signers.control,
        })
      ).payload,
    'TRN_ZK_INVALID',
    'SIG_MISSING_CONTOUR',
  ],
  [
    'two ЗК from one certificate',
    async (ctx, orderId, edNo) =>
      (
        await controlPayload(exampleOrder(), {
          orderId,
          edNo,
          zkSigners: [ctx.signers.formation, ctx.signers.formation],
          kaSigner: ctx.signers.control,
        })
      ).payload,
    'TRN_ZK_INVALID',
    'SIG_SAME_CERTIFICATE',
  ],
  [
    'two ЗК from one contour (two formation certificates)',
    async (ctx, orderId, edNo) => {
      const second = await issueDevCertificate(ctx.pki, { contour: 'formation' });
      return (
        await controlPayload(exampleOrder(), {
          orderId,
          edNo,
          zkSigners: [ctx.signers.formation, createSoftwareSigner(second.privateKey, second.certificateDer)],
          kaSigner: ctx.signers.control,
        })
      ).payload;
    },
    'TRN_ZK_INVALID',
    'SIG_WRONG_CONTOUR',
  ],
  [
    'a КА by the formation contour',
    async (ctx, orderId, edNo) =>
      (
        await controlPayload(exampleOrder(), {
          orderId,
          edNo,
          zkSigners: [ctx.signers.formation, ctx.signers.control],
          kaSigner: ctx.signers.formation,
        })
      ).payload,
    'TRN_KA_INVALID',
    'SIG_WRONG_CONTOUR',
  ],
  [
    'an ED changed after both ЗК (the КА made over the changed file)',
    async (ctx, orderId, edNo) =>
      (
        await controlPayload(exampleOrder(), {
          orderId,
          edNo,
          zkSigners: [ctx.signers.formation, ctx.signers.control],
          kaSigner: ctx.signers.control,
          tamper: (file) => Buffer.from(file.toString('latin1').replace('Sum="12500000"', 'Sum="92500000"'), 'latin1'),
        })
      ).payload,
    'TRN_ZK_INVALID',
    'SIG_DIGEST_MISMATCH',
  ],
  [
    'a payload that does not match the boundary contract',
    async (ctx, orderId, edNo) => {
      const { payload } = await controlPayload(exampleOrder(), {
        orderId,
        edNo,
        zkSigners: [ctx.signers.formation, ctx.signers.control],
        kaSigner: ctx.signers.control,
      });
      return { ...payload, extra: 'field' };
    },
    'TRN_BAD_PAYLOAD',
    'QUE_BAD_PAYLOAD',
  ],
  [
    'an envelope that is not a КА envelope',
    async (ctx, orderId, edNo) => {
      const { payload } = await controlPayload(exampleOrder(), {
        orderId,
        edNo,
        zkSigners: [ctx.signers.formation, ctx.signers.control],
        kaSigner: ctx.signers.control,
      });
      return { ...payload, envelopeBase64: Buffer.from('<x/>').toString('base64') };
    },
    'TRN_KA_INVALID',
    'SIG_MALFORMED',
  ],
];

describe('refusals: rejected-by-transport on t2c, a security log line, nothing delivered', () => {
  it.each(REFUSALS)('%s', async (_name, spoil, code, reasonPrefix) => {
    const orderId = `bad-${randomUUID()}`;
    const payload = (await spoil(h, orderId, nextEdNo())) as { messageId: string };
    const before = peer.received.length;
    await h.sendC2t(payload, payload.messageId);
    const status = await waitFor(() => h.t2c(orderId, 'rejected-by-transport'), 10_000, `refusal of ${orderId}`);
    expect(status.code).toBe(code);
    if (reasonPrefix) expect(status.reason?.startsWith(`${reasonPrefix}: `), status.reason).toBe(true);
    expect(peer.received.length).toBe(before);
    expect(await h.t2c(orderId, 'sent')).toBeUndefined();
    const view = await messageView(orderId);
    expect(view.body).toMatchObject({ state: 'rejected', code });
    const archived = await h.db.pool.query('select 1 from archive where order_id = $1', [orderId]);
    expect(archived.rowCount).toBe(0);
    const line = h.logLines.find((l) => l.event === 'security' && l.orderId === orderId);
    expect(line).toMatchObject({ code });
    expect(JSON.stringify(line)).not.toContain((payload as C2tPayload).envelopeBase64?.slice(0, 60) ?? '@@');
  });

  it('refuses a second order carrying an ED identity already delivered (TRN_DUPLICATE_ED)', async () => {
    const first = `dup-a-${randomUUID()}`;
    const edNo = nextEdNo();
    const a = await controlPayload(exampleOrder(), {
      orderId: first,
      edNo,
      zkSigners: signers('formation', 'control'),
      kaSigner: h.signers.control,
    });
    await h.sendC2t(a.payload, a.payload.messageId);
    await delivered(first);
    const second = `dup-b-${randomUUID()}`;
    const b = await controlPayload(exampleOrder(), {
      orderId: second,
      edNo,
      zkSigners: signers('formation', 'control'),
      kaSigner: h.signers.control,
    });
    const before = peer.received.length;
    await h.sendC2t(b.payload, b.payload.messageId);
    const status = await waitFor(() => h.t2c(second, 'rejected-by-transport'));
    expect(status.code).toBe('TRN_DUPLICATE_ED');
    expect(peer.received.length).toBe(before);
  });
});

describe('HTTP API', () => {
  it.each([
    ['no key', undefined, 401, 'AUTH_REQUIRED'],
    ['an unknown key', 'tck_nope', 401, 'AUTH_INVALID'],
    ['a backoffice identity', 'backoffice', 403, 'AUTH_FORBIDDEN'],
    ['a control-contour identity', 'controlOps', 403, 'AUTH_WRONG_CONTOUR'],
    ['ops, for an unknown order', 'ops', 404, 'TRN_MESSAGE_NOT_FOUND'],
    ['a security officer, for an unknown order', 'security', 404, 'TRN_MESSAGE_NOT_FOUND'],
  ] as const)('answers %s', async (_name, who, status, code) => {
    const key = who === undefined ? undefined : who in h.keys ? h.keys[who as keyof Harness['keys']].key : who;
    const response = await h.app.inject({
      url: '/v1/messages/no-such-order',
      headers: key ? { 'x-api-key': key } : {},
    });
    expect(response.statusCode).toBe(status);
    expect(response.json().code).toBe(code);
  });

  it('answers /health, /ready, /metrics (with the transport metrics) and /openapi.json', async () => {
    expect((await h.app.inject({ url: '/health' })).json()).toEqual({ status: 'ok' });
    expect((await h.app.inject({ url: '/ready' })).json()).toEqual({
      status: 'ready',
      checks: { postgres: 'ok', redis: 'ok' },
    });
    expect((await h.app.inject({ url: '/metrics' })).statusCode).toBe(401);
    const scraped = await h.app.inject({ url: '/metrics', headers: { 'x-api-key': h.keys.ops.key } });
    expect(scraped.statusCode).toBe(200);
    for (const name of [
      'transport_failures_total',
      'transport_signature_failures_total',
      'transport_deliveries_total',
      'transport_delivery_latency_seconds_bucket',
      'transport_queue_depth{queue="c2t"',
      'transport_outbox_pending',
      'transport_messages{state="sent"',
    ]) {
      expect(scraped.body).toContain(name);
    }
    const openapi = (await h.app.inject({ url: '/openapi.json' })).json();
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/v1/messages/{orderId}']));
    expect(openapi.paths['/v1/messages/{orderId}'].get['x-roles']).toEqual(['ops', 'security-officer']);
  });
});
