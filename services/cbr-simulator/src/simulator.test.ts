import type { KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decrypt,
  devInit,
  encryptFor,
  loadSigner,
  readDevIdentity,
  readDevLayout,
  type Signer,
  verifyEnvelope,
  verifyZks,
} from '@twincontour/crypto';
import {
  createIdentityRegistry,
  createLogger,
  createTestDatabase,
  generateApiKey,
  migrate,
  type TestDatabase,
} from '@twincontour/platform';
import { type Ed201, type Ed206, type EdIdentity, parseEd, xsdValidate } from '@twincontour/ufebs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelopeStore } from './adapters/files.js';
import { loadSimulatorKeys, type SimulatorKeys, tlsIdentity } from './adapters/keys.js';
import { createMtlsServer } from './adapters/mtls-server.js';
import { answersAfter } from './adapters/repository.js';
import { buildApp } from './app.js';
import { createIntake, type Intake, sha256Hex } from './intake.js';
import { createSimulatorRuntime, type SimulatorRuntime } from './runtime.js';
import {
  type ClientTls,
  caFile,
  exchangeRequest,
  openssl,
  opensslVerifyEnvelope,
  participantEnvelope,
  waitFor,
} from './testing.js';

const MIGRATIONS_DIR = join(import.meta.dirname, '..', 'migrations');
const DELAY_MS = 300;
const PARTICIPANT = 'dev-bank';

let work: string;
let pki: string;
let db: TestDatabase;
let keys: SimulatorKeys;
let formation: Signer;
let control: Signer;
let transportKey: KeyObject;
let transportCert: Uint8Array;
let intake: Intake;
let runtime: SimulatorRuntime;
let server: Server;
let port: number;
let app: FastifyInstance;
let clientTls: ClientTls;
const ops = generateApiKey();
let edCounter = 5000;
const nextEdNo = () => String(edCounter++);

/** A decrypted, verified answer. */
interface Opened {
  seq: number;
  envelope: Uint8Array;
  file: Uint8Array;
  ed: Ed201 | Ed206;
}

let cursor = 0;
const fetched: Opened[] = [];

/** Fetches every new answer over mTLS, decrypts it with packages/crypto and verifies КА and ЗК (contour cbr). */
async function fetchAnswers(): Promise<void> {
  const res = await exchangeRequest(port, clientTls, { method: 'GET', path: `/v1/exchange/answers?after=${cursor}` });
  expect(res.status).toBe(200);
  const items = res.body.items as { id: string; envelopeBase64: string }[];
  for (const item of items) {
    const opened = await decrypt(
      new Uint8Array(Buffer.from(item.envelopeBase64, 'base64')),
      transportKey,
      transportCert,
    );
    if (!opened.ok) throw new Error(opened.code);
    const ka = await verifyEnvelope(opened.value, { validator: keys.trust, expectedContours: ['cbr'] });
    expect(ka.ok, ka.ok ? '' : ka.code).toBe(true);
    if (!ka.ok) continue;
    const zk = await verifyZks(ka.file, { validator: keys.trust, expectedContours: ['cbr'] });
    expect(zk.ok, zk.code).toBe(true);
    const ed = parseEd(ka.file);
    if (!ed.ok || (ed.value.kind !== 'ED201' && ed.value.kind !== 'ED206')) throw new Error('not an answer ED');
    fetched.push({ seq: Number(item.id), envelope: opened.value, file: ka.file, ed: ed.value });
  }
  cursor = Number(res.body.next);
}

const sameRef = (a: EdIdentity | undefined, b: EdIdentity) =>
  a !== undefined && a.edNo === b.edNo && a.edDate === b.edDate && a.edAuthor === b.edAuthor;

async function answerFor(kind: 'ED201' | 'ED206', ref: EdIdentity, timeoutMs = 5_000): Promise<Opened> {
  return waitFor(
    async () => {
      const found = fetched.find((a) => a.ed.kind === kind && sameRef(a.ed.edRefId, ref));
      if (found) return found;
      await fetchAnswers();
      return fetched.find((a) => a.ed.kind === kind && sameRef(a.ed.edRefId, ref));
    },
    timeoutMs,
    `${kind} for ${ref.edNo}`,
  );
}

async function post(envelope: Uint8Array, ed?: EdIdentity, tls = clientTls) {
  const body = await encryptFor(envelope, keys.certificateDer);
  return exchangeRequest(port, tls, {
    method: 'POST',
    path: '/v1/exchange',
    headers: {
      'content-type': 'application/cms',
      ...(ed ? { 'x-ed-ref': `${ed.edAuthor}-${ed.edDate}-${ed.edNo}` } : {}),
    },
    body,
  });
}

