import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueDevCertificate, loadTrustStore, readDevLayout, signDetached, verifyDetached } from '@twincontour/crypto';
import { devCaFile, opensslCmsVerify } from '@twincontour/crypto/testing';
import { type ExchangeStatePayload, parseBoundaryPayload, type StatusPayload } from '@twincontour/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryAdapter, loadTransportKeys } from './adapters/delivery/index.js';
import { parseTransportConfig } from './config.js';
import { parseRequestDocument } from './domain/incident-request.js';
import {
  controlPayload,
  createHarness,
  exampleOrder,
  type Harness,
  type PeerOptions,
  startPeer,
  type TestPeer,
  waitFor,
} from './testing.js';
import { pdfText } from './testing-pdf.js';
import { createIncidentService, DEV_PERSON_ID, type IncidentView } from './workers/incident-service.js';

// 802-П п. 19–19.5 at transport: the registry of authorised persons, the suspension that stops every
// delivery at one exact moment, the signed requests, the reserve channel and the re-send, the resume.

const PARTICIPANT = { name: 'ООО «Тестовый банк»', bic: '044525545', uic: '4525545000' };

let h: Harness;
let peer: TestPeer;
let peerPort = 0;
/** The simulated Bank of Russia's suspension of this participant. */
let cbrSuspended = false;
/** Requests the simulated Bank of Russia took (verified). */
const cbrRequests: { requestId: string; kind: string; document: Buffer; signature: Buffer }[] = [];
let edCounter = 7000;

/**
 * The simulated Bank of Russia's incident desk (the real one is services/cbr-simulator): checks the
 * request's signature (п. 19.5: contour authorised-person, trusted), answers with a document signed by cbr.
 */
const peerOptions: PeerOptions = {
  refuseExchange: () => cbrSuspended,
  async incident(body) {
    const request = JSON.parse(body.toString('utf8')) as {
      requestId: string;
      kind: 'suspend' | 'resume';
      documentBase64: string;
      signatureBase64: string;
    };
    const document = Buffer.from(request.documentBase64, 'base64');
    const signature = Buffer.from(request.signatureBase64, 'base64');
    const report = await verifyDetached(signature, document, {
      validator: h.trust,
      expectedContours: ['authorised-person'],
    });
    const decision = report.ok ? 'accepted' : 'refused';
    if (report.ok) {
      cbrRequests.push({ requestId: request.requestId, kind: request.kind, document, signature });
      cbrSuspended = request.kind === 'suspend';
    }
    const answer = Buffer.from(
      JSON.stringify({
        type: 'cbr.incident-answer',
        version: 1,
        requestId: request.requestId,
        kind: request.kind,
        decision,
        ...(report.ok ? {} : { code: 'SIM_INCIDENT_BAD_SIGNATURE' }),
        exchange: cbrSuspended ? 'suspended' : 'running',
        annulled: 0,
        at: new Date().toISOString(),
      }),
    );
    const answerSignature = await signDetached(answer, h.signers.cbr);
    return {
      status: report.ok ? 200 : 422,
      body: {
        answerBase64: answer.toString('base64'),
        signatureBase64: Buffer.from(answerSignature).toString('base64'),
      },
    };
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
        const service = createIncidentService({
          pool: deps.pool,
          logger: deps.logger,
          validator: deps.trust,
          channel: deps.adapter.incident,
          participant: PARTICIPANT,
          audit: deps.audit,
          archive: { writer: deps.archive, channel: deps.adapter.channel },
          retryMs: 150,
        });
        const dev = await service.ensureDevPerson(deps.pki);
        if (!dev.ok) throw new Error(dev.message);
        return service;
      },
    },
  );
}, 60_000);

afterAll(async () => {
  await h?.close();
  await peer?.close();
});

const incidents = () => {
  if (!h.incidents) throw new Error('the harness has no incident service');
  return h.incidents;
};

