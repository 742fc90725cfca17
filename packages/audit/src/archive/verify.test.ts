import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addZk,
  CRL_REASONS,
  createSoftwareSigner,
  devInit,
  encryptFor,
  issueDevCertificate,
  loadSigner,
  loadTrustConfigFromDir,
  loadTrustStore,
  revoke,
  type Signer,
  type TrustStore,
  unwrapEnvelope,
  wrapEnvelope,
} from '@twincontour/crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificatesInEnvelope, chainWithIssuers, createFactsCache, crlsForChain, sha256Hex } from './evidence.js';
import type { ArchiveCrlBlob, ArchivedRecord, ArchiveTrust } from './types.js';
import { archiveTrustStore, trustCertificates, verifyArchived, verifyArchivedSignatures } from './verify.js';

const HOUR = 3_600_000;
const YEAR = 365.25 * 24 * HOUR;

let work: string;
let pki: string;
let otherPki: string;
let trust: ArchiveTrust;
let live: TrustStore;
let signers: Record<'formation' | 'control' | 'cbr', Signer>;
const facts = createFactsCache();
let recordNo = 1;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tc-archive-'));
  pki = join(work, 'pki');
  otherPki = join(work, 'other-pki');
  for (const dir of [pki, otherPki]) {
    const init = await devInit(dir);
    if (!init.ok) throw new Error(init.code);
  }
  const config = loadTrustConfigFromDir(pki);
  if (!config.ok) throw new Error(config.code);
  trust = { anchors: config.value.anchors, ...(config.value.pins ? { pins: config.value.pins } : {}) };
  const loaded = await loadTrustStore(pki);
  if (!loaded.ok) throw new Error(loaded.code);
  live = loaded.value;
  signers = {} as typeof signers;
  for (const contour of ['formation', 'control', 'cbr'] as const) {
    const s = await loadSigner(contour, { pkiDir: pki });
    if (!s.ok) throw new Error(s.code);
    signers[contour] = s.value;
  }
}, 60_000);