async function count(): Promise<Record<string, unknown>> {
  const res = await app.inject({ method: 'GET', url: '/v1/received/count', headers: { 'x-api-key': ops.key } });
  expect(res.statusCode).toBe(200);
  return res.json();
}

async function received(): Promise<Record<string, unknown>[]> {
  const res = await app.inject({ method: 'GET', url: '/v1/received?limit=1000', headers: { 'x-api-key': ops.key } });
  expect(res.statusCode).toBe(200);
  return res.json().items;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'cbr-sim-'));
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
  if (!f.ok || !c.ok) throw new Error('signers');
  formation = f.value;
  control = c.value;
  const transport = await readDevIdentity(pki, 'transport');
  if (!transport.ok) throw new Error(transport.code);
  transportKey = transport.value.privateKey;
  transportCert = transport.value.certificateDer;
  clientTls = {
    key: transportKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: transport.value.certificatePem,
    ca: readFileSync(caFile(pki), 'utf8'),
  };

  const logger = createLogger({ service: 'cbr-simulator-test', level: 'silent' });
  intake = createIntake({
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
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const registry = createIdentityRegistry([{ id: 'ops-1', role: 'ops', contour: 'cbr', keySha256: ops.keySha256 }]);
  if (!registry.ok) throw new Error(registry.code);
  app = await buildApp({ logger, identities: registry.value, pool: db.pool });
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

describe('a valid envelope', () => {
  it('is answered with a signed ED201 0000, then after the delay with a signed ED206, both over mTLS', async () => {
    const { envelope, ed } = await participantEnvelope({ edNo: nextEdNo(), formation, secondZk: control, ka: control });
    const sentAt = Date.now();
    const res = await post(envelope, ed);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ ctrlCode: '0000', ed: { ...ed, kind: 'ED101' } });

    const ed201 = await answerFor('ED201', ed);
    expect(ed201.ed).toMatchObject({
      kind: 'ED201',
      ctrlCode: '0000',
      edAuthor: '4583001999',
      edReceiver: ed.edAuthor,
    });
    const ed206 = await answerFor('ED206', ed);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(DELAY_MS);
    expect(ed206.seq).toBeGreaterThan(ed201.seq);
    expect(ed206.ed).toMatchObject({
      kind: 'ED206',
      dc: '1',
      sum: '12500000',
      bicCorr: '044525593',
      accDoc: { accDocNo: '1482', accDocDate: '2025-04-15' },
      edRefId: ed,
    });
    expect((ed206.ed as Ed206).transDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    for (const answer of [ed201, ed206]) {
      // Every answer ED validates against the official XSD…
      const xsd = await xsdValidate(answer.file);
      expect(xsd.ok, xsd.output).toBe(true);
      // …and its ЗК and КА verify with openssl, the independent peer.
      const dir = mkdtempSync(join(work, 'verify-'));
      const checked = opensslVerifyEnvelope(answer.envelope, pki, dir);
      // One ЗК (the Bank of Russia's), then the КА.
      expect(checked).toHaveLength(2);
      for (const r of checked) expect(r.status, r.output).toBe(0);
    }

    // What was received is in PostgreSQL and in the store folder, byte for byte.
    const row = (await received()).find((r) => r.id === res.body.id);
    expect(row).toMatchObject({ channel: 'https', state: 'executed', ctrlCode: '0000', sha256: sha256Hex(envelope) });
    expect(row?.checks).toMatchObject({
      ka: { ok: true },
      zk: { ok: true },
      xsd: { ok: true },
      duplicate: { ok: true },
    });
    expect(sha256Hex(readFileSync(String(row?.path)))).toBe(sha256Hex(envelope));
  });

  it('opens with `openssl cms -decrypt` using the transport key', async () => {
    const { envelope, ed } = await participantEnvelope({ edNo: nextEdNo(), formation, secondZk: control, ka: control });
    expect((await post(envelope, ed)).status).toBe(202);
    await answerFor('ED201', ed);
    const res = await exchangeRequest(port, clientTls, {
      method: 'GET',
      path: `/v1/exchange/answers?after=0&limit=1000`,
    });
    const last = (res.body.items as { envelopeBase64: string }[]).at(-1);
    const encrypted = join(work, 'answer.p7m');
    writeFileSync(encrypted, Buffer.from(String(last?.envelopeBase64), 'base64'));
    const layout = readDevLayout(pki);
    if (!layout.ok) throw new Error(layout.code);
    const files = layout.value.identities.transport;
    const out = openssl([
      'cms',
      '-decrypt',
      '-binary',
      '-inform',
      'DER',
      '-in',
      encrypted,
      '-recip',
      join(pki, files.certificate),
      '-inkey',
      join(pki, files.key),
      '-passin',
      `file:${join(pki, files.passphraseFile)}`,
    ]);
    expect(out.status, out.output).toBe(0);
    const ka = await verifyEnvelope(new Uint8Array(out.stdout), { validator: keys.trust, expectedContours: ['cbr'] });
    expect(ka.ok).toBe(true);
  });
});

describe('refusals', () => {
  it('answers 0101 to a correctly signed ED that breaks the XSD', async () => {
    const { envelope, ed } = await participantEnvelope({
      edNo: nextEdNo(),
      formation,
      secondZk: control,
      ka: control,
      // An attribute the schema does not know, added before any signature: every signature is valid.
      beforeSigning: (xml) => xml.replace('<ED101 ', '<ED101 Urgency="high" '),
    });
    const res = await post(envelope, ed);
    expect(res.body.ctrlCode).toBe('0101');
    const answer = await answerFor('ED201', ed);
    expect(answer.ed).toMatchObject({ ctrlCode: '0101', edRefId: ed });
    expect((answer.ed as Ed201).errorDiagnostic).toContain('Urgency');
    expect((await xsdValidate(answer.file)).ok).toBe(true);
    const row = (await received()).find((r) => r.id === res.body.id);
    expect(row).toMatchObject({
      state: 'rejected',
      checks: { ka: { ok: true }, zk: { ok: true }, xsd: { ok: false } },
    });
  });

  it.each([
    ['an ED changed after its ЗК', { afterZk: (xml: string) => xml.replace('Sum="12500000"', 'Sum="92500000"') }, 'zk'],
    ['a second ЗК from the formation contour', { secondZk: 'formation' }, 'zk'],
    ['a single ЗК (control’s missing)', { secondZk: null }, 'zk'],
    ['a КА by the formation contour', { ka: 'formation' }, 'ka'],
  ] as const)('answers 0202 to %s', async (_name, change, failed) => {
    const pick = (s: 'formation' | null | undefined, fallback: Signer) =>
      s === undefined ? fallback : s === null ? null : formation;
    const c = change as { afterZk?: (x: string) => string; secondZk?: 'formation' | null; ka?: 'formation' };
    const { envelope, ed } = await participantEnvelope({
      edNo: nextEdNo(),
      formation,
      secondZk: pick(c.secondZk, control),
      ka: c.ka ? formation : control,
      ...(c.afterZk ? { afterZk: c.afterZk } : {}),
    });
    const res = await post(envelope, ed);
    expect(res.status).toBe(202);
    expect(res.body.ctrlCode).toBe('0202');
    const answer = await answerFor('ED201', ed);
    expect(answer.ed).toMatchObject({ ctrlCode: '0202', edRefId: ed });
    const row = (await received()).find((r) => r.id === res.body.id);
    const checks = (row?.checks ?? {}) as Record<string, { ok: boolean; code?: string }>;
    expect(checks[failed]).toMatchObject({ ok: false });
    expect(String(checks[failed]?.code)).toMatch(/^SIG_/);
  });

  it('answers 0303 to the same ED twice: both attempts are received, one is accepted', async () => {
    const before = await count();
    const edNo = nextEdNo();
    const first = await participantEnvelope({ edNo, formation, secondZk: control, ka: control });
    const again = await participantEnvelope({ edNo, formation, secondZk: control, ka: control });
    expect(sha256Hex(first.envelope)).not.toBe(sha256Hex(again.envelope));
    expect((await post(first.envelope, first.ed)).body.ctrlCode).toBe('0000');
    const second = await post(again.envelope, again.ed);
    expect(second.status).toBe(202);
    expect(second.body.ctrlCode).toBe('0303');
    await answerFor('ED206', first.ed);
    const refs = fetched.filter((a) => a.ed.kind === 'ED201' && sameRef(a.ed.edRefId, first.ed));
    expect(refs.map((a) => (a.ed as Ed201).ctrlCode).sort()).toEqual(['0000', '0303']);
    // One ED206 only: the duplicate is never executed.
    await new Promise((resolve) => setTimeout(resolve, DELAY_MS + 200));
    await fetchAnswers();
    expect(fetched.filter((a) => a.ed.kind === 'ED206' && sameRef(a.ed.edRefId, first.ed))).toHaveLength(1);
    const after = await count();
    expect(Number(after.total) - Number(before.total)).toBe(2);
    expect(Number(after.accepted) - Number(before.accepted)).toBe(1);
    expect(Number(after.rejected) - Number(before.rejected)).toBe(1);
  });

  it('treats a retry of the same envelope under the same X-Ed-Ref as the same delivery', async () => {
    const { envelope, ed } = await participantEnvelope({ edNo: nextEdNo(), formation, secondZk: control, ka: control });
    const body = await encryptFor(envelope, keys.certificateDer);
    const send = () =>
      exchangeRequest(port, clientTls, {
        method: 'POST',
        path: '/v1/exchange',
        headers: { 'content-type': 'application/cms', 'x-ed-ref': `${ed.edAuthor}-${ed.edDate}-${ed.edNo}` },
        body,
      });
    const first = await send();
    const before = await count();
    const retry = await send();
    expect(first.status).toBe(202);
    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect((await count()).total).toBe(before.total);
  });

  it('keeps an envelope that does not open, answers 422, and queues nothing', async () => {
    const before = await count();
    const res = await exchangeRequest(port, clientTls, {
      method: 'POST',
      path: '/v1/exchange',
      headers: { 'content-type': 'application/cms' },
      body: new Uint8Array(Buffer.from('not an EnvelopedData')),
    });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('SIM_ENVELOPE_UNREADABLE');
    const after = await count();
    expect(Number(after.unreadable) - Number(before.unreadable)).toBe(1);
  });

  it.each([
    ['a body that is not application/cms', { 'content-type': 'application/json' }, '/v1/exchange', 415],
    ['a malformed X-Ed-Ref', { 'content-type': 'application/cms', 'x-ed-ref': 'x' }, '/v1/exchange', 400],
    ['an unknown route', { 'content-type': 'application/cms' }, '/v1/other', 404],
  ])('refuses %s', async (_name, headers, path, status) => {
    const res = await exchangeRequest(port, clientTls, { method: 'POST', path, headers, body: new Uint8Array([1]) });
    expect(res.status).toBe(status);
    expect(String(res.body.code)).toMatch(/^SIM_/);
  });
});

describe('the mutually authenticated channel', () => {
  it('refuses a client without a certificate during the TLS handshake', async () => {
    await expect(
      exchangeRequest(port, { ca: clientTls.ca }, { method: 'GET', path: '/v1/exchange/answers' }),
    ).rejects.toThrow();
  });

  it('refuses with 403 a certificate of the same CA that is not the transport certificate', async () => {
    const controlId = await readDevIdentity(pki, 'control');
    if (!controlId.ok) throw new Error(controlId.code);
    const tls = {
      ca: clientTls.ca,
      key: controlId.value.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      cert: controlId.value.certificatePem,
    };
    const before = await count();
    const { envelope, ed } = await participantEnvelope({ edNo: nextEdNo(), formation, secondZk: control, ka: control });
    const res = await post(envelope, ed, tls);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('SIM_CLIENT_FORBIDDEN');
    const answers = await exchangeRequest(port, tls, { method: 'GET', path: '/v1/exchange/answers' });
    expect(answers.status).toBe(403);
    expect((await count()).total).toBe(before.total);
  });
});

describe('the ops API', () => {
  it('needs an ops key of contour cbr', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/received' })).statusCode).toBe(401);
    const doc = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(doc.json().info.description).toMatch(/SIMULATOR/);
  });

  it('lists every received envelope with its path, digest and answer CtrlCode', async () => {
    const items = await received();
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) {
      expect(readdirSync(join(work, 'store')).length).toBeGreaterThan(0);
      expect(sha256Hex(readFileSync(String(item.path)))).toBe(
        item.state === 'unreadable' ? item.wireSha256 : item.sha256,
      );
    }
  });
});

describe('annulment (802-П п. 19)', () => {
  it('never publishes the ED206 of an ED annulled before execution', async () => {
    const { envelope, ed } = await participantEnvelope({ edNo: nextEdNo(), formation, secondZk: control, ka: control });
    const res = await post(envelope, ed);
    expect(res.body.ctrlCode).toBe('0000');
    await db.pool.query(`update received set state = 'annulled', annulled_at = now() where id = $1`, [res.body.id]);
    await answerFor('ED201', ed);
    await new Promise((resolve) => setTimeout(resolve, DELAY_MS + 200));
    await runtime.publishOnce();
    await fetchAnswers();
    expect(fetched.some((a) => a.ed.kind === 'ED206' && sameRef(a.ed.edRefId, ed))).toBe(false);
  });
});