async function api(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, who = h.keys.ops.key) {
  const response = await h.app.inject({
    method,
    url,
    headers: { 'x-api-key': who },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
  return { status: response.statusCode, body: response.json() as Record<string, unknown> & IncidentView };
}

async function exchangeState(): Promise<string> {
  return (await incidents().exchangeState()).state;
}

async function handOver(orderId: string) {
  const { payload } = await controlPayload(exampleOrder(), {
    orderId,
    edNo: String(edCounter++),
    zkSigners: [h.signers.formation, h.signers.control],
    kaSigner: h.signers.control,
  });
  await h.sendC2t(payload, payload.messageId);
  return payload;
}

async function messageStates(orderIds: readonly string[]) {
  const result = await h.db.pool.query<{
    order_id: string;
    state: string;
    sent_at: Date | null;
    annulled_at: Date | null;
    code: string | null;
  }>('select order_id, state, sent_at, annulled_at, code from messages where order_id = any($1)', [orderIds]);
  return result.rows;
}

async function exchangeMessages(): Promise<ExchangeStatePayload[]> {
  const jobs = await h.runtime.queues.t2c.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
  return jobs
    .map((j) => parseBoundaryPayload('exchange', j.data))
    .flatMap((p) => (p.ok ? [p.value] : []))
    .sort((a, b) => a.seq - b.seq);
}

async function auditEvents(type: string) {
  await h.audit.flush();
  const result = await h.db.pool.query<{ type: string; result: string; order_id: string | null; details: unknown }>(
    'select type, result, order_id, details from audit_events where type = $1 order by seq',
    [type],
  );
  return result.rows;
}

/** `openssl cms -verify` of a request's detached signature over its document (the independent peer). */
function opensslVerifiesRequest(document: Uint8Array, signature: Uint8Array): { status: number; output: string } {
  const dir = mkdtempSync(join(h.work, 'req-'));
  writeFileSync(join(dir, 'doc.json'), document);
  writeFileSync(join(dir, 'sig.der'), signature);
  return opensslCmsVerify(join(dir, 'sig.der'), join(dir, 'doc.json'), devCaFile(h.pki));
}

const squash = (s: string) => s.replace(/\s+/g, '');

describe('the registry of authorised persons (802-П п. 19.3)', () => {
  it('lists the development person, signing on the server; security officers read it, the back office may not', async () => {
    const list = await api('GET', '/v1/incidents/persons', undefined, h.keys.security.key);
    expect(list.status).toBe(200);
    const items = list.body.items as { id: string; serverSigning: boolean; certificate: { thumbprint: string } }[];
    const dev = items.find((p) => p.id === DEV_PERSON_ID);
    expect(dev?.serverSigning).toBe(true);
    const layout = readDevLayout(h.pki);
    if (!layout.ok) throw new Error(layout.code);
    expect(dev?.certificate.thumbprint).toBe(
      layout.value.identities['authorised-person'].thumbprint.replaceAll(':', '').toLowerCase(),
    );
    expect((await api('GET', '/v1/incidents/persons', undefined, h.keys.backoffice.key)).status).toBe(403);
    expect((await api('GET', '/v1/incidents', undefined, h.keys.controlOps.key)).body.code).toBe('AUTH_WRONG_CONTOUR');
  });

  it('adds, changes and removes a person, each change audited; refuses a certificate of another contour', async () => {
    const issued = await issueDevCertificate(h.pki, { contour: 'authorised-person' });
    const person = {
      id: 'petrova',
      fullName: 'Петрова Анна Сергеевна',
      position: 'Начальник отдела информационной безопасности',
      phone: '+7 (495) 111-22-33',
      fax: null,
      email: 'petrova@bank.example',
      certificatePem: issued.certificatePem,
    };
    const added = await api('POST', '/v1/incidents/persons', person, h.keys.security.key);
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ id: 'petrova', active: true, serverSigning: false, fax: null });
    expect((await api('POST', '/v1/incidents/persons', person)).body.code).toBe('INC_PERSON_EXISTS');
    const { id: _id, ...fields } = person;
    const changed = await api('PUT', '/v1/incidents/persons/petrova', { ...fields, phone: '+7 (495) 111-22-44' });
    expect(changed.status).toBe(200);
    expect(changed.body.phone).toBe('+7 (495) 111-22-44');

    const transportPem = readFileSync(join(h.pki, 'transport', 'cert.pem'), 'utf8');
    const wrong = await api('POST', '/v1/incidents/persons', {
      ...person,
      id: 'intruder',
      certificatePem: transportPem,
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body.code).toBe('INC_PERSON_CERT_INVALID');
    expect(wrong.body.message).toContain('SIG_WRONG_CONTOUR');

    expect((await api('DELETE', '/v1/incidents/persons/petrova')).body.active).toBe(false);
    expect((await api('DELETE', '/v1/incidents/persons/petrova')).body.code).toBe('INC_PERSON_NOT_FOUND');
    const active = (await api('GET', '/v1/incidents/persons')).body.items as { id: string }[];
    expect(active.map((p) => p.id)).not.toContain('petrova');

    for (const type of ['person.added', 'person.changed', 'person.removed']) {
      const events = await auditEvents(type);
      expect(
        events.some((e) => (e.details as { personId?: string }).personId === 'petrova'),
        type,
      ).toBe(true);
    }
  });
});

describe('refused requests change nothing', () => {
  it('refuses a person not in the registry (INC_PERSON_UNKNOWN)', async () => {
    const answer = await api('POST', '/v1/incidents/suspend', { reason: 'test', personId: 'nobody' });
    expect(answer.status).toBe(422);
    expect(answer.body.code).toBe('INC_PERSON_UNKNOWN');
    expect(await exchangeState()).toBe('running');
  });

  it('refuses a request signed with another key than the registered certificate (INC_BAD_SIGNATURE)', async () => {
    const draft = await api('POST', '/v1/incidents/requests/draft', {
      kind: 'suspend',
      personId: DEV_PERSON_ID,
      reason: 'compromised workstation',
    });
    expect(draft.status).toBe(200);
    const document = Buffer.from(draft.body.documentBase64 as string, 'base64');
    // A valid authorised-person certificate of the same CA, but not the one registered for this person.
    const other = await issueDevCertificate(h.pki, { contour: 'authorised-person' });
    const { createSoftwareSigner } = await import('@twincontour/crypto');
    const forged = await signDetached(document, createSoftwareSigner(other.privateKey, other.certificateDer));
    const refused = await api('POST', '/v1/incidents/suspend', {
      personId: DEV_PERSON_ID,
      documentBase64: document.toString('base64'),
      signatureBase64: Buffer.from(forged).toString('base64'),
    });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('INC_BAD_SIGNATURE');

    // The right key over a changed document: the digest no longer matches.
    const signed = await api('POST', '/v1/incidents/requests/draft', {
      kind: 'suspend',
      personId: DEV_PERSON_ID,
      reason: 'compromised workstation',
    });
    const bytes = Buffer.from(signed.body.documentBase64 as string, 'base64');
    const identity = await (await import('@twincontour/crypto')).readDevIdentity(h.pki, 'authorised-person');
    if (!identity.ok) throw new Error(identity.code);
    const signature = await signDetached(
      bytes,
      createSoftwareSigner(identity.value.privateKey, identity.value.certificateDer),
    );
    const tampered = Buffer.from(bytes.toString('utf8').replace('compromised workstation', 'compromised workstatioN'));
    const broken = await api('POST', '/v1/incidents/suspend', {
      personId: DEV_PERSON_ID,
      documentBase64: tampered.toString('base64'),
      signatureBase64: Buffer.from(signature).toString('base64'),
    });
    expect(broken.body.code).toBe('INC_BAD_SIGNATURE');
    expect(broken.body.message).toContain('SIG_DIGEST_MISMATCH');

    expect(await exchangeState()).toBe('running');
    expect(cbrRequests).toHaveLength(0);
    const checks = await auditEvents('signature.checked');
    expect(checks.filter((e) => e.result === 'fail').length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a person with no key on the server and no signed request (INC_PERSON_KEY_UNAVAILABLE)', async () => {
    const issued = await issueDevCertificate(h.pki, { contour: 'authorised-person' });
    await api('POST', '/v1/incidents/persons', {
      id: 'sidorov',
      fullName: 'Сидоров Пётр',
      position: 'Начальник смены',
      phone: '+7 (495) 222-33-44',
      email: 'sidorov@bank.example',
      certificatePem: issued.certificatePem,
    });
    const answer = await api('POST', '/v1/incidents/suspend', { reason: 'test', personId: 'sidorov' });
    expect(answer.body.code).toBe('INC_PERSON_KEY_UNAVAILABLE');
    expect(await exchangeState()).toBe('running');
  });

  it('lets only ops suspend', async () => {
    const answer = await api(
      'POST',
      '/v1/incidents/suspend',
      { reason: 'x', personId: DEV_PERSON_ID },
      h.keys.security.key,
    );
    expect(answer.status).toBe(403);
  });
});

describe('suspension under a steady stream of hand-overs', () => {
  const produced: string[] = [];
  let suspendedAt: Date;
  let receivedAtSuspension = 0;
  let incidentId = '';

  it('stops every delivery at one moment: delivered before it or annulled, none lost, none after', async () => {
    let producing = true;
    const producer = (async () => {
      while (producing) {
        const orderId = `inc-${randomUUID()}`;
        produced.push(orderId);
        await handOver(orderId);
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    // Let deliveries flow, then suspend in the middle of the stream.
    await waitFor(
      async () => ((await messageStates(produced)).filter((m) => m.state === 'sent').length >= 8 ? true : undefined),
      30_000,
      'first deliveries',
    );
    const suspended = await api('POST', '/v1/incidents/suspend', {
      reason: 'Подозрение на компрометацию АРМ формирования',
      personId: DEV_PERSON_ID,
    });
    receivedAtSuspension = peer.received.length;
    expect(suspended.status, JSON.stringify(suspended.body)).toBe(200);
    incidentId = suspended.body.id;
    suspendedAt = new Date(suspended.body.suspendedAt);
    expect(suspended.body).toMatchObject({ state: 'suspended', resendRequired: false, personId: DEV_PERSON_ID });
    // The stream goes on for a while after the moment: everything arriving now is annulled.
    await new Promise((r) => setTimeout(r, 700));
    producing = false;
    await producer;

    const rows = await waitFor(
      async () => {
        const states = await messageStates(produced);
        return states.length === produced.length && states.every((m) => m.state !== 'delivering') ? states : undefined;
      },
      30_000,
      'every hand-over recorded and settled',
    );
    const exact = (
      await h.db.pool.query<{ suspended_at: Date; annulled: number }>(
        'select suspended_at, annulled from incidents where id = $1',
        [incidentId],
      )
    ).rows[0];
    expect(exact?.suspended_at.getTime()).toBe(suspendedAt.getTime());

    // Nothing reached the Bank of Russia after the moment.
    expect(peer.received.length).toBe(receivedAtSuspension);
    for (const receipt of peer.received) expect(receipt.receivedAt).toBeLessThanOrEqual(suspendedAt.getTime());

    const sent = rows.filter((m) => m.state === 'sent');
    const annulled = rows.filter((m) => m.state === 'annulled');
    expect(sent.length + annulled.length).toBe(produced.length);
    expect(sent.length).toBeGreaterThanOrEqual(8);
    expect(annulled.length).toBeGreaterThan(0);
    for (const m of sent) expect(m.sent_at?.getTime()).toBeLessThanOrEqual(suspendedAt.getTime());
    for (const m of annulled) {
      expect(m.annulled_at?.getTime()).toBeGreaterThanOrEqual(suspendedAt.getTime());
      expect(m.code).toBe('EXCHANGE_SUSPENDED');
    }
    // Every sent message was received exactly once; every receipt is a sent message.
    const refs = new Set(peer.received.map((r) => r.edRef));
    expect(refs.size).toBe(peer.received.length);
    expect(exact?.annulled).toBe(annulled.length);

    // The back office learns each annulment, with the code and what to do.
    for (const m of annulled) {
      const status = (await waitFor(() => h.t2c(m.order_id, 'annulled'), 10_000, 'annulled status')) as StatusPayload;
      expect(status.code).toBe('EXCHANGE_SUSPENDED');
      expect(status.reason).toContain('send a new order');
    }
    const states = (
      await waitFor(async () => {
        const all = await exchangeMessages();
        return all.some((m) => m.state === 'suspended') ? all : undefined;
      })
    ).map((m) => m.state);
    expect(states).toEqual(['suspending', 'suspended']);

    const events = await auditEvents('incident.message-annulled');
    expect(new Set(events.map((e) => e.order_id))).toEqual(new Set(annulled.map((m) => m.order_id)));
    for (const type of [
      'incident.suspend-requested',
      'incident.suspended',
      'signature.made',
      'incident.request-sent',
      'answer.received',
    ]) {
      expect((await auditEvents(type)).length, type).toBeGreaterThan(0);
    }
  }, 90_000);

  it('sends the Bank of Russia the request signed by the person; openssl verifies it, the requisites are all there', async () => {
    const status = (await api('GET', '/v1/incidents', undefined, h.keys.security.key)).body as unknown as {
      exchange: { state: string; incidentId: string };
      current: IncidentView;
    };
    expect(status.exchange).toMatchObject({ state: 'suspended', incidentId });
    const request = status.current.requests[0];
    expect(request).toMatchObject({ kind: 'suspend', status: 'answered', signedOn: 'server', resendRequired: false });
    const received = cbrRequests.find((r) => r.requestId === request?.id);
    if (!received) throw new Error('the Bank of Russia did not get the request');
    const checked = opensslVerifiesRequest(received.document, received.signature);
    expect(checked.status, checked.output).toBe(0);
    const document = parseRequestDocument(received.document);
    if (!document.ok) throw new Error(document.code);
    expect(document.value).toMatchObject({
      kind: 'suspend',
      participant: PARTICIPANT,
      incident: { id: incidentId, reason: 'Подозрение на компрометацию АРМ формирования' },
      authorisedPerson: {
        id: DEV_PERSON_ID,
        fullName: 'Иванов Иван Иванович',
        phone: '+7 (495) 000-00-00',
        fax: '+7 (495) 000-00-01',
        email: 'incident@dev.twincontour.invalid',
      },
    });
  });

  it('refuses a second suspension and keeps the exchange stopped', async () => {
    const again = await api('POST', '/v1/incidents/suspend', { reason: 'again', personId: DEV_PERSON_ID });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('INC_ALREADY_SUSPENDED');
  });

  it('resumes only on the Bank of Russia answer; annulled messages are never delivered, new ones flow end to end', async () => {
    const resumed = await api('POST', '/v1/incidents/resume', {});
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
    expect(resumed.body.state).toBe('resumed');
    expect(await exchangeState()).toBe('running');
    expect(cbrSuspended).toBe(false);
    const resumeRequest = resumed.body.requests.find((r) => r.kind === 'resume');
    const received = cbrRequests.find((r) => r.requestId === resumeRequest?.id);
    if (!received) throw new Error('no cancellation request reached the Bank of Russia');
    expect(opensslVerifiesRequest(received.document, received.signature).status).toBe(0);
    expect((await auditEvents('incident.resumed')).length).toBe(1);

    // A late retry of an annulled hand-over is not delivered.
    const annulled = (await messageStates(produced)).filter((m) => m.state === 'annulled');
    const before = peer.received.length;
    const first = annulled[0];
    if (!first) throw new Error('no annulled message');
    const job = await h.runtime.queues.c2t.getJob(`c2t-${first.order_id}`);
    const outcome = await h.runtime.c2t.handleC2t(job?.data, `retry-${first.order_id}`);
    expect(outcome.kind).toBe('duplicate-message');

    const orderId = `after-${randomUUID()}`;
    await handOver(orderId);
    await waitFor(() => h.t2c(orderId, 'sent'), 15_000, 'a delivery after the resume');
    expect(peer.received.length).toBe(before + 1);
    expect((await messageStates([first.order_id]))[0]?.state).toBe('annulled');

    const states = (await exchangeMessages()).map((m) => m.state);
    expect(states.slice(-2)).toEqual(['resuming', 'running']);
    const metrics = await h.app.inject({ url: '/metrics', headers: { 'x-api-key': h.keys.ops.key } });
    expect(metrics.body).toMatch(/transport_exchange_state\{state="running"[^}]*\} 1\n/);
    expect(metrics.body).toMatch(/transport_incident_requests_total\{kind="suspend",result="answered"[^}]*\} 1\n/);
  });
});

describe('the reserve channel (802-П пп. 19.1, 19.4)', () => {
  it('makes the printable copy when the main channel fails, counts it, and re-sends once the channel works', async () => {
    await peer.close();
    const suspended = await api('POST', '/v1/incidents/suspend', {
      reason: 'Несанкционированный доступ к ключу транспорта',
      personId: DEV_PERSON_ID,
    });
    expect(suspended.status, JSON.stringify(suspended.body)).toBe(202);
    expect(suspended.body).toMatchObject({ state: 'suspending', resendRequired: true });
    const request = suspended.body.requests[0];
    if (!request) throw new Error('no request');
    expect(request).toMatchObject({ status: 'needs-resend', resendRequired: true });
    expect(request.reserveCopy?.url).toBe(`/v1/incidents/${suspended.body.id}/requests/${request.id}/pdf`);
    expect(await exchangeState()).toBe('suspending');
    expect(await incidents().awaitingResend()).toBe(1);
    const scraped = await h.app.inject({ url: '/metrics', headers: { 'x-api-key': h.keys.ops.key } });
    expect(scraped.body).toMatch(/transport_incident_requests_awaiting_resend(\{[^}]*\})? 1\n/);
    expect(scraped.body).toMatch(
      /transport_incident_requests_total\{kind="suspend",result="channel-failed"[^}]*\} 1\n/,
    );

    const pdf = await h.app.inject({
      url: request.reserveCopy?.url ?? '',
      headers: { 'x-api-key': h.keys.security.key },
    });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const bytes = pdf.rawPayload;
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(bytes.subarray(-6).toString('latin1')).toContain('%%EOF');
    const text = squash(pdfText(bytes));
    for (const requisite of [
      'Обращение о приостановлении обмена электронными сообщениями',
      PARTICIPANT.name,
      PARTICIPANT.bic,
      PARTICIPANT.uic,
      'Несанкционированный доступ к ключу транспорта',
      'Иванов Иван Иванович',
      'Заместитель начальника управления информационной безопасности',
      '+7 (495) 000-00-00',
      '+7 (495) 000-00-01',
      'incident@dev.twincontour.invalid',
      request.id,
      request.signer.serial,
      request.signer.thumbprint,
      request.documentSha256,
      request.signatureSha256,
      'М.П.',
    ]) {
      expect(text, requisite).toContain(squash(requisite));
    }
    for (const type of ['incident.request-failed', 'incident.reserve-copy']) {
      expect((await auditEvents(type)).length, type).toBeGreaterThan(0);
    }

    // The main channel comes back: the loop sends the request again and the Bank of Russia answers.
    peer = await startPeer(h.pki, { ...peerOptions, port: peerPort });
    incidents().start();
    const answered = await waitFor(
      async () => {
        const view = await incidents().incident(suspended.body.id);
        return view?.requests[0]?.status === 'answered' ? view : undefined;
      },
      20_000,
      'the re-send through the main channel',
    );
    await incidents().close();
    expect(answered).toMatchObject({ state: 'suspended', resendRequired: false });
    expect(answered.requests[0]?.attempts).toBeGreaterThanOrEqual(2);
    expect(answered.requests[0]?.reserveCopy).not.toBeNull();
    expect(await incidents().awaitingResend()).toBe(0);
    expect(await exchangeState()).toBe('suspended');
    expect(cbrRequests.some((r) => r.requestId === request.id)).toBe(true);
    const sent = await auditEvents('incident.request-sent');
    expect(sent.some((e) => (e.details as { resent?: boolean }).resent === true)).toBe(true);
  }, 60_000);

  it('resumes with a cancellation the person signed with their own tool (openssl), posted signed', async () => {
    const draft = await api('POST', '/v1/incidents/requests/draft', { kind: 'resume', personId: DEV_PERSON_ID });
    expect(draft.status).toBe(200);
    const dir = mkdtempSync(join(h.work, 'person-'));
    const docPath = join(dir, 'request.json');
    writeFileSync(docPath, Buffer.from(draft.body.documentBase64 as string, 'base64'));
    const layout = readDevLayout(h.pki);
    if (!layout.ok) throw new Error(layout.code);
    const files = layout.value.identities['authorised-person'];
    const signed = spawnSync('openssl', [
      'cms',
      '-sign',
      '-binary',
      '-in',
      docPath,
      '-signer',
      join(h.pki, files.certificate),
      '-inkey',
      join(h.pki, files.key),
      '-passin',
      `file:${join(h.pki, files.passphraseFile)}`,
      '-md',
      'sha256',
      '-outform',
      'DER',
      '-out',
      join(dir, 'request.p7s'),
    ]);
    expect(signed.status, signed.stderr.toString()).toBe(0);
    const resumed = await api('POST', '/v1/incidents/resume', {
      personId: DEV_PERSON_ID,
      documentBase64: draft.body.documentBase64,
      signatureBase64: readFileSync(join(dir, 'request.p7s')).toString('base64'),
    });
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
    expect(resumed.body.requests.find((r) => r.kind === 'resume')?.signedOn).toBe('client');
    expect(await exchangeState()).toBe('running');
    // The same signed request cannot be posted twice.
    const replay = await api('POST', '/v1/incidents/requests/draft', { kind: 'resume', personId: DEV_PERSON_ID });
    expect(replay.body.code).toBe('INC_NOT_SUSPENDED');
  });

  it('keeps the whole history in GET /v1/incidents', async () => {
    const status = (await api('GET', '/v1/incidents')).body as unknown as {
      exchange: { state: string };
      current: unknown;
      incidents: IncidentView[];
      resendRequired: boolean;
    };
    expect(status.exchange.state).toBe('running');
    expect(status.current).toBeNull();
    expect(status.resendRequired).toBe(false);
    expect(status.incidents.map((i) => i.state)).toEqual(['resumed', 'resumed']);
    expect(status.incidents.every((i) => i.requests.length === 2)).toBe(true);
  });
});
