// Incident requests and answers (802-П п. 19) in the five-year archive (п. 11): each request the main
// channel took and each signed answer, exactly as sent and received, in the transaction that records the
// attempt; re-verified as of their signing time — the authorised person's signature and the Bank of Russia's.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseIncidentAnswerBody,
  parseIncidentRequestBody,
  readArchivedRecord,
  serializeIncidentRequestBody,
  verifyArchived,
} from '@twincontour/audit';
import {
  issueDevCertificate,
  loadTrustStore,
  revoke,
  type Signer,
  signDetached,
  verifyDetached,
} from '@twincontour/crypto';
import { devCaFile, opensslCmsVerify } from '@twincontour/crypto/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryAdapter, loadTransportKeys } from './adapters/delivery/index.js';
import type { IncidentChannel } from './adapters/delivery/types.js';
import { parseTransportConfig } from './config.js';
import {
  createHarness,
  type Harness,
  type IncidentDeps,
  type PeerOptions,
  startPeer,
  type TestPeer,
} from './testing.js';
import { createIncidentService, DEV_PERSON_ID, type IncidentView } from './workers/incident-service.js';

const YEAR = 365.25 * 86_400_000;
const PARTICIPANT = { name: 'ООО «Тестовый банк»', bic: '044525545', uic: '4525545000' };

let h: Harness;
let peer: TestPeer;
let peerPort = 0;
let channel = '';
let incidentChannel: IncidentChannel | undefined;
let logger: IncidentDeps['logger'];
/** Whose key signs the simulated Bank of Russia's answers (cbr, unless a test forges them). */
let answerSigner: () => Signer;
/** Each request body as the peer received it, and each answer body as it sent it (the test peer writes JSON.stringify). */
const exchanged: { request: Buffer; answer: Buffer }[] = [];

/** The simulated Bank of Russia's incident desk: checks the person's signature, answers with a signed document. */
const peerOptions: PeerOptions = {
  async incident(body) {
    const request = JSON.parse(body.toString('utf8')) as {
      requestId: string;
      kind: 'suspend' | 'resume';
      documentBase64: string;
      signatureBase64: string;
    };
    const report = await verifyDetached(
      Buffer.from(request.signatureBase64, 'base64'),
      Buffer.from(request.documentBase64, 'base64'),
      { validator: h.trust, expectedContours: ['authorised-person'] },
    );
    const answer = Buffer.from(
      JSON.stringify({
        type: 'cbr.incident-answer',
        version: 1,
        requestId: request.requestId,
        kind: request.kind,
        decision: report.ok ? 'accepted' : 'refused',
        ...(report.ok ? {} : { code: 'SIM_INCIDENT_BAD_SIGNATURE' }),
        exchange: request.kind === 'suspend' && report.ok ? 'suspended' : 'running',
        annulled: 0,
        at: new Date().toISOString(),
      }),
    );
    const signature = await signDetached(answer, answerSigner());
    const answerBody = {
      ...(report.ok ? {} : { code: 'SIM_INCIDENT_BAD_SIGNATURE' }),
      answerBase64: answer.toString('base64'),
      signatureBase64: Buffer.from(signature).toString('base64'),
    };
    exchanged.push({ request: body, answer: Buffer.from(JSON.stringify(answerBody)) });
    return { status: report.ok ? 200 : 422, body: answerBody };
  },
};

