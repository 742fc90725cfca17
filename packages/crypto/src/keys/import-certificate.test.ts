import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devInit, readDevIdentity } from '../pki/dev-init.js';
import { issueDevCertificate } from '../pki/dev-testing.js';
import { generateKeyPair } from './generate.js';
import { importCertificate } from './import-certificate.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tc-import-'));
  expect((await devInit(dir)).ok).toBe(true);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('importCertificate', () => {
  it('accepts the certificate of the key, PEM or DER', async () => {
    const id = await readDevIdentity(dir, 'control');
    if (!id.ok) throw new Error(id.message);
    const pem = importCertificate(id.value.certificatePem, id.value.privateKey, { expectedContour: 'control' });
    expect(pem).toMatchObject({
      ok: true,
      value: { description: { contourMarker: 'control', thumbprint: id.value.thumbprint } },
    });
    const der = importCertificate(id.value.certificateDer, id.value.privateKey);
    expect(der.ok && Buffer.from(der.value.certificateDer).equals(id.value.certificateDer)).toBe(true);
    expect(der.ok && der.value.certificatePem).toBe(readFileSync(join(dir, 'control', 'cert.pem'), 'utf8'));
  });

  it('refuses a certificate of another key with KEY_CERT_MISMATCH', async () => {
    const id = await readDevIdentity(dir, 'formation');
    if (!id.ok) throw new Error(id.message);
    const { privateKey } = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    expect(importCertificate(id.value.certificatePem, privateKey)).toMatchObject({
      ok: false,
      code: 'KEY_CERT_MISMATCH',
    });
    const rsa = await generateKeyPair({ algorithm: 'rsa-2048' });
    expect(importCertificate(id.value.certificatePem, rsa.privateKey)).toMatchObject({ code: 'KEY_CERT_MISMATCH' });
  });

  it('refuses a certificate marked for another contour with KEY_CERT_WRONG_CONTOUR', async () => {
    const id = await readDevIdentity(dir, 'formation');
    if (!id.ok) throw new Error(id.message);
    expect(
      importCertificate(id.value.certificatePem, id.value.privateKey, { expectedContour: 'control' }),
    ).toMatchObject({
      ok: false,
      code: 'KEY_CERT_WRONG_CONTOUR',
    });
  });

  it('accepts a certificate with no contour marker for any contour (it is then bound by pinning)', async () => {
    const c = await issueDevCertificate(dir, { contour: null });
    expect(importCertificate(c.certificatePem, c.privateKey, { expectedContour: 'cbr' }).ok).toBe(true);
  });

  it('refuses garbage with SIG_CERT_MALFORMED', async () => {
    const { privateKey } = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    expect(importCertificate('not a certificate', privateKey)).toMatchObject({ ok: false, code: 'SIG_CERT_MALFORMED' });
  });
});
