import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toWebSigningKey } from '../keys/webcrypto.js';
import { type DevCa, issueCertificate, signCrl } from '../pki/dev-ca.js';
import { devInit, revoke } from '../pki/dev-init.js';
import {
  type IssuedDevCertificate,
  issueDevCertificate,
  issueExpiredDevCertificate,
  issueNotYetValidDevCertificate,
  issueRevokedDevCertificate,
} from '../pki/dev-testing.js';
import { loadTrustConfigFromDir } from '../pki/layout.js';
import type { Contour } from '../types.js';
import { CONTOUR_POLICY_OIDS, CONTOURS } from './contour.js';
import { CRL_REASONS } from './crl.js';
import { parseCertificate } from './parse.js';
import { derObjects, toPem } from './pem.js';
import { createTrustStore, type TrustConfig, TrustConfigError, type TrustStore } from './trust-store.js';

const DAY = 86_400_000;

function openssl(args: string[]): { status: number; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function certOf(dir: string, contour: Contour): Uint8Array {
  return derObjects(readFileSync(join(dir, contour, 'cert.pem'), 'utf8'), ['CERTIFICATE'])[0]!;
}

function config(dir: string, extra: Partial<TrustConfig> = {}): TrustConfig {
  const c = loadTrustConfigFromDir(dir);
  if (!c.ok) throw new Error(c.message);
  return { ...c.value, ...extra };
}

async function storeFor(dir: string, extra: Partial<TrustConfig> = {}): Promise<TrustStore> {
  const store = createTrustStore(config(dir, extra));
  const report = await store.refresh();
  expect(report.ok).toBe(true);
  return store;
}

let dir: string;
let otherDir: string;
let store: TrustStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tc-trust-'));
  otherDir = mkdtempSync(join(tmpdir(), 'tc-trust-other-'));
  expect((await devInit(dir)).ok).toBe(true);
  expect((await devInit(otherDir)).ok).toBe(true);
  store = await storeFor(dir);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(otherDir, { recursive: true, force: true });
});

describe('createTrustStore: valid certificates and contour binding', () => {
  it.each(CONTOURS)('accepts the dev %s certificate for its own contour', (contour) => {
    const r = store.check(certOf(dir, contour), { expectedContour: contour });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.info.contour).toBe(contour);
      expect(r.info.thumbprint).toMatch(/^[0-9a-f]{64}$/);
      expect(r.info.issuer).toBe('CN=TwinContour Development Root CA,O=TwinContour development');
    }
  });

  it.each(CONTOURS.flatMap((from) => CONTOURS.filter((to) => to !== from).map((to) => [from, to] as const)))(
    'refuses the %s certificate checked as %s (SIG_WRONG_CONTOUR)',
    (from, to) => {
      const r = store.check(certOf(dir, from), { expectedContour: to });
      expect(r).toMatchObject({ ok: false, code: 'SIG_WRONG_CONTOUR', info: { contour: from } });
    },
  );

  it('binds an extra certificate by its policy marker', async () => {
    const extra = await issueDevCertificate(dir, { contour: 'control' });
    expect(store.check(extra.certificateDer, { expectedContour: 'control' }).ok).toBe(true);
    expect(store.check(extra.certificateDer, { expectedContour: 'formation' })).toMatchObject({
      code: 'SIG_WRONG_CONTOUR',
    });
  });

  it('binds a certificate with no marker to no contour, but still reports it trusted without an expectation', async () => {
    const unmarked = await issueDevCertificate(dir, { contour: null });
    const plain = store.check(unmarked.certificateDer);
    expect(plain.ok).toBe(true);
    if (plain.ok) expect(plain.info.contour).toBeUndefined();
    expect(store.check(unmarked.certificateDer, { expectedContour: 'formation' })).toMatchObject({
      code: 'SIG_WRONG_CONTOUR',
    });
  });

  it('refuses a certificate marked for two contours for either of them', async () => {
    const both = await issueDevCertificate(dir, {
      contour: 'formation',
      extraPolicies: [CONTOUR_POLICY_OIDS.control],
    });
    for (const c of ['formation', 'control'] as const) {
      expect(store.check(both.certificateDer, { expectedContour: c })).toMatchObject({ code: 'SIG_WRONG_CONTOUR' });
    }
  });

  it('returns the cached, frozen info for a certificate seen before', () => {
    const der = certOf(dir, 'formation');
    const a = store.check(der);
    const b = store.check(new Uint8Array(der));
    expect(a.ok && b.ok && a.info === b.info).toBe(true);
    expect(Object.isFrozen(a.ok ? a.info : undefined)).toBe(true);
  });
});

