import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSoftwareSigner,
  devInit,
  encryptFor,
  issueDevCertificate,
  loadSigner,
  readDevIdentity,
  type Signer,
  signDetached,
  verifyDetached,
} from '@twincontour/crypto';
import { opensslCmsVerify } from '@twincontour/crypto/testing';
import {
  createIdentityRegistry,
  createLogger,
  createTestDatabase,
  generateApiKey,
  migrate,
  type TestDatabase,
} from '@twincontour/platform';
import type { EdIdentity } from '@twincontour/ufebs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelopeStore } from './adapters/files.js';
import { loadSimulatorKeys, type SimulatorKeys, tlsIdentity } from './adapters/keys.js';
import { createMtlsServer } from './adapters/mtls-server.js';
import { answersAfter } from './adapters/repository.js';
import { buildApp } from './app.js';
import { createIncidentDesk, type IncidentDesk } from './incidents.js';
import { createIntake, sha256Hex } from './intake.js';
import { createSimulatorRuntime, type SimulatorRuntime } from './runtime.js';
import { type ClientTls, caFile, exchangeRequest, participantEnvelope, waitFor } from './testing.js';

// 802-П п. 19–19.5 at the simulated Bank of Russia: a suspension request from an authorised person annuls
// what is held unexecuted and closes the exchange until a cancellation request; a request that does not
// verify is not taken, and the participant is told in a signed answer.

const MIGRATIONS_DIR = join(import.meta.dirname, '..', 'migrations');
const PARTICIPANT = 'dev-bank';
/** Long enough that an accepted ED is still unexecuted when the suspension comes. */
const DELAY_MS = 1_500;

let work: string;
let pki: string;
let db: TestDatabase;
let keys: SimulatorKeys;
let formation: Signer;
let control: Signer;
let person: Signer;
let personThumbprint: string;
let desk: IncidentDesk;
let runtime: SimulatorRuntime;
let server: Server;
let port: number;
let app: FastifyInstance;
let clientTls: ClientTls;
const ops = generateApiKey();
let edCounter = 9000;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'cbr-sim-inc-'));
  pki = join(work, 'pki');
  const init = await devInit(pki);
  if (!init.ok) throw new Error(init.code);
  db = await createTestDatabase();
  const migrated = await migrate({ pool: db.pool, dir: MIGRATIONS_DIR, scope: 'app' });
  if (!migrated.ok) throw new Error(migrated.code);
  const loaded = await loadSimulatorKeys({ pkiDir: pki });
  if (!loaded.ok) throw new Error(loaded.message);
  keys = loaded.value;
  const f = await loadSigner('formation', { pkiDir: pki });
  const c = await loadSigner('control', { pkiDir: pki });
  const p = await readDevIdentity(pki, 'authorised-person');
  const transport = await readDevIdentity(pki, 'transport');
  if (!f.ok || !c.ok || !p.ok || !transport.ok) throw new Error('dev identities');
  formation = f.value;
  control = c.value;
  person = createSoftwareSigner(p.value.privateKey, p.value.certificateDer);
  personThumbprint = p.value.thumbprint.replaceAll(':', '').toLowerCase();
  clientTls = {
    key: transport.value.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: transport.value.certificatePem,
    ca: readFileSync(caFile(pki), 'utf8'),
  };
  const logger = createLogger({ service: 'cbr-simulator-test', level: 'silent' });
  const intake = createIntake({
    pool: db.pool,
    logger,
    signer: keys.signer,
    recipient: { privateKey: keys.privateKey, certificateDer: keys.certificateDer },
    validator: keys.trust,
    sigMode: 'zk+ka',
    participant: PARTICIPANT,
    edAuthor: '4583001999',
    ed206DelayMs: DELAY_MS,
    store: createEnvelopeStore(join(work, 'store')),
    onQueued: () => runtime.nudge(),
  });
  desk = createIncidentDesk({
    pool: db.pool,
    logger,
    signer: keys.signer,
    validator: keys.trust,
    participant: PARTICIPANT,
  });
  runtime = createSimulatorRuntime({ pool: db.pool, logger, participant: PARTICIPANT, publishMs: 50 });
  runtime.start();
  server = createMtlsServer({
    tls: tlsIdentity(keys),
    participantThumbprint: sha256Hex(keys.participantCertificate),
    participantCertificate: keys.participantCertificate,
    validator: keys.trust,
    intake,
    answersAfter: (after, limit) => answersAfter(db.pool, PARTICIPANT, after, limit),
    bodyLimit: 1024 * 1024,
    logger,
    incidents: desk,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const registry = createIdentityRegistry([{ id: 'ops-1', role: 'ops', contour: 'cbr', keySha256: ops.keySha256 }]);
  if (!registry.ok) throw new Error(registry.code);
  app = await buildApp({ logger, identities: registry.value, pool: db.pool, incidents: desk });
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server?.close(() => resolve());
    server?.closeAllConnections();
  });
  await runtime?.close();
  await app?.close();
  await db?.drop();
  rmSync(work, { recursive: true, force: true });
});

