import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devInit } from '../pki/dev-init.js';
import { issueDevCertificate } from '../pki/dev-testing.js';
import { CONTOUR_POLICY_OIDS } from './contour.js';
import { describeCertificate } from './info.js';
import { derObjects } from './pem.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tc-info-'));
  expect((await devInit(dir)).ok).toBe(true);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('describeCertificate', () => {
  it('describes the dev transport certificate as openssl does', () => {
    const file = join(dir, 'transport', 'cert.pem');
    const pem = readFileSync(file, 'utf8');
    const d = describeCertificate(pem);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    const v = d.value;
    expect(v).toMatchObject({
      subject: 'CN=TwinContour transport,O=TwinContour development',
      issuer: 'CN=TwinContour Development Root CA,O=TwinContour development',
      keyAlgorithm: 'ECDSA P-256',
      signatureAlgorithm: 'ecdsa-with-SHA256',
      keyUsage: ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'keyAgreement'],
      extendedKeyUsage: ['serverAuth', 'clientAuth'],
      policies: [CONTOUR_POLICY_OIDS.transport],
      contourMarker: 'transport',
      isCa: false,
      version: 3,
    });
    expect(v.contour).toBeUndefined();
    const fingerprint = execFileSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256'], {
      encoding: 'utf8',
    });
    expect(fingerprint.trim().split('=')[1]!.replace(/:/g, '').toLowerCase()).toBe(v.thumbprint);
    const dates = execFileSync('openssl', ['x509', '-in', file, '-noout', '-enddate'], { encoding: 'utf8' });
    expect(new Date(dates.trim().split('=')[1]!).getTime()).toBe(v.notAfter.getTime());
    // DER in, same answer.
    const der = derObjects(pem, ['CERTIFICATE'])[0]!;
    expect(describeCertificate(der)).toEqual(d);
  });

  it('describes the CA and an RSA certificate', async () => {
    const ca = describeCertificate(readFileSync(join(dir, 'ca', 'ca.pem'), 'utf8'));
    expect(ca).toMatchObject({ ok: true, value: { isCa: true, keyUsage: ['keyCertSign', 'cRLSign'], policies: [] } });
    const rsa = await issueDevCertificate(dir, { contour: 'cbr', keyAlgorithm: 'rsa-2048' });
    expect(describeCertificate(rsa.certificatePem)).toMatchObject({
      ok: true,
      value: { keyAlgorithm: 'RSA 2048', contourMarker: 'cbr' },
    });
  });

  it.each([
    ['empty text', ''],
    ['a PEM block of another kind', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'],
    ['bad base64', '-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n'],
  ])('refuses %s with SIG_CERT_MALFORMED', (_n, text) => {
    expect(describeCertificate(text)).toMatchObject({ ok: false, code: 'SIG_CERT_MALFORMED' });
  });

  it('refuses two certificates at once', () => {
    const pem = readFileSync(join(dir, 'formation', 'cert.pem'), 'utf8');
    expect(describeCertificate(pem + pem)).toMatchObject({ ok: false, code: 'SIG_CERT_MALFORMED' });
  });

  it('never throws on arbitrary bytes or text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 1024 }), fc.string({ maxLength: 1024 })), (input) => {
        expect(describeCertificate(input).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on a certificate with any byte changed', () => {
    const der = derObjects(readFileSync(join(dir, 'control', 'cert.pem'), 'utf8'), ['CERTIFICATE'])[0]!;
    fc.assert(
      fc.property(fc.nat({ max: der.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const changed = new Uint8Array(der);
        changed[i] = changed[i]! ^ x;
        const r = describeCertificate(changed);
        if (!r.ok) expect(r.code).toBe('SIG_CERT_MALFORMED');
      }),
      { numRuns: 200 },
    );
  });
});
