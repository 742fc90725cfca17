import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSoftwareSigner,
  describeCertificate,
  devInit,
  issueDevCertificate,
  loadTrustConfigFromDir,
  loadTrustStore,
  readDevIdentity,
  revoke,
  type Signer,
  signDetached,
  type TrustStore,
} from '@twincontour/crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificatesInRecord, chainWithIssuers, createFactsCache, crlsForChain, sha256Hex } from './evidence.js';
import {
  INCIDENT_ANSWER_KIND,
  INCIDENT_REQUEST_KIND,
  type IncidentRequestBody,
  parseIncidentRequestBody,
  serializeIncidentRequestBody,
} from './incident.js';
import type { ArchiveCrlBlob, ArchivedRecord, ArchiveTrust } from './types.js';
import { archiveTrustStore, trustCertificates, verifyArchived, verifyArchivedSignatures } from './verify.js';

// Re-verification of incident requests and answers (802-П п. 19) as of their signing time (п. 11): the
// authorised person's detached signature over the request document, the Bank of Russia's over its answer.

const YEAR = 365.25 * 86_400_000;

let work: string;
let pki: string;
let trust: ArchiveTrust;
let live: TrustStore;
let person: Signer;
let personThumbprint: string;
let cbr: Signer;
const facts = createFactsCache();
let recordNo = 1;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tc-archive-incident-'));
  pki = join(work, 'pki');
  const init = await devInit(pki);
  if (!init.ok) throw new Error(init.code);
  const config = loadTrustConfigFromDir(pki);
  if (!config.ok) throw new Error(config.code);
  trust = { anchors: config.value.anchors, ...(config.value.pins ? { pins: config.value.pins } : {}) };
  const loaded = await loadTrustStore(pki);
  if (!loaded.ok) throw new Error(loaded.code);
  live = loaded.value;
  // As the incident service signs (createSoftwareSigner over the dev PKI's identity) and the simulator answers.
  const signers: Signer[] = [];
  for (const contour of ['authorised-person', 'cbr'] as const) {
    const identity = await readDevIdentity(pki, contour);
    if (!identity.ok) throw new Error(identity.code);
    signers.push(createSoftwareSigner(identity.value.privateKey, identity.value.certificateDer));
    if (contour === 'authorised-person') personThumbprint = identity.value.thumbprint;
  }
  [person, cbr] = signers as [Signer, Signer];
}, 60_000);