beforeAll(async () => {
  h = await createHarness(
    async (pki, pool) => {
      peer = await startPeer(pki, peerOptions);
      peerPort = Number(new URL(peer.url).port);
      const config = parseTransportConfig({
        TWINCONTOUR_DATABASE_URL: 'postgres://transport@127.0.0.1/transport',
        TWINCONTOUR_C2T_REDIS_URL: 'redis://127.0.0.1:6379',
        TWINCONTOUR_PKI_DIR: pki,
        TWINCONTOUR_PEER_URL: peer.url,
        TWINCONTOUR_PEER_TIMEOUT_MS: '3000',
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
    },
    {
      incidents: async (deps) => {
        channel = deps.adapter.channel;
        incidentChannel = deps.adapter.incident;
        logger = deps.logger;
        // As main.ts builds it: the archive writer and the delivery channel's name.
        const service = createIncidentService({
          pool: deps.pool,
          logger: deps.logger,
          validator: deps.trust,
          channel: deps.adapter.incident,
          participant: PARTICIPANT,
          audit: deps.audit,
          archive: { writer: deps.archive, channel: deps.adapter.channel },
          retryMs: 60_000,
        });
        const dev = await service.ensureDevPerson(deps.pki);
        if (!dev.ok) throw new Error(dev.message);
        return service;
      },
    },
  );
  answerSigner = () => h.signers.cbr;
}, 60_000);

afterAll(async () => {
  await h?.close();
  await peer?.close();
});

const incidents = () => {
  if (!h.incidents) throw new Error('the harness has no incident service');
  return h.incidents;
};

async function api(method: 'GET' | 'POST', url: string, body?: unknown, who: 'ops' | 'security' = 'ops') {
  const response = await h.app.inject({
    method,
    url,
    headers: { 'x-api-key': h.keys[who].key },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
  return { status: response.statusCode, body: response.json() as Record<string, unknown> & IncidentView };
}

interface Row {
  id: string;
  direction: string;
  kind: string;
  channel: string;
  bytes: Buffer;
  code: string | null;
  reason: string | null;
  at: Date;
}

/** The archive records of a request (filed under its id), in the order written. */
async function archived(requestId: string): Promise<Row[]> {
  const r = await h.db.pool.query<Row>(
    `select a.id::text as id, direction, kind, channel, bytes, code, reason, at
       from archive a where source_ref = $1 order by a.id`,
    [requestId],
  );
  return r.rows;
}

/** The dev CA publishes a CRL dated after every record so far; the archive stores it (as its hourly maintenance would). */
async function publishCrl(): Promise<void> {
  const throwAway = await issueDevCertificate(h.pki, { contour: 'formation' });
  const r = await revoke(h.pki, throwAway.serialNumber, { now: new Date(Date.now() + 2000) });
  if (!r.ok) throw new Error(r.code);
  await h.trust.refresh();
  expect((await h.archive.maintain()).newCrls).toBe(1);
}

async function verifyViaApi(id: string) {
  const response = await h.app.inject({
    method: 'POST',
    url: `/v1/archive/${id}/verify`,
    headers: { 'x-api-key': h.keys.security.key },
  });
  expect(response.statusCode).toBe(200);
  return response.json() as {
    ok: boolean;
    code?: string;
    reason?: string;
    kind: string;
    signers: { role: string; contour: string; result: string; code?: string }[];
  };
}

const signerSummary = (v: { signers: { role: string; contour: string; result: string }[] }) =>
  v.signers.map((s) => [s.role, s.contour, s.result]);

let suspendRequestId = '';

describe('the archive of incident requests and answers (802-П пп. 11, 19)', () => {
  it('archives the suspension request exactly as sent and the answer exactly as received; both re-verify six years on', async () => {
    const suspended = await api('POST', '/v1/incidents/suspend', {
      reason: 'Подозрение на компрометацию АРМ формирования',
      personId: DEV_PERSON_ID,
    });
    expect(suspended.status, JSON.stringify(suspended.body)).toBe(200);
    const request = suspended.body.requests[0];
    if (!request) throw new Error('no request');
    suspendRequestId = request.id;
    expect(request.status).toBe('answered');

    const rows = await archived(request.id);
    expect(rows.map((r) => [r.direction, r.kind, r.channel, r.code])).toEqual([
      ['out', 'incident-request', channel, null],
      ['in', 'incident-answer', channel, null],
    ]);
    const [out, answer] = rows as [Row, Row];
    // Byte for byte what went over the main channel, both ways.
    expect(exchanged).toHaveLength(1);
    expect(out.bytes.equals(exchanged[0]!.request)).toBe(true);
    expect(answer.bytes.equals(exchanged[0]!.answer)).toBe(true);
    expect(answer.at.getTime()).toBeGreaterThanOrEqual(out.at.getTime());
    // The request body holds exactly the document and signature the incident service keeps.
    const stored = await h.db.pool.query<{ document: Buffer; signature: Buffer }>(
      'select document, signature from incident_requests where id = $1',
      [request.id],
    );
    const body = parseIncidentRequestBody(out.bytes);
    if (!body.ok) throw new Error(body.message);
    expect(Buffer.from(body.value.document).equals(stored.rows[0]!.document)).toBe(true);
    expect(Buffer.from(body.value.signature).equals(stored.rows[0]!.signature)).toBe(true);
    // The independent peer agrees on the archived pair: openssl verifies the person's signature over the document.
    const dir = mkdtempSync(join(h.work, 'archived-request-'));
    writeFileSync(join(dir, 'doc.json'), body.value.document);
    writeFileSync(join(dir, 'sig.der'), body.value.signature);
    const openssl = opensslCmsVerify(join(dir, 'sig.der'), join(dir, 'doc.json'), devCaFile(h.pki));
    expect(openssl.status, openssl.output).toBe(0);

    // The CRL in use was issued before the request: nothing proves the status at its time until the CA publishes.
    expect(await verifyViaApi(out.id)).toMatchObject({ ok: false, code: 'ARC_REVOCATION_UNPROVEN' });
    await publishCrl();
    const verifiedOut = await verifyViaApi(out.id);
    expect(verifiedOut.code, verifiedOut.reason).toBeUndefined();
    expect(verifiedOut).toMatchObject({ ok: true, kind: 'incident-request' });
    expect(signerSummary(verifiedOut)).toEqual([['detached', 'authorised-person', 'valid']]);
    const verifiedAnswer = await verifyViaApi(answer.id);
    expect(verifiedAnswer).toMatchObject({ ok: true, kind: 'incident-answer' });
    expect(signerSummary(verifiedAnswer)).toEqual([['detached', 'cbr', 'valid']]);

    // Six years on, every certificate long expired: the records still verify as of their signing time.
    const sixYearsOn = new Date(Date.now() + 6 * YEAR);
    for (const id of [out.id, answer.id]) {
      const record = await readArchivedRecord(h.db.pool, id);
      if (!record.ok) throw new Error(record.code);
      expect(record.value.sibling).toBeUndefined();
      const result = await verifyArchived(record.value, { ...h.archive.trust, clock: () => sixYearsOn });
      expect(result.code, result.reason).toBeUndefined();
      expect(result.verifiedAt).toBe(sixYearsOn.toISOString());
    }
  });

  it('finds a tampered document: the bytes alone (ARC_DIGEST_MISMATCH), or with their digest (ARC_SIGNATURE_INVALID)', async () => {
    const [out] = await archived(suspendRequestId);
    if (!out) throw new Error('no request record');
    const body = parseIncidentRequestBody(out.bytes);
    if (!body.ok) throw new Error(body.message);
    const text = Buffer.from(body.value.document).toString('utf8');
    expect(text).toContain('компрометацию');
    const forged = Buffer.from(
      serializeIncidentRequestBody({
        ...body.value,
        document: new Uint8Array(Buffer.from(text.replace('компрометацию', 'проверку'))),
      }),
    );
    const client = await h.db.pool.connect();
    const copies: string[] = [];
    try {
      for (const withDigest of [false, true]) {
        const copy = await client.query<{ id: string }>(
          `insert into archive (direction, kind, channel, source_ref, bytes, sha256, at, signing_time, retain_until, chain, crls)
           select direction, kind, channel, source_ref || '-copy', bytes, sha256, at, signing_time, retain_until, chain, crls
             from archive where id = $1 returning id::text as id`,
          [out.id],
        );
        const id = copy.rows[0]!.id;
        copies.push(id);
        // A superuser going around the trigger (test only): the archive cannot stop that, verification finds it.
        await client.query('begin');
        await client.query('set local session_replication_role = replica');
        await client.query(
          `update archive set bytes = $2 ${withDigest ? ", sha256 = encode(sha256($2), 'hex')" : ''} where id = $1`,
          [id, forged],
        );
        await client.query('commit');
      }
    } finally {
      client.release();
    }
    expect(await verifyViaApi(copies[0]!)).toMatchObject({ ok: false, code: 'ARC_DIGEST_MISMATCH' });
    const result = await verifyViaApi(copies[1]!);
    expect(result).toMatchObject({ ok: false, code: 'ARC_SIGNATURE_INVALID' });
    expect(result.signers.map((s) => [s.contour, s.code])).toEqual([['authorised-person', 'SIG_DIGEST_MISMATCH']]);
  });

  it('archives nothing while the main channel fails (nor the reserve copy); the re-send archives request and answer', async () => {
    const resumed = await api('POST', '/v1/incidents/resume', {});
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
    const resume = resumed.body.requests.find((r) => r.kind === 'resume');
    expect((await archived(resume?.id ?? '')).map((r) => r.kind)).toEqual(['incident-request', 'incident-answer']);

    await peer.close();
    const suspended = await api('POST', '/v1/incidents/suspend', {
      reason: 'Несанкционированный доступ к ключу транспорта',
      personId: DEV_PERSON_ID,
    });
    expect(suspended.status, JSON.stringify(suspended.body)).toBe(202);
    const request = suspended.body.requests[0];
    if (!request?.reserveCopy) throw new Error('no reserve copy');
    expect(await archived(request.id)).toEqual([]);
    const kinds = await h.db.pool.query<{ kind: string }>('select distinct kind from archive order by kind');
    expect(kinds.rows.map((r) => r.kind)).toEqual(['incident-answer', 'incident-request']);

    peer = await startPeer(h.pki, { ...peerOptions, port: peerPort });
    await incidents().sendOpen();
    expect((await incidents().incident(suspended.body.id))?.requests[0]?.status).toBe('answered');
    const rows = await archived(request.id);
    expect(rows.map((r) => [r.direction, r.kind])).toEqual([
      ['out', 'incident-request'],
      ['in', 'incident-answer'],
    ]);
    expect(rows[0]!.bytes.equals(exchanged.at(-1)!.request)).toBe(true);
    await publishCrl();
    for (const row of rows) expect((await verifyViaApi(row.id)).ok).toBe(true);
  });

  it('archives an answer not signed by the Bank of Russia with its code; re-verification says why', async () => {
    answerSigner = () => h.signers.transport;
    try {
      const resumed = await api('POST', '/v1/incidents/resume', {});
      expect(resumed.status, JSON.stringify(resumed.body)).toBe(202);
      const request = resumed.body.requests.find((r) => r.kind === 'resume');
      if (!request) throw new Error('no cancellation request');
      expect(request.status).toBe('needs-resend');
      const rows = await archived(request.id);
      expect(rows.map((r) => [r.kind, r.code])).toEqual([
        ['incident-request', null],
        ['incident-answer', 'INC_CHANNEL_FAILED'],
      ]);
      expect(rows[1]?.reason).toContain('SIG_WRONG_CONTOUR');
      // Whatever transport refused is still readable as received.
      expect(parseIncidentAnswerBody(rows[1]!.bytes).ok).toBe(true);
      await publishCrl();
      const answer = await verifyViaApi(rows[1]!.id);
      expect(answer).toMatchObject({ ok: false, code: 'ARC_SIGNATURE_INVALID' });
      expect(answer.signers.map((s) => [s.contour, s.code])).toEqual([['transport', 'SIG_WRONG_CONTOUR']]);
      // The request itself was the person's, and stays verifiable.
      expect((await verifyViaApi(rows[0]!.id)).ok).toBe(true);
    } finally {
      answerSigner = () => h.signers.cbr;
    }
    await incidents().sendOpen();
    expect((await incidents().exchangeState()).state).toBe('running');
  });

  it('records an answer only with its archive: when archiving fails the attempt is undone, and the re-send archives it', async () => {
    const failing = createIncidentService({
      pool: h.db.pool,
      logger,
      validator: h.trust,
      channel: incidentChannel,
      participant: PARTICIPANT,
      archive: {
        writer: {
          append: async () => {
            throw new Error('archive unavailable');
          },
        },
        channel,
      },
      retryMs: 60_000,
    });
    const dev = await failing.ensureDevPerson(h.pki);
    if (!dev.ok) throw new Error(dev.message);
    const before = exchanged.length;
    await expect(
      failing.suspend({ reason: 'Сбой архива при отправке', personId: DEV_PERSON_ID }, 'ops-1'),
    ).rejects.toThrow('archive unavailable');
    await failing.close();
    // The Bank of Russia got it, but nothing of the attempt was recorded: no answer, no attempt, no archive.
    expect(exchanged.length).toBe(before + 1);
    const request = (await incidents().status()).current?.requests[0];
    if (!request) throw new Error('no request');
    expect(request).toMatchObject({ status: 'pending', attempts: 0, answer: null });
    expect(await archived(request.id)).toEqual([]);

    await incidents().sendOpen();
    expect((await incidents().exchangeState()).state).toBe('suspended');
    const rows = await archived(request.id);
    expect(rows.map((r) => r.kind)).toEqual(['incident-request', 'incident-answer']);
    // Sent again, the same bytes: the archived request is what both attempts sent.
    expect(exchanged.at(-1)!.request.equals(exchanged[before]!.request)).toBe(true);
    expect(rows[0]!.bytes.equals(exchanged[before]!.request)).toBe(true);
  });
});