afterAll(() => {
  live?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A small ED (the archive verifier reads signatures, not requisites). */
function ed(kind = 'ED101', no = recordNo): Uint8Array {
  return Buffer.from(
    `<?xml version="1.0" encoding="utf-8"?>\n<${kind} xmlns="urn:cbr-ru:ed:v2.0" EDNo="${no}" EDDate="2025-04-15" EDAuthor="4525545000"><Purpose>Оплата по договору ${no}</Purpose></${kind}>`,
  );
}

/** An envelope as control makes it: ЗК by each of `zk` over the ED, then the КА by `ka`. */
async function envelope(zk: readonly Signer[], ka: Signer, edBytes = ed()): Promise<Uint8Array> {
  let file = edBytes;
  for (const s of zk) {
    const signed = await addZk(file, s);
    if (!signed.ok) throw new Error(signed.code);
    file = signed.value;
  }
  return wrapEnvelope(file, ka);
}

/** A short-lived certificate of a contour (valid one hour from a minute ago) and its signer. */
async function shortLived(contour: 'formation' | 'control'): Promise<{ signer: Signer; serial: string }> {
  const issued = await issueDevCertificate(pki, { contour, notAfter: new Date(Date.now() + HOUR) });
  return { signer: createSoftwareSigner(issued.privateKey, issued.certificateDer), serial: issued.serialNumber };
}

function crlBlobs(store: TrustStore): ArchiveCrlBlob[] {
  return store.crlSnapshots().map((s) => ({
    sha256: sha256Hex(s.der),
    der: s.der,
    issuer: s.issuer,
    thisUpdate: s.thisUpdate,
    nextUpdate: s.nextUpdate,
  }));
}

/**
 * A record as transport writes one (the same evidence functions): the chain found in the envelope
 * plus the CA, and the CRLs in use at `signingTime`.
 */
function record(bytes: Uint8Array, options: { direction?: 'out' | 'in'; kind?: string; signingTime?: Date } = {}) {
  const signingTime = options.signingTime ?? nextTime();
  const chain = chainWithIssuers(certificatesInEnvelope(bytes), trustCertificates(trust), facts);
  const crls = crlsForChain(chain, live.crlSnapshots(), facts).map((s) => ({
    sha256: sha256Hex(s.der),
    der: s.der,
    issuer: s.issuer,
    thisUpdate: s.thisUpdate,
    nextUpdate: s.nextUpdate,
  }));
  const r: ArchivedRecord = {
    id: String(recordNo++),
    direction: options.direction ?? 'out',
    kind: options.kind ?? 'envelope',
    channel: 'simulator',
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
  return r;
}

/**
 * A signing time after every CRL published so far (CRLs below are dated ahead of the clock), as a
 * message sent now would be: the CRL in use then was issued before it.
 */
function nextTime(): Date {
  const latest = Math.max(0, ...live.crlSnapshots().map((c) => c.thisUpdate.getTime()));
  return new Date(Math.max(Date.now(), latest + 1000));
}

/**
 * The dev CA publishes a new CRL (revoking `serial`, or a throw-away certificate) dated `at`; the later
 * CRLs a reader would find for a record signed before `at`.
 */
async function publishCrl(at: Date, serial?: string, reason?: number): Promise<ArchiveCrlBlob[]> {
  const target = serial ?? (await issueDevCertificate(pki, { contour: 'formation' })).serialNumber;
  const r = await revoke(pki, target, { now: at, ...(reason === undefined ? {} : { reason }) });
  if (!r.ok) throw new Error(r.code);
  await live.refresh();
  return crlBlobs(live);
}

describe('verifyArchived: an outgoing КА envelope, as of its signing time', () => {
  it('re-verifies six years on, every certificate long expired; the same check as a live one fails', async () => {
    const formation = await shortLived('formation');
    const control = await shortLived('control');
    const bytes = await envelope([formation.signer, control.signer], control.signer);
    const archived = record(bytes);
    archived.laterCrls = await publishCrl(new Date(archived.signingTime.getTime() + 2000));
    const sixYearsOn = new Date(Date.now() + 6 * YEAR);

    const result = await verifyArchived(archived, { ...trust, clock: () => sixYearsOn });
    expect(result.code, result.reason).toBeUndefined();
    expect(result).toMatchObject({ ok: true, id: archived.id, kind: 'envelope', direction: 'out' });
    expect(result.signingTime).toBe(archived.signingTime.toISOString());
    expect(result.verifiedAt).toBe(sixYearsOn.toISOString());
    expect(result.signers.map((s) => [s.role, s.contour, s.result, s.serial])).toEqual([
      ['ka', 'control', 'valid', control.serial],
      ['zk', 'formation', 'valid', formation.serial],
      ['zk', 'control', 'valid', control.serial],
    ]);
    expect(result.signers[0]?.thumbprint).toMatch(/^[0-9a-f]{64}$/);
    expect(result.evidence.certificates).toBe(3);
    expect(result.evidence.crls.map((c) => c.sha256)).toEqual([archived.laterCrls[0]?.sha256]);

    // Archive mode matters: the same material judged as a live check six years on fails.
    const store = await archiveTrustStore(archived, trust);
    const liveLater = await verifyArchivedSignatures(archived, {
      check: (der, o) => store.check(der, { ...o, now: sixYearsOn }),
    });
    store.close();
    expect(liveLater).toMatchObject({ ok: false, code: 'ARC_SIGNATURE_INVALID' });
    expect(liveLater.signers.map((s) => s.code)).toEqual(['SIG_CERT_EXPIRED', 'SIG_CERT_EXPIRED', 'SIG_CERT_EXPIRED']);
  });

  it('still verifies when a signer was revoked after it signed; a live check refuses it', async () => {
    const control = await shortLived('control');
    const bytes = await envelope([signers.formation, control.signer], control.signer);
    const archived = record(bytes);
    archived.laterCrls = await publishCrl(new Date(archived.signingTime.getTime() + 2000), control.serial);
    const afterRevocation = new Date(archived.signingTime.getTime() + 3000);

    const result = await verifyArchived(archived, { ...trust, clock: () => afterRevocation });
    expect(result.code, result.reason).toBeUndefined();
    expect(result.ok).toBe(true);
    // The gateway's live trust store refuses the certificate once it is revoked.
    expect(live.check(control.signer.certificate, { expectedContour: 'control', now: afterRevocation })).toMatchObject({
      ok: false,
      code: 'SIG_CERT_REVOKED',
    });
  });

  it('refuses a signer revoked before the signing time, and one revoked for key compromise whenever', async () => {
    const revoked = await shortLived('control');
    const bytes = await envelope([signers.formation, revoked.signer], revoked.signer);
    // CRL times are whole seconds (UTCTime).
    const revokedAt = new Date(Math.ceil(nextTime().getTime() / 1000) * 1000 + 2000);
    await publishCrl(revokedAt, revoked.serial);
    // A later CRL, still listing it, proves the status at both times below.
    const laterCrls = await publishCrl(new Date(revokedAt.getTime() + 5000));
    const before = record(bytes, { signingTime: new Date(revokedAt.getTime() - 1000) });
    before.laterCrls = laterCrls;
    expect((await verifyArchived(before, trust)).ok).toBe(true);
    const after = record(bytes, { signingTime: new Date(revokedAt.getTime() + 3000) });
    after.laterCrls = laterCrls;
    const refused = await verifyArchived(after, trust);
    expect(refused).toMatchObject({ ok: false, code: 'ARC_SIGNATURE_INVALID' });
    expect(refused.signers.map((s) => [s.role, s.code])).toEqual([
      ['ka', 'SIG_CERT_REVOKED'],
      ['zk', undefined],
      ['zk', 'SIG_CERT_REVOKED'],
    ]);

    const compromised = await shortLived('control');
    const signed = await envelope([signers.formation, compromised.signer], compromised.signer);
    const archived = record(signed);
    archived.laterCrls = await publishCrl(
      new Date(archived.signingTime.getTime() + 2000),
      compromised.serial,
      CRL_REASONS.keyCompromise,
    );
    const result = await verifyArchived(archived, trust);
    expect(result).toMatchObject({ ok: false, code: 'ARC_SIGNATURE_INVALID' });
    expect(result.reason).toMatch(/^SIG_CERT_REVOKED: /);
  });

  it('says ARC_REVOCATION_UNPROVEN while no CRL issued after the signing time is stored', async () => {
    const archived = record(await envelope([signers.formation, signers.control], signers.control));
    const result = await verifyArchived(archived, trust);
    expect(result).toMatchObject({ ok: false, code: 'ARC_REVOCATION_UNPROVEN' });
    expect(result.signers.every((s) => s.code === 'SIG_CRL_UNAVAILABLE')).toBe(true);
  });

  it('accepts the `ka` protection variant (formation’s ЗК alone) and refuses ЗК of the wrong contours', async () => {
    const single = record(await envelope([signers.formation], signers.control));
    single.laterCrls = await publishCrl(new Date(single.signingTime.getTime() + 2000));
    expect((await verifyArchived(single, trust)).ok).toBe(true);

    const swapped = record(await envelope([signers.control, signers.formation], signers.control));
    swapped.laterCrls = single.laterCrls;
    swapped.signingTime = single.signingTime;
    const result = await verifyArchived(swapped, trust);
    expect(result).toMatchObject({ ok: false, code: 'ARC_SIGNATURE_INVALID' });
    expect(result.signers.filter((s) => s.role === 'zk').map((s) => s.code)).toEqual([
      'SIG_WRONG_CONTOUR',
      'SIG_WRONG_CONTOUR',
    ]);
  });

  it('does not trust the stored chain by itself: anchors of another PKI refuse it', async () => {
    const archived = record(await envelope([signers.formation, signers.control], signers.control));
    archived.laterCrls = await publishCrl(new Date(archived.signingTime.getTime() + 2000));
    const other = loadTrustConfigFromDir(otherPki);
    if (!other.ok) throw new Error(other.code);
    const result = await verifyArchived(archived, { anchors: other.value.anchors });
    expect(result).toMatchObject({ ok: false, code: 'ARC_SIGNATURE_INVALID' });
    expect(result.signers.map((s) => s.code)).toEqual([
      'SIG_CERT_UNTRUSTED',
      'SIG_CERT_UNTRUSTED',
      'SIG_CERT_UNTRUSTED',
    ]);
    expect(await verifyArchived(archived, { anchors: ['not a certificate'] })).toMatchObject({
      ok: false,
      code: 'ARC_TRUST_INVALID',
    });
  });
});

describe('verifyArchived: tampering and stored evidence', () => {
  let good: ArchivedRecord;

  beforeAll(async () => {
    good = record(await envelope([signers.formation, signers.control], signers.control));
    good.laterCrls = await publishCrl(new Date(good.signingTime.getTime() + 2000));
    expect((await verifyArchived(good, trust)).ok).toBe(true);
  });

  it('finds bytes changed in the database (ARC_DIGEST_MISMATCH)', async () => {
    const bytes = new Uint8Array(good.bytes);
    const at = bytes.length - 30;
    bytes[at] = (bytes[at] ?? 0) ^ 0x01;
    expect(await verifyArchived({ ...good, bytes }, trust)).toMatchObject({ ok: false, code: 'ARC_DIGEST_MISMATCH' });
  });

  it('finds a changed ED even when the digest was changed with it (each signature fails)', async () => {
    const unwrapped = unwrapEnvelope(good.bytes);
    if (!unwrapped.ok) throw new Error(unwrapped.code);
    const file = Buffer.from(unwrapped.value.file).toString('utf8').replace('Оплата', 'Отмена');
    const forged = Buffer.from(
      Buffer.from(good.bytes)
        .toString('latin1')
        .replace(Buffer.from(unwrapped.value.file).toString('base64'), Buffer.from(file).toString('base64')),
      'latin1',
    );
    const result = await verifyArchived({ ...good, bytes: forged, sha256: sha256Hex(forged) }, trust);
    expect(result).toMatchObject({ ok: false, code: 'ARC_SIGNATURE_INVALID' });
    expect(result.signers.map((s) => s.code)).toEqual([
      'SIG_DIGEST_MISMATCH',
      'SIG_DIGEST_MISMATCH',
      'SIG_DIGEST_MISMATCH',
    ]);
  });

  it('finds a stored certificate or CRL altered or missing (ARC_EVIDENCE_INVALID)', async () => {
    const cert = good.certificates[0]!;
    const altered = { ...cert, der: new Uint8Array([...cert.der.subarray(0, 20), 0, ...cert.der.subarray(21)]) };
    expect(
      await verifyArchived({ ...good, certificates: [altered, ...good.certificates.slice(1)] }, trust),
    ).toMatchObject({ ok: false, code: 'ARC_EVIDENCE_INVALID' });
    expect(await verifyArchived({ ...good, crlBlobs: [] }, trust)).toMatchObject({
      ok: false,
      code: 'ARC_EVIDENCE_INVALID',
    });
  });

  it('reports bytes that are no envelope as ARC_UNREADABLE, and never throws on any bytes', async () => {
    const junk = Buffer.from('<not-an-envelope/>');
    expect(await verifyArchived({ ...good, bytes: junk, sha256: sha256Hex(junk) }, trust)).toMatchObject({
      ok: false,
      code: 'ARC_UNREADABLE',
    });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), fc.constantFrom('out', 'in'), async (bytes, direction) => {
        const result = await verifyArchived(
          { ...good, direction: direction as 'out' | 'in', bytes, sha256: sha256Hex(bytes) },
          trust,
        );
        expect(result.ok).toBe(false);
        expect(result.code).toMatch(/^ARC_/);
      }),
      { numRuns: 40 },
    );
  });

  it('names the sibling envelope of a wire-only record (ARC_WIRE_ONLY), and refuses an unknown kind', async () => {
    const cbr = await loadSigner('cbr', { pkiDir: pki });
    if (!cbr.ok) throw new Error(cbr.code);
    const wire = await encryptFor(good.bytes, cbr.value.certificate);
    const wireRecord = { ...record(wire, { kind: 'enveloped-data' }), sibling: good.id };
    expect(wireRecord.chain).toEqual([]);
    expect(await verifyArchived(wireRecord, trust)).toMatchObject({
      ok: false,
      code: 'ARC_WIRE_ONLY',
      sibling: good.id,
      kind: 'enveloped-data',
    });
    expect(await verifyArchived({ ...good, kind: 'ed-xml' }, trust)).toMatchObject({ code: 'ARC_UNKNOWN_KIND' });
  });
});