async function postEnvelope(): Promise<{ status: number; body: Record<string, unknown>; ed: EdIdentity }> {
  const { envelope, ed } = await participantEnvelope({
    edNo: String(edCounter++),
    formation,
    secondZk: control,
    ka: control,
  });
  const res = await exchangeRequest(port, clientTls, {
    method: 'POST',
    path: '/v1/exchange',
    headers: { 'content-type': 'application/cms', 'x-ed-ref': `${ed.edAuthor}-${ed.edDate}-${ed.edNo}` },
    body: await encryptFor(envelope, keys.certificateDer),
  });
  return { status: res.status, body: res.body, ed };
}

/** A request as transport sends it: the person's document and their detached signature over it. */
async function request(kind: 'suspend' | 'resume', signer: Signer = person, requestId = randomUUID()) {
  const document = Buffer.from(
    JSON.stringify({
      type: 'twincontour.incident-request',
      version: 1,
      requestId,
      kind,
      participant: { name: 'Dev bank', bic: '044525545', uic: '4525545000' },
      incident: { id: randomUUID(), reason: 'test' },
      authorisedPerson: { id: 'dev-authorised-person', certificate: { thumbprint: personThumbprint } },
      createdAt: new Date().toISOString(),
    }),
  );
  const signature = await signDetached(document, signer);
  const body = Buffer.from(
    JSON.stringify({
      requestId,
      kind,
      documentBase64: document.toString('base64'),
      signatureBase64: Buffer.from(signature).toString('base64'),
    }),
  );
  const res = await exchangeRequest(port, clientTls, {
    method: 'POST',
    path: '/v1/exchange/incident',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return { ...res, requestId, document, signature };
}

/** The answer's document, after checking the simulator's (cbr) signature over it. */
async function signedAnswer(body: Record<string, unknown>) {
  const answer = Buffer.from(String(body.answerBase64), 'base64');
  const signature = Buffer.from(String(body.signatureBase64), 'base64');
  const report = await verifyDetached(signature, answer, { validator: keys.trust, expectedContours: ['cbr'] });
  expect(report.ok, report.code).toBe(true);
  const dir = mkdtempSync(join(work, 'answer-'));
  writeFileSync(join(dir, 'answer.json'), answer);
  writeFileSync(join(dir, 'answer.der'), signature);
  const openssl = opensslCmsVerify(join(dir, 'answer.der'), join(dir, 'answer.json'), caFile(pki));
  expect(openssl.status, openssl.output).toBe(0);
  return JSON.parse(answer.toString('utf8')) as Record<string, unknown>;
}

async function state(id: string): Promise<string | undefined> {
  const result = await db.pool.query<{ state: string }>(
    'select state from received where participant = $1 and ed_no = $2',
    [PARTICIPANT, id],
  );
  return result.rows[0]?.state;
}

describe('suspension of the exchange (802-П п. 19)', () => {
  let held: EdIdentity;

  it('annuls what it holds unexecuted (no ED206 follows), answers signed, and refuses every envelope', async () => {
    const posted = await postEnvelope();
    expect(posted.status).toBe(202);
    held = posted.ed;
    expect(await state(held.edNo)).toBe('accepted');

    const suspended = await request('suspend');
    expect(suspended.status).toBe(200);
    const answer = await signedAnswer(suspended.body);
    expect(answer).toMatchObject({
      type: 'cbr.incident-answer',
      requestId: suspended.requestId,
      kind: 'suspend',
      decision: 'accepted',
      exchange: 'suspended',
      annulled: 1,
    });
    expect(await state(held.edNo)).toBe('annulled');

    const refused = await postEnvelope();
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('SIM_EXCHANGE_SUSPENDED');
    expect(await state(refused.ed.edNo)).toBeUndefined();

    // The ED206 of the annulled ED never comes, however long one waits past its delay.
    await new Promise((r) => setTimeout(r, DELAY_MS + 300));
    await runtime.publishOnce();
    const published = await db.pool.query(
      `select 1 from answers a join received r on r.id = a.received_id
        where r.ed_no = $1 and a.kind = 'ED206' and a.seq is not null`,
      [held.edNo],
    );
    expect(published.rowCount).toBe(0);
    expect(await state(held.edNo)).toBe('annulled');
  });

  it('keeps the suspension in PostgreSQL: another desk (a restart) still refuses', async () => {
    const restarted = createIncidentDesk({
      pool: db.pool,
      logger: createLogger({ service: 'cbr-simulator-test', level: 'silent' }),
      signer: keys.signer,
      validator: keys.trust,
      participant: PARTICIPANT,
    });
    expect(await restarted.suspended()).toBe(true);
  });

  it('does not take a request whose signature is not an authorised person’s, and says so in a signed answer', async () => {
    const transportSigner = await loadSigner('transport', { pkiDir: pki });
    if (!transportSigner.ok) throw new Error(transportSigner.code);
    const wrongContour = await request('resume', transportSigner.value);
    expect(wrongContour.status).toBe(422);
    expect(wrongContour.body.code).toBe('SIM_INCIDENT_BAD_SIGNATURE');
    expect(await signedAnswer(wrongContour.body)).toMatchObject({ decision: 'refused', exchange: 'suspended' });

    // A valid authorised-person certificate, but not the person the document names.
    const other = await issueDevCertificate(pki, { contour: 'authorised-person' });
    const impostor = await request('resume', createSoftwareSigner(other.privateKey, other.certificateDer));
    expect(impostor.status).toBe(422);
    expect(impostor.body.code).toBe('SIM_INCIDENT_BAD_DOCUMENT');
    expect(await desk.suspended()).toBe(true);
  });

  it('answers a re-sent request with the same signed answer, and does nothing twice', async () => {
    const view = await desk.view();
    const first = view.requests.find((r) => r.kind === 'suspend');
    if (!first) throw new Error('no suspend request');
    const stored = await db.pool.query<{ document: Buffer; signature: Buffer; answer: Buffer }>(
      'select document, signature, answer from incident_requests where id = $1',
      [first.id],
    );
    const row = stored.rows[0];
    if (!row) throw new Error('not stored');
    const again = await exchangeRequest(port, clientTls, {
      method: 'POST',
      path: '/v1/exchange/incident',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(
        JSON.stringify({
          requestId: first.id,
          kind: 'suspend',
          documentBase64: row.document.toString('base64'),
          signatureBase64: row.signature.toString('base64'),
        }),
      ),
    });
    expect(again.status).toBe(200);
    expect(Buffer.from(String(again.body.answerBase64), 'base64').equals(row.answer)).toBe(true);
    expect((await desk.view()).requests.filter((r) => r.kind === 'suspend')).toHaveLength(1);
  });

  it('refuses malformed requests (400) and shows the state to ops', async () => {
    const bad = await exchangeRequest(port, clientTls, {
      method: 'POST',
      path: '/v1/exchange/incident',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"kind":"suspend"}'),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('SIM_BAD_REQUEST');
    const shown = await app.inject({ url: '/v1/incidents', headers: { 'x-api-key': ops.key } });
    expect(shown.statusCode).toBe(200);
    expect(shown.json().suspension).toMatchObject({ participant: PARTICIPANT, state: 'suspended' });
    expect(shown.json().requests.map((r: { decision: string }) => r.decision)).toEqual([
      'accepted',
      'refused',
      'refused',
    ]);
  });

  it('takes envelopes again after the cancellation request; the annulled ED stays annulled', async () => {
    const resumed = await request('resume');
    expect(resumed.status).toBe(200);
    expect(await signedAnswer(resumed.body)).toMatchObject({
      kind: 'resume',
      decision: 'accepted',
      exchange: 'running',
    });
    const posted = await postEnvelope();
    expect(posted.status).toBe(202);
    await waitFor(async () => ((await state(posted.ed.edNo)) === 'executed' ? true : undefined), 10_000, 'ED206');
    expect(await state(held.edNo)).toBe('annulled');
  });
});