afterAll(() => {
  live?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function thumbprint(der: Uint8Array): string {
  const d = describeCertificate(der);
  if (!d.ok) throw new Error(d.code);
  return d.value.thumbprint;
}

/** A request document as transport drafts one (domain/incident-request.ts), naming the signer. */
function requestDocument(requestId: string, kind: 'suspend' | 'resume', signerThumbprint: string): Uint8Array {
  return new Uint8Array(
    Buffer.from(
      JSON.stringify({
        type: 'twincontour.incident-request',
        version: 1,
        requestId,
        kind,
        title: 'Обращение о приостановлении обмена электронными сообщениями',
        basis: 'Положение Банка России № 802-П, п. 19–19.5',
        participant: { name: 'ООО «Тестовый банк»', bic: '044525545', uic: '4525545000' },
        incident: { id: randomUUID(), reason: 'Подозрение на компрометацию АРМ' },
        authorisedPerson: {
          id: 'dev-authorised-person',
          fullName: 'Иванов Иван Иванович',
          position: 'Заместитель начальника управления информационной безопасности',
          phone: '+7 (495) 000-00-00',
          fax: null,
          email: 'incident@dev.twincontour.invalid',
          certificate: { serial: '01', issuer: 'CN=TwinContour Development Root CA', thumbprint: signerThumbprint },
        },
        createdAt: new Date().toISOString(),
      }),
    ),
  );
}

/** The Bank of Russia's answer document (services/cbr-simulator/src/incidents.ts). */
function answerDocument(requestId: string): Uint8Array {
  return new Uint8Array(
    Buffer.from(
      JSON.stringify({
        type: 'cbr.incident-answer',
        version: 1,
        requestId,
        kind: 'suspend',
        decision: 'accepted',
        exchange: 'suspended',
        annulled: 3,
        at: new Date().toISOString(),
      }),
    ),
  );
}

/** The request body transport sends, signed by `signer` (the person by default). */
async function requestBody(
  options: { signer?: Signer; named?: string; requestId?: string; withCertificate?: boolean } = {},
): Promise<IncidentRequestBody> {
  const requestId = options.requestId ?? randomUUID();
  const document = requestDocument(requestId, 'suspend', options.named ?? personThumbprint);
  const signature = await signDetached(document, options.signer ?? person, {
    includeCertificate: options.withCertificate ?? true,
  });
  return { requestId, kind: 'suspend', document, signature };
}

/** A signing time after every CRL published so far: the CRL in use then was issued before it. */
function nextTime(): Date {
  const latest = Math.max(0, ...live.crlSnapshots().map((c) => c.thisUpdate.getTime()));
  return new Date(Math.max(Date.now(), latest + 1000));
}

/** A record as transport's archive writes one: the chain the body carries (and `extra`), the CA, the CRL in use. */
function record(
  kind: string,
  bytes: Uint8Array,
  options: { sourceRef?: string; extra?: Uint8Array[]; direction?: 'out' | 'in' } = {},
): ArchivedRecord {
  const signingTime = nextTime();
  const chain = chainWithIssuers(
    [...certificatesInRecord(kind, bytes), ...(options.extra ?? [])],
    trustCertificates(trust),
    facts,
  );
  const crls = crlsForChain(chain, live.crlSnapshots(), facts).map((s) => ({
    sha256: sha256Hex(s.der),
    der: s.der,
    issuer: s.issuer,
    thisUpdate: s.thisUpdate,
    nextUpdate: s.nextUpdate,
  }));
  return {
    id: String(recordNo++),
    direction: options.direction ?? (kind === INCIDENT_ANSWER_KIND ? 'in' : 'out'),
    kind,
    channel: 'simulator',
    ...(options.sourceRef ? { sourceRef: options.sourceRef } : {}),
    sha256: sha256Hex(bytes),
    size: bytes.length,
    at: signingTime,
    signingTime,
    retainUntil: new Date(signingTime.getTime() + 5 * YEAR),
    chain: chain.map(sha256Hex),
    crls: crls.map((c) => c.sha256),
    bytes,
    certificates: chain.map((der) => ({ sha256: sha256Hex(der), der })),
    crlBlobs: crls,
    laterCrls: [],
  };
}

/** The dev CA publishes a CRL dated `at` (revoking a throw-away certificate): the proof for records before it. */
async function publishCrl(at: Date): Promise<ArchiveCrlBlob[]> {
  const throwAway = await issueDevCertificate(pki, { contour: 'formation' });
  const r = await revoke(pki, throwAway.serialNumber, { now: at });
  if (!r.ok) throw new Error(r.code);
  await live.refresh();
  return live.crlSnapshots().map((s) => ({
    sha256: sha256Hex(s.der),
    der: s.der,
    issuer: s.issuer,
    thisUpdate: s.thisUpdate,
    nextUpdate: s.nextUpdate,
  }));
}

/** Records signed before the latest CRL, and that CRL as their proof. */
async function proven(...records: ArchivedRecord[]): Promise<void> {
  const latest = Math.max(...records.map((r) => r.signingTime.getTime()));
  const later = await publishCrl(new Date(latest + 2000));
  for (const r of records) r.laterCrls = later;
}

/** The same record with other bytes and their digest (someone who changed both in the database). */
function rewritten(r: ArchivedRecord, bytes: Uint8Array): ArchivedRecord {
  return { ...r, bytes, sha256: sha256Hex(bytes), size: bytes.length };
}

describe('verifyArchived: an incident request (802-П п. 19) as of its signing time', () => {
  it('re-verifies the authorised person’s signature six years on; the same check as a live one fails', async () => {
    const body = await requestBody();
    const archived = record(INCIDENT_REQUEST_KIND, serializeIncidentRequestBody(body), { sourceRef: body.requestId });
    // The person's certificate and the CA.
    expect(archived.certificates).toHaveLength(2);
    await proven(archived);
    const sixYearsOn = new Date(Date.now() + 6 * YEAR);

    const result = await verifyArchived(archived, { ...trust, clock: () => sixYearsOn });
    expect(result.code, result.reason).toBeUndefined();
    expect(result).toMatchObject({ ok: true, kind: 'incident-request', direction: 'out' });
    expect(result.signers.map((s) => [s.role, s.index, s.contour, s.result, s.thumbprint])).toEqual([
      ['detached', 0, 'authorised-person', 'valid', personThumbprint],
    ]);
    expect(result.verifiedAt).toBe(sixYearsOn.toISOString());

    // Archive mode matters: six years on the dev certificate (730 days) has expired for a live check.
    const store = await archiveTrustStore(archived, trust);
    const liveLater = await verifyArchivedSignatures(archived, {
      check: (der, o) => store.check(der, { ...o, now: sixYearsOn }),
    });
    store.close();
    expect(liveLater).toMatchObject({ ok: false, code: 'ARC_SIGNATURE_INVALID' });
    expect(liveLater.signers.map((s) => s.code)).toEqual(['SIG_CERT_EXPIRED']);
  });

  it('says ARC_REVOCATION_UNPROVEN while no CRL issued after the signing time is stored', async () => {
    const body = await requestBody();
    const archived = record(INCIDENT_REQUEST_KIND, serializeIncidentRequestBody(body));
    const result = await verifyArchived(archived, trust);
    expect(result).toMatchObject({ ok: false, code: 'ARC_REVOCATION_UNPROVEN' });
    expect(result.signers.map((s) => s.code)).toEqual(['SIG_CRL_UNAVAILABLE']);
  });

  it('verifies a signature that carries no certificate with the registered one stored beside it', async () => {
    const body = await requestBody({ withCertificate: false });
    const bytes = serializeIncidentRequestBody(body);
    expect(certificatesInRecord(INCIDENT_REQUEST_KIND, bytes)).toEqual([]);
    const withRegistered = record(INCIDENT_REQUEST_KIND, bytes, { extra: [person.certificate] });
    const without = record(INCIDENT_REQUEST_KIND, bytes);
    await proven(withRegistered, without);
    expect((await verifyArchived(withRegistered, trust)).ok).toBe(true);
    expect(await verifyArchived(without, trust)).toMatchObject({ ok: false, code: 'ARC_SIGNATURE_INVALID' });
  });

  it('fails a changed document, even with the digest changed with it; any changed byte does', async () => {
    const body = await requestBody();
    const good = record(INCIDENT_REQUEST_KIND, serializeIncidentRequestBody(body), { sourceRef: body.requestId });
    await proven(good);
    expect((await verifyArchived(good, trust)).ok).toBe(true);

    const text = Buffer.from(body.document).toString('utf8').replace('компрометацию', 'компрометациЮ');
    const forged = serializeIncidentRequestBody({ ...body, document: new Uint8Array(Buffer.from(text)) });
    expect(await verifyArchived({ ...good, bytes: forged }, trust)).toMatchObject({
      ok: false,
      code: 'ARC_DIGEST_MISMATCH',
    });
    const result = await verifyArchived(rewritten(good, forged), trust);
    expect(result).toMatchObject({ ok: false, code: 'ARC_SIGNATURE_INVALID' });
    expect(result.signers.map((s) => s.code)).toEqual(['SIG_DIGEST_MISMATCH']);
    expect(result.reason).toMatch(/^SIG_DIGEST_MISMATCH: /);

    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), async (position, flip) => {
        const document = new Uint8Array(body.document);
        const at = position % document.length;
        document[at] = (document[at] ?? 0) ^ flip;
        const bytes = serializeIncidentRequestBody({ ...body, document });
        const changed = await verifyArchived(rewritten(good, bytes), trust);
        expect(changed).toMatchObject({ ok: false, code: 'ARC_SIGNATURE_INVALID' });
        expect(changed.signers.map((s) => s.code)).toEqual(['SIG_DIGEST_MISMATCH']);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a request signed by another contour, or by another authorised person than the one it names', async () => {
    const byCbr = await requestBody({ signer: cbr });
    const wrongContour = record(INCIDENT_REQUEST_KIND, serializeIncidentRequestBody(byCbr));
    const other = await issueDevCertificate(pki, { contour: 'authorised-person' });
    const otherSigner = createSoftwareSigner(other.privateKey, other.certificateDer);
    // A genuine authorised person's signature over a document naming the registered person (п. 19.5).
    const impostor = await requestBody({ signer: otherSigner });
    const wrongPerson = record(INCIDENT_REQUEST_KIND, serializeIncidentRequestBody(impostor));
    const named = await requestBody({ signer: otherSigner, named: thumbprint(other.certificateDer) });
    const rightPerson = record(INCIDENT_REQUEST_KIND, serializeIncidentRequestBody(named));
    await proven(wrongContour, wrongPerson, rightPerson);

    const contour = await verifyArchived(wrongContour, trust);
    expect(contour).toMatchObject({ ok: false, code: 'ARC_SIGNATURE_INVALID' });
    expect(contour.signers.map((s) => [s.contour, s.code])).toEqual([['cbr', 'SIG_WRONG_CONTOUR']]);
    const person = await verifyArchived(wrongPerson, trust);
    expect(person).toMatchObject({ ok: false, code: 'ARC_INCIDENT_MISMATCH' });
    expect(person.signers.map((s) => s.result)).toEqual(['valid']);
    expect((await verifyArchived(rightPerson, trust)).ok).toBe(true);
  });

  it('refuses a body naming another request than its document, or filed under another request', async () => {
    const body = await requestBody();
    const otherId = randomUUID();
    const relabelled = record(INCIDENT_REQUEST_KIND, serializeIncidentRequestBody({ ...body, requestId: otherId }));
    const misfiled = record(INCIDENT_REQUEST_KIND, serializeIncidentRequestBody(body), { sourceRef: otherId });
    await proven(relabelled, misfiled);
    for (const r of [relabelled, misfiled]) {
      expect(await verifyArchived(r, trust)).toMatchObject({ ok: false, code: 'ARC_INCIDENT_MISMATCH' });
    }
  });

  it('reports unreadable bodies as ARC_INCIDENT_UNREADABLE and never throws on any bytes', async () => {
    const good = record(INCIDENT_REQUEST_KIND, serializeIncidentRequestBody(await requestBody()));
    const spaced = Buffer.from(JSON.stringify(JSON.parse(Buffer.from(good.bytes).toString('utf8')), null, 2));
    expect(parseIncidentRequestBody(spaced).ok).toBe(false);
    expect(await verifyArchived(rewritten(good, spaced), trust)).toMatchObject({
      ok: false,
      code: 'ARC_INCIDENT_UNREADABLE',
    });
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 512 }),
        fc.constantFrom(INCIDENT_REQUEST_KIND, INCIDENT_ANSWER_KIND),
        async (bytes, kind) => {
          const result = await verifyArchived({ ...rewritten(good, bytes), kind }, trust);
          expect(result.ok).toBe(false);
          expect(result.code).toMatch(/^ARC_/);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('verifyArchived: the Bank of Russia’s answer to an incident request', () => {
  async function answerBytes(signer: Signer, requestId: string, extra: Record<string, unknown> = {}) {
    const document = answerDocument(requestId);
    const signature = await signDetached(document, signer);
    return new Uint8Array(
      Buffer.from(
        JSON.stringify({
          ...extra,
          answerBase64: Buffer.from(document).toString('base64'),
          signatureBase64: Buffer.from(signature).toString('base64'),
        }),
      ),
    );
  }

  it('re-verifies the cbr signature six years on; refuses one of another contour and an answer filed elsewhere', async () => {
    const requestId = randomUUID();
    const answer = record(INCIDENT_ANSWER_KIND, await answerBytes(cbr, requestId, { code: 'X' }), {
      sourceRef: requestId,
    });
    const forged = record(INCIDENT_ANSWER_KIND, await answerBytes(person, requestId), { sourceRef: requestId });
    const misfiled = record(INCIDENT_ANSWER_KIND, await answerBytes(cbr, requestId), { sourceRef: randomUUID() });
    await proven(answer, forged, misfiled);

    const result = await verifyArchived(answer, { ...trust, clock: () => new Date(Date.now() + 6 * YEAR) });
    expect(result.code, result.reason).toBeUndefined();
    expect(result).toMatchObject({ ok: true, kind: 'incident-answer', direction: 'in' });
    expect(result.signers.map((s) => [s.role, s.contour, s.result])).toEqual([['detached', 'cbr', 'valid']]);

    const refused = await verifyArchived(forged, trust);
    expect(refused).toMatchObject({ ok: false, code: 'ARC_SIGNATURE_INVALID' });
    expect(refused.signers.map((s) => [s.contour, s.code])).toEqual([['authorised-person', 'SIG_WRONG_CONTOUR']]);
    expect(await verifyArchived(misfiled, trust)).toMatchObject({ ok: false, code: 'ARC_INCIDENT_MISMATCH' });
  });
});