describe('verifyArchived: an incoming answer of the Bank of Russia', () => {
  it('verifies the cbr КА and its one ЗК; an answer signed by a contour of ours is refused', async () => {
    const bytes = await envelope([signers.cbr], signers.cbr, ed('ED201'));
    const answer = record(bytes, { direction: 'in' });
    answer.laterCrls = await publishCrl(new Date(answer.signingTime.getTime() + 2000));
    const result = await verifyArchived(answer, { ...trust, clock: () => new Date(Date.now() + 6 * YEAR) });
    expect(result.code, result.reason).toBeUndefined();
    expect(result.signers.map((s) => [s.role, s.contour, s.result])).toEqual([
      ['ka', 'cbr', 'valid'],
      ['zk', 'cbr', 'valid'],
    ]);

    const forged = record(await envelope([signers.control], signers.control, ed('ED201')), {
      direction: 'in',
      signingTime: answer.signingTime,
    });
    forged.laterCrls = answer.laterCrls;
    const refused = await verifyArchived(forged, trust);
    expect(refused).toMatchObject({ ok: false, code: 'ARC_SIGNATURE_INVALID' });
    expect(refused.signers.map((s) => [s.contour, s.code])).toEqual([
      ['control', 'SIG_WRONG_CONTOUR'],
      ['control', 'SIG_WRONG_CONTOUR'],
    ]);
  });
});

describe('evidence of an envelope', () => {
  it('is the signers’ certificates (each once) and the CA that issued them, with that CA’s CRL', async () => {
    const bytes = await envelope([signers.formation, signers.control], signers.control);
    const found = certificatesInEnvelope(bytes);
    expect(found.map(sha256Hex).sort()).toEqual(
      [signers.formation.certificate, signers.control.certificate].map(sha256Hex).sort(),
    );
    const chain = chainWithIssuers(found, trustCertificates(trust), facts);
    expect(chain).toHaveLength(3);
    expect(facts(chain[2]!)?.isCa).toBe(true);
    expect(crlsForChain(chain, live.crlSnapshots(), facts)).toHaveLength(1);
    expect(certificatesInEnvelope(Buffer.from('garbage'))).toEqual([]);
  });
});