describe('pinning', () => {
  it('never accepts a certificate pinned to one contour for another', async () => {
    const unmarked = await issueDevCertificate(dir, { contour: null });
    const s = await storeFor(dir, { pins: { control: [unmarked.thumbprint] } });
    expect(s.check(unmarked.certificateDer, { expectedContour: 'control' }).ok).toBe(true);
    for (const other of CONTOURS.filter((c) => c !== 'control')) {
      expect(s.check(unmarked.certificateDer, { expectedContour: other })).toMatchObject({ code: 'SIG_WRONG_CONTOUR' });
    }
  });

  it('binds a certificate pinned to one contour but marked for another to neither', async () => {
    const formation = certOf(dir, 'formation');
    const tp = parseCertificate(formation);
    if (!tp.ok) throw new Error(tp.message);
    const s = await storeFor(dir, { pins: { control: [tp.value.thumbprint.toUpperCase().match(/../g)!.join(':')] } });
    expect(s.check(formation, { expectedContour: 'control' })).toMatchObject({ code: 'SIG_WRONG_CONTOUR' });
    expect(s.check(formation, { expectedContour: 'formation' })).toMatchObject({ code: 'SIG_WRONG_CONTOUR' });
  });

  it('accepts only pinned certificates for a pinnedOnly contour', async () => {
    const s = await storeFor(dir, { pinnedOnly: ['formation'] });
    expect(s.check(certOf(dir, 'formation'), { expectedContour: 'formation' }).ok).toBe(true);
    const extra = await issueDevCertificate(dir, { contour: 'formation' });
    expect(s.check(extra.certificateDer, { expectedContour: 'formation' })).toMatchObject({
      code: 'SIG_WRONG_CONTOUR',
    });
  });

  it('refuses a configuration pinning one thumbprint to two contours', () => {
    const t = 'ab'.repeat(32);
    expect(() => createTrustStore(config(dir, { pins: { formation: [t], control: [t] } }))).toThrow(TrustConfigError);
  });

  it('reports every configuration problem at once', () => {
    try {
      createTrustStore({ anchors: ['not a certificate'], pins: { formation: ['xyz'] } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TrustConfigError);
      expect((err as TrustConfigError).problems).toHaveLength(2);
      expect((err as TrustConfigError).code).toBe('TRUST_CONFIG_INVALID');
    }
  });
});

describe('validity, key usage, trust', () => {
  it('fails an expired certificate with SIG_CERT_EXPIRED', async () => {
    const c = await issueExpiredDevCertificate(dir, 'formation');
    expect(store.check(c.certificateDer, { expectedContour: 'formation' })).toMatchObject({ code: 'SIG_CERT_EXPIRED' });
  });

  it('fails a not-yet-valid certificate with SIG_CERT_NOT_YET_VALID', async () => {
    const c = await issueNotYetValidDevCertificate(dir, 'control');
    expect(store.check(c.certificateDer)).toMatchObject({ code: 'SIG_CERT_NOT_YET_VALID' });
  });

  it('checks validity at the signing time as well as now', async () => {
    const der = certOf(dir, 'formation');
    const parsed = parseCertificate(der);
    if (!parsed.ok) throw new Error(parsed.message);
    const before = new Date(parsed.value.notBefore.getTime() - DAY);
    expect(store.check(der, { signingTime: before })).toMatchObject({ code: 'SIG_CERT_NOT_YET_VALID' });
    const afterExpiry = new Date(parsed.value.notAfter.getTime() + DAY);
    expect(store.check(der, { now: afterExpiry })).toMatchObject({ code: 'SIG_CERT_EXPIRED' });
  });

  it('re-verifies an archived signature with now: null when the certificate has since expired', async () => {
    const c = await issueExpiredDevCertificate(dir, 'formation');
    const parsed = parseCertificate(c.certificateDer);
    if (!parsed.ok) throw new Error(parsed.message);
    const signingTime = new Date(parsed.value.notAfter.getTime() - DAY);
    expect(store.check(c.certificateDer, { signingTime })).toMatchObject({ code: 'SIG_CERT_EXPIRED' });
    // The current CRL was issued after the signing time, so it proves non-revocation at that time.
    const archived = store.check(c.certificateDer, { signingTime, now: null, expectedContour: 'formation' });
    expect(archived.ok).toBe(true);
    // A signing time after the CRL was issued cannot be vouched for by that CRL.
    const future = new Date(Date.now() + 2 * DAY);
    const late = await issueDevCertificate(dir, { contour: 'formation', notAfter: new Date(Date.now() + 10 * DAY) });
    expect(store.check(late.certificateDer, { signingTime: future, now: null })).toMatchObject({
      code: 'SIG_CRL_UNAVAILABLE',
    });
  });

  it.each([
    ['a signing certificate without a signing usage', ['keyEncipherment'], 'signing', 'SIG_CERT_KEY_USAGE'],
    [
      'a formation certificate used for encryption',
      ['digitalSignature', 'nonRepudiation'],
      'encryption',
      'SIG_CERT_KEY_USAGE',
    ],
    ['a nonRepudiation-only certificate for signing', ['nonRepudiation'], 'signing', undefined],
    ['a keyAgreement certificate for encryption', ['keyAgreement'], 'encryption', undefined],
  ] as const)('key usage: %s', async (_name, keyUsages, usage, code) => {
    const c = await issueDevCertificate(dir, { contour: 'transport', keyUsages });
    const r = store.check(c.certificateDer, { usage });
    if (code) expect(r).toMatchObject({ ok: false, code });
    else expect(r.ok).toBe(true);
  });

  it('fails a certificate of another CA with the same name as ours (SIG_CERT_UNTRUSTED)', () => {
    const r = store.check(certOf(otherDir, 'formation'), { expectedContour: 'formation' });
    expect(r).toMatchObject({ ok: false, code: 'SIG_CERT_UNTRUSTED' });
  });

  it('fails a self-signed CA certificate used as a signer (trusted, but no signing usage)', () => {
    const ca = derObjects(readFileSync(join(dir, 'ca', 'ca.pem'), 'utf8'), ['CERTIFICATE'])[0]!;
    expect(store.check(ca)).toMatchObject({ code: 'SIG_CERT_KEY_USAGE' });
  });

  it('uses a configured verifier for a signature algorithm (the GOST extension point)', async () => {
    const s = createTrustStore(config(dir, { signatureVerifiers: { '1.2.840.10045.4.3.2': () => false } }));
    // The CRL's signature goes through the same verifier, so it is refused too.
    expect((await s.refresh()).results[0]).toMatchObject({ code: 'CRL_BAD_SIGNATURE' });
    expect(s.check(certOf(dir, 'control'))).toMatchObject({ code: 'SIG_CERT_UNTRUSTED' });
  });

  it.each([
    ['empty', new Uint8Array()],
    ['not DER', new TextEncoder().encode('hello')],
    ['a truncated certificate', null],
  ])('reports %s as SIG_CERT_MALFORMED', (_n, bytes) => {
    const der = bytes ?? certOf(dir, 'formation').subarray(0, 100);
    expect(store.check(der)).toMatchObject({ ok: false, code: 'SIG_CERT_MALFORMED' });
  });
});

describe('revocation and CRLs', () => {
  it('fails a certificate on the CRL with SIG_CERT_REVOKED once the CRL is refreshed', async () => {
    const s = await storeFor(dir);
    const c = await issueRevokedDevCertificate(dir, 'control');
    expect(s.check(c.certificateDer, { expectedContour: 'control' }).ok).toBe(true);
    await s.refresh();
    expect(s.check(c.certificateDer, { expectedContour: 'control' })).toMatchObject({ code: 'SIG_CERT_REVOKED' });
  });

  it('in a live check, fails a listed certificate whatever signing time it claims', async () => {
    const superseded = await issueRevokedDevCertificate(dir, 'formation', { reason: CRL_REASONS.superseded });
    const s = await storeFor(dir);
    const earlier = new Date(Date.now() - 30_000);
    expect(s.check(superseded.certificateDer, { signingTime: earlier })).toMatchObject({ code: 'SIG_CERT_REVOKED' });
    expect(s.check(superseded.certificateDer)).toMatchObject({ code: 'SIG_CERT_REVOKED' });
  });

  it('in archive re-verification, judges revocation as of the signing time, except for key compromise', async () => {
    const superseded = await issueRevokedDevCertificate(dir, 'formation', { reason: CRL_REASONS.superseded });
    const compromised = await issueRevokedDevCertificate(dir, 'formation', { reason: CRL_REASONS.keyCompromise });
    const s = await storeFor(dir);
    const before = new Date(Date.now() - 30_000);
    // The latest CRL was issued when the second certificate was revoked, after the first one was.
    const after = s.crlSnapshots()[0]!.thisUpdate;
    expect(s.check(superseded.certificateDer, { signingTime: before, now: null }).ok).toBe(true);
    expect(s.check(superseded.certificateDer, { signingTime: after, now: null })).toMatchObject({
      code: 'SIG_CERT_REVOKED',
    });
    expect(s.check(compromised.certificateDer, { signingTime: before, now: null })).toMatchObject({
      code: 'SIG_CERT_REVOKED',
    });
  });

  it('fails closed with SIG_CRL_UNAVAILABLE before any CRL is loaded', () => {
    const s = createTrustStore(config(dir));
    expect(s.check(certOf(dir, 'formation'))).toMatchObject({ code: 'SIG_CRL_UNAVAILABLE' });
  });

  it('fails closed when the CRL is past nextUpdate beyond the grace, and not within it', async () => {
    const s0 = await storeFor(dir);
    const nextUpdate = s0.crlSnapshots()[0]!.nextUpdate;
    const late = new Date(nextUpdate.getTime() + 2 * 3_600_000);
    const strict = await storeFor(dir, { clock: () => late });
    expect(strict.check(certOf(dir, 'formation'))).toMatchObject({ code: 'SIG_CRL_UNAVAILABLE' });
    expect(strict.status()[0]!.crl?.stale).toBe(true);
    const lenient = await storeFor(dir, { clock: () => late, crlGraceMs: 3 * 3_600_000 });
    // A certificate still valid at that time, so that only the CRL's age is in question.
    const longLived = await issueDevCertificate(dir, {
      contour: 'formation',
      notAfter: new Date(late.getTime() + DAY),
    });
    expect(lenient.check(longLived.certificateDer).ok).toBe(true);
  });

  it('keeps the previous CRL when a refresh fails, and reports the failure', async () => {
    const crlPath = join(dir, 'ca', 'crl.pem');
    const saved = readFileSync(crlPath);
    const s = await storeFor(dir);
    try {
      writeFileSync(crlPath, 'garbage');
      const report = await s.refresh();
      expect(report.ok).toBe(false);
      expect(report.results[0]).toMatchObject({ ok: false, code: 'CRL_MALFORMED' });
      expect(s.check(certOf(dir, 'formation')).ok).toBe(true);
      rmSync(crlPath);
      expect((await s.refresh()).results[0]).toMatchObject({ code: 'CRL_FETCH_FAILED' });
    } finally {
      writeFileSync(crlPath, saved);
    }
  });

  it('refuses to go back to an older CRL (CRL_OUTDATED)', async () => {
    const older = readFileSync(join(dir, 'ca', 'crl.pem'), 'utf8');
    const c = await issueRevokedDevCertificate(dir, 'formation');
    const newer = readFileSync(join(dir, 'ca', 'crl.pem'), 'utf8');
    const s = createTrustStore(config(dir, { crls: [newer, older] }));
    const report = await s.refresh();
    expect(report.results.map((r) => r.code ?? 'ok')).toEqual(['ok', 'CRL_OUTDATED']);
    expect(s.check(c.certificateDer)).toMatchObject({ code: 'SIG_CERT_REVOKED' });
  });

  it('refuses a CRL signed by another CA with the same name (CRL_BAD_SIGNATURE)', async () => {
    const foreign = readFileSync(join(otherDir, 'ca', 'crl.pem'));
    const s = createTrustStore(config(dir, { crls: [new Uint8Array(foreign)] }));
    expect((await s.refresh()).results[0]).toMatchObject({ ok: false, code: 'CRL_BAD_SIGNATURE' });
    expect(s.check(certOf(dir, 'formation'))).toMatchObject({ code: 'SIG_CRL_UNAVAILABLE' });
  });

  describe('over HTTP', () => {
    let server: Server;
    let status = 200;
    let base = '';
    let auth = '';
    beforeAll(async () => {
      server = createServer((req, res) => {
        auth = req.headers.authorization ?? '';
        res.statusCode = status;
        res.end(status === 200 ? readFileSync(join(dir, 'ca', 'crl.pem')) : 'down');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://user:secret@127.0.0.1:${(server.address() as AddressInfo).port}/ca.crl`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('loads a CRL from an http URL and hides credentials in the report', async () => {
      status = 200;
      const s = createTrustStore(config(dir, { crls: [base] }));
      const report = await s.start();
      s.close();
      expect(report.results[0]).toMatchObject({ ok: true });
      expect(report.results[0]!.source).not.toContain('secret');
      expect(auth).toBe(`Basic ${Buffer.from('user:secret').toString('base64')}`);
      expect(s.check(certOf(dir, 'formation')).ok).toBe(true);
    });

    it('reports an HTTP error as CRL_FETCH_FAILED', async () => {
      status = 503;
      const s = createTrustStore(config(dir, { crls: [base] }));
      expect((await s.refresh()).results[0]).toMatchObject({ ok: false, code: 'CRL_FETCH_FAILED' });
    });
  });
});

describe('paths through an intermediate CA', () => {
  let intermediate: IssuedDevCertificate;
  let intermediateCa: DevCa;
  let leaf: Uint8Array;
  let intermediateCrl: Uint8Array;

  beforeAll(async () => {
    intermediate = await issueDevCertificate(dir, { contour: null, ca: true, keyUsages: ['keyCertSign', 'cRLSign'] });
    const parsed = parseCertificate(intermediate.certificateDer);
    const signing = await toWebSigningKey(intermediate.privateKey);
    if (!parsed.ok || !signing) throw new Error('intermediate');
    intermediateCa = { certificate: parsed.value, signing };
    const leafKey = await issueDevCertificate(dir, { contour: 'formation' });
    leaf = await issueCertificate(signing, parsed.value, {
      subject: 'CN=Leaf under intermediate,O=TwinContour tests',
      publicKey: leafKey.publicKey,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + DAY),
      keyUsages: ['digitalSignature', 'nonRepudiation'],
      contour: 'formation',
    });
    intermediateCrl = await signCrl(intermediateCa, new Map(), {
      crlNumber: 1n,
      thisUpdate: new Date(Date.now() - 1000),
    });
  });

  it('accepts a leaf under a configured intermediate with both CRLs', async () => {
    const base = config(dir);
    const s = createTrustStore({
      ...base,
      intermediates: [intermediate.certificatePem],
      crls: [...(base.crls ?? []), intermediateCrl],
    });
    expect((await s.refresh()).ok).toBe(true);
    expect(s.check(leaf, { expectedContour: 'formation' }).ok).toBe(true);
    expect(s.status()).toHaveLength(2);
  });

  it('fails closed without the intermediate CRL', async () => {
    const s = await storeFor(dir, { intermediates: [intermediate.certificatePem] });
    expect(s.check(leaf)).toMatchObject({ code: 'SIG_CRL_UNAVAILABLE' });
  });

  it('fails as untrusted when the intermediate is not configured', () => {
    expect(store.check(leaf)).toMatchObject({ code: 'SIG_CERT_UNTRUSTED' });
  });

  it('fails when the intermediate is revoked on the root CRL', async () => {
    const base = config(dir);
    await revoke(dir, intermediate.serialNumber);
    const s = createTrustStore({
      ...base,
      intermediates: [intermediate.certificatePem],
      crls: [...(base.crls ?? []), intermediateCrl],
    });
    await s.refresh();
    expect(s.check(leaf)).toMatchObject({ code: 'SIG_CERT_REVOKED' });
  });

  it('refuses a leaf issued by a certificate that is not a CA', async () => {
    const notCa = await issueDevCertificate(dir, { contour: 'control' });
    const signing = await toWebSigningKey(notCa.privateKey);
    const parsed = parseCertificate(notCa.certificateDer);
    if (!signing || !parsed.ok) throw new Error('setup');
    const forged = await issueCertificate(signing, parsed.value, {
      subject: 'CN=Forged,O=TwinContour tests',
      publicKey: notCa.publicKey,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + DAY),
      keyUsages: ['digitalSignature'],
      contour: 'control',
    });
    expect(() => createTrustStore(config(dir, { intermediates: [notCa.certificatePem] }))).toThrow(TrustConfigError);
    expect(store.check(forged)).toMatchObject({ code: 'SIG_CERT_UNTRUSTED' });
  });
});

describe('agreement with openssl verify -crl_check', () => {
  it.each(CONTOURS)('openssl and the trust store both accept the dev %s certificate', (contour) => {
    const o = openssl([
      'verify',
      '-CAfile',
      join(dir, 'ca', 'ca.pem'),
      '-crl_check',
      '-CRLfile',
      join(dir, 'ca', 'crl.pem'),
      join(dir, contour, 'cert.pem'),
    ]);
    expect(o.status).toBe(0);
    expect(store.check(certOf(dir, contour)).ok).toBe(true);
  });

  it.each([
    ['revoked', 'certificate revoked', 'SIG_CERT_REVOKED'],
    ['expired', 'certificate has expired', 'SIG_CERT_EXPIRED'],
    ['untrusted', 'unable to get local issuer certificate|certificate signature failure', 'SIG_CERT_UNTRUSTED'],
  ] as const)('openssl and the trust store both refuse a %s certificate', async (kind, opensslSays, code) => {
    let der: Uint8Array;
    if (kind === 'revoked') der = (await issueRevokedDevCertificate(dir, 'transport')).certificateDer;
    else if (kind === 'expired') der = (await issueExpiredDevCertificate(dir, 'transport')).certificateDer;
    else der = certOf(otherDir, 'transport');
    const file = join(dir, `check-${kind}.pem`);
    writeFileSync(file, toPem('CERTIFICATE', der));
    const o = openssl([
      'verify',
      '-CAfile',
      join(dir, 'ca', 'ca.pem'),
      '-crl_check',
      '-CRLfile',
      join(dir, 'ca', 'crl.pem'),
      file,
    ]);
    expect(o.status).not.toBe(0);
    expect(o.out).toMatch(new RegExp(opensslSays));
    const s = await storeFor(dir);
    expect(s.check(der)).toMatchObject({ ok: false, code });
  });

  it('prints the same subject and serial as openssl', () => {
    const file = join(dir, 'formation', 'cert.pem');
    const subject = execFileSync('openssl', ['x509', '-in', file, '-noout', '-subject', '-nameopt', 'RFC2253'], {
      encoding: 'utf8',
    });
    const serial = execFileSync('openssl', ['x509', '-in', file, '-noout', '-serial'], { encoding: 'utf8' });
    const r = store.check(certOf(dir, 'formation'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(subject.trim()).toBe(`subject=${r.info.subject}`);
    expect(serial.trim().toLowerCase()).toBe(`serial=${r.info.serialNumber}`);
  });
});

describe('properties', () => {
  it('any single changed byte of a certificate makes check fail, never throw', () => {
    const der = certOf(dir, 'control');
    fc.assert(
      fc.property(fc.nat({ max: der.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const changed = new Uint8Array(der);
        changed[i] = changed[i]! ^ x;
        const r = store.check(changed, { expectedContour: 'control' });
        expect(r.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes never throw and are never accepted', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        expect(store.check(bytes).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
