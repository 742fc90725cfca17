import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoftwareSigner } from '../signer.js';
import type { SigFailureCode, Signer } from '../types.js';
import { certificateFacts } from './certificate.js';
import { encodeOid, sequence, setOf, smallInteger, tlv } from './der.js';
import { OID } from './oids.js';
import { parseSignedData } from './parse.js';
import { addSigner, signDetached } from './sign.js';
import { type TestLeaf, TestPki, TestValidator } from './test-pki.js';
import { MAX_SIGNERS, verifyDetached } from './verify.js';

let pki: TestPki;
let otherPki: TestPki;
let ec: TestLeaf;
let ecSerial: number;
let rsa: TestLeaf;
let stranger: TestLeaf;
let ecSigner: Signer;
let rsaSigner: Signer;
let validator: TestValidator;
const data = new TextEncoder().encode('Платёжное поручение № 1 — normalized ED bytes');
// Set once the test certificates exist: a signing time taken before openssl issued them (in an
// earlier second) would fall before their notBefore.
let signingTime: Date;

/** Offset of `needle` in `haystack` (the test locates parts of a signature by their bytes). */
function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(haystack).indexOf(Buffer.from(needle));
}

function flip(bytes: Uint8Array, at: number, mask = 0x01): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[at]! ^= mask;
  return copy;
}

beforeAll(() => {
  pki = new TestPki();
  otherPki = new TestPki();
  ec = pki.leaf('ec', 'ec-p256');
  ecSerial = pki.serial;
  rsa = pki.leaf('rsa', 'rsa-2048');
  stranger = otherPki.leaf('stranger', 'ec-p256');
  ecSigner = createSoftwareSigner(ec.key, ec.certificateDer);
  rsaSigner = createSoftwareSigner(rsa.key, rsa.certificateDer);
  signingTime = new Date(Date.now() + 1000);
  validator = new TestValidator(
    pki.caDer,
    new Map([
      [ec.thumbprint, 'formation'],
      [rsa.thumbprint, 'control'],
    ]),
  );
});
afterAll(() => {
  pki.dispose();
  otherPki.dispose();
});

describe('verifyDetached: tampering', () => {
  it.each(['ecdsa', 'rsa'] as const)('%s: any changed byte of the content → SIG_DIGEST_MISMATCH', async (alg) => {
    const signer = alg === 'rsa' ? rsaSigner : ecSigner;
    const sig = await signDetached(data, signer);
    for (let i = 0; i < data.length; i++) {
      const report = await verifyDetached(sig, flip(data, i, 0x80), { validator });
      expect(report).toMatchObject({ ok: false, code: 'SIG_DIGEST_MISMATCH' });
    }
    expect((await verifyDetached(sig, data.subarray(1), { validator })).code).toBe('SIG_DIGEST_MISMATCH');
  });

  it.each(['ecdsa', 'rsa'] as const)('%s: any changed byte of the signature value → SIG_BAD_SIGNATURE', async (alg) => {
    const signer = alg === 'rsa' ? rsaSigner : ecSigner;
    const sig = await signDetached(data, signer);
    const parsed = parseSignedData(sig);
    if (!parsed.ok) throw new Error(parsed.message);
    const value = parsed.value.signers[0]!.signature;
    const at = indexOf(sig, value);
    for (let i = 0; i < value.length; i++) {
      const report = await verifyDetached(flip(sig, at + i), data, { validator });
      expect(report.ok).toBe(false);
      expect(report.code).toBe('SIG_BAD_SIGNATURE');
    }
  });

  it('any changed byte of the signed attributes → not ok (SIG_BAD_SIGNATURE, SIG_DIGEST_MISMATCH or SIG_MALFORMED)', async () => {
    const sig = await signDetached(data, ecSigner);
    const parsed = parseSignedData(sig);
    if (!parsed.ok) throw new Error(parsed.message);
    const attrs = parsed.value.signers[0]!.signedAttrs!;
    const at = indexOf(sig, attrs);
    const allowed = new Set<SigFailureCode>([
      'SIG_BAD_SIGNATURE',
      'SIG_DIGEST_MISMATCH',
      'SIG_MALFORMED',
      'SIG_CERT_NOT_FOUND',
    ]);
    for (let i = 1; i < attrs.length; i++) {
      const report = await verifyDetached(flip(sig, at + i), data, { validator });
      expect(report.ok).toBe(false);
      expect(allowed.has(report.code!)).toBe(true);
    }
  });

  it('any changed byte of the embedded certificate → SIG_CERT_* or SIG_MALFORMED', async () => {
    const sig = await signDetached(data, ecSigner);
    const at = indexOf(sig, ec.certificateDer);
    expect(at).toBeGreaterThan(0);
    for (let i = 0; i < ec.certificateDer.length; i++) {
      const report = await verifyDetached(flip(sig, at + i), data, { validator });
      expect(report.ok).toBe(false);
      expect(report.code).toMatch(/^SIG_(CERT_[A-Z_]+|MALFORMED)$/);
    }
  });

  it('two signers where one is bad → overall not ok, each signer reported', async () => {
    const first = await signDetached(data, ecSigner);
    const both = await addSigner(first, data, rsaSigner);
    if (!both.ok) throw new Error(both.message);
    const parsed = parseSignedData(both.value);
    if (!parsed.ok) throw new Error(parsed.message);
    const rsaInfo = parsed.value.signers.find((s) => s.signatureAlgorithm.oid === OID.sha256WithRSAEncryption)!;
    const broken = flip(both.value, indexOf(both.value, rsaInfo.signature) + 10);
    const report = await verifyDetached(broken, data, { validator });
    expect(report.ok).toBe(false);
    expect(report.code).toBe('SIG_BAD_SIGNATURE');
    const bad = report.signers.find((s) => s.index === rsaInfo.index)!;
    const good = report.signers.find((s) => s.index !== rsaInfo.index)!;
    expect(bad).toMatchObject({ ok: false, code: 'SIG_BAD_SIGNATURE' });
    expect(bad.certificate?.thumbprint).toBe(rsa.thumbprint);
    expect(good).toMatchObject({ ok: true });
    expect(good.certificate?.thumbprint).toBe(ec.thumbprint);
  });

  it('a certificate of another issuer does not stand in for the signer', async () => {
    const sig = await signDetached(data, ecSigner, { includeCertificate: false });
    const report = await verifyDetached(sig, data, { validator, certificates: [stranger.certificateDer] });
    expect(report).toMatchObject({ ok: false, code: 'SIG_CERT_NOT_FOUND' });
  });

  it('a certificate with the same issuer and serial but another key is caught by signingCertificateV2', async () => {
    // The CA (mistakenly or maliciously) issued a second certificate under the signer's serial.
    const impostor = pki.leaf('impostor', 'ec-p256', { serial: ecSerial, cn: 'ec' });
    const sig = await signDetached(data, ecSigner, { includeCertificate: false });
    const report = await verifyDetached(sig, data, { validator, certificates: [impostor.certificateDer] });
    expect(report).toMatchObject({ ok: false, code: 'SIG_CERT_NOT_FOUND' });
    expect(report.signers[0]!.certificate?.thumbprint).toBe(impostor.thumbprint);
  });
});

describe('verifyDetached: certificates and the validator', () => {
  it('without a validator, says that certificate checks were not performed', async () => {
    const report = await verifyDetached(await signDetached(data, ecSigner), data);
    expect(report).toMatchObject({ ok: true, certificateChecks: 'not-performed' });
    expect(report.signers[0]!.certificate).toMatchObject({
      thumbprint: ec.thumbprint,
      subject: 'CN=ec,O=TwinContour Test,C=RU',
      issuer: 'CN=Test CA,O=TwinContour Test,C=RU',
      serialNumber: ecSerial.toString(16),
    });
  });

  it('passes the signing time and now to the validator, and its info (with contour) into the report', async () => {
    const now = new Date(signingTime.getTime() + 60_000);
    const v = new TestValidator(pki.caDer, new Map([[ec.thumbprint, 'formation']]));
    const report = await verifyDetached(await signDetached(data, ecSigner, { signingTime }), data, {
      validator: v,
      now,
    });
    expect(report.ok).toBe(true);
    expect(v.calls).toEqual([
      { thumbprint: ec.thumbprint, signingTime: new Date(Math.floor(signingTime.getTime() / 1000) * 1000), now },
    ]);
    expect(report.signers[0]!.certificate?.contour).toBe('formation');
  });

  it.each([
    ['expired at "now"', { now: new Date(Date.now() + 400 * 86_400_000) }, 'SIG_CERT_EXPIRED'],
    [
      'signed before the certificate was valid',
      { signingTime: new Date(Date.now() - 400 * 86_400_000) },
      'SIG_CERT_NOT_YET_VALID',
    ],
  ] as const)("the validator's code is passed through: %s", async (_, times, code) => {
    const sig = await signDetached(data, ecSigner, 'signingTime' in times ? { signingTime: times.signingTime } : {});
    const report = await verifyDetached(sig, data, { validator, ...('now' in times ? { now: times.now } : {}) });
    expect(report).toMatchObject({ ok: false, code });
    expect(report.signers[0]!.certificate?.thumbprint).toBe(ec.thumbprint);
  });

  it('a certificate from another CA → SIG_CERT_UNTRUSTED', async () => {
    const signer = createSoftwareSigner(stranger.key, stranger.certificateDer);
    const report = await verifyDetached(await signDetached(data, signer), data, { validator });
    expect(report).toMatchObject({ ok: false, code: 'SIG_CERT_UNTRUSTED' });
  });

  it('finds a certificate that the SignedData does not carry among opts.certificates, else SIG_CERT_NOT_FOUND', async () => {
    const sig = await signDetached(data, ecSigner, { includeCertificate: false });
    expect(await verifyDetached(sig, data, { validator })).toMatchObject({ ok: false, code: 'SIG_CERT_NOT_FOUND' });
    expect(await verifyDetached(sig, data, { validator, certificates: [ec.certificateDer] })).toMatchObject({
      ok: true,
    });
  });

  it('caches certificate facts by thumbprint', () => {
    const a = certificateFacts(ec.certificateDer);
    const b = certificateFacts(new Uint8Array(ec.certificateDer));
    expect(a.ok && b.ok && a.value === b.value).toBe(true);
  });
});

describe('verifyDetached: contours', () => {
  it.each([
    [['formation', 'control'], true, undefined],
    [['control', 'formation'], true, undefined],
    [['formation'], false, 'SIG_WRONG_CONTOUR'],
    [['formation', 'control', 'transport'], false, 'SIG_MISSING_CONTOUR'],
    [['formation', 'formation'], false, 'SIG_WRONG_CONTOUR'],
  ] as const)('expected %j → ok %s (%s)', async (expected, ok, code) => {
    const both = await addSigner(await signDetached(data, ecSigner), data, rsaSigner);
    if (!both.ok) throw new Error(both.message);
    const report = await verifyDetached(both.value, data, { validator, expectedContours: expected });
    expect(report.ok).toBe(ok);
    if (code) expect(report.code).toBe(code);
  });

  it('two signers with one certificate → SIG_SAME_CERTIFICATE', async () => {
    const twice = await addSigner(await signDetached(data, ecSigner), data, ecSigner);
    if (!twice.ok) throw new Error(twice.message);
    const report = await verifyDetached(twice.value, data, { validator, expectedContours: ['formation', 'control'] });
    expect(report.ok).toBe(false);
    expect(report.signers.map((s) => s.code)).toContain('SIG_SAME_CERTIFICATE');
  });
});

describe('verifyDetached: structure and algorithms', () => {
  it('a SignedData without signers → SIG_NO_SIGNERS', async () => {
    const empty = sequence(
      encodeOid(OID.signedData),
      tlv(0xa0, sequence(smallInteger(1), setOf([]), sequence(encodeOid(OID.data)), setOf([]))),
    );
    expect(await verifyDetached(empty, data)).toMatchObject({ ok: false, code: 'SIG_NO_SIGNERS', signers: [] });
  });

  it('a signature algorithm the package does not know → SIG_UNSUPPORTED_ALGORITHM', async () => {
    // A provider declaring GOST R 34.10-2012 (256): verification dispatches on the OID and has no such row.
    const gostLike: Signer = { ...ecSigner, signatureAlgorithm: { oid: '1.2.643.7.1.1.3.2' }, sign: ecSigner.sign };
    const report = await verifyDetached(await signDetached(data, gostLike), data);
    expect(report).toMatchObject({ ok: false, code: 'SIG_UNSUPPORTED_ALGORITHM' });
  });

  it(`more than MAX_SIGNERS signers → SIG_MALFORMED without verifying them`, async () => {
    let der = await signDetached(data, ecSigner);
    for (let i = 0; i < MAX_SIGNERS; i++) {
      const next = await addSigner(der, data, ecSigner);
      if (!next.ok) throw new Error(next.message);
      der = next.value;
    }
    expect(await verifyDetached(der, data)).toMatchObject({ ok: false, code: 'SIG_MALFORMED', signers: [] });
  });

  it('leaves "now" to the validator when not given', async () => {
    const v = new TestValidator(pki.caDer);
    await verifyDetached(await signDetached(data, ecSigner), data, { validator: v });
    expect(v.calls[0]).not.toHaveProperty('now');
  });

  it('an RSA signature declared as ECDSA does not verify', async () => {
    const lying: Signer = { ...rsaSigner, signatureAlgorithm: { oid: OID.ecdsaWithSHA256 }, sign: rsaSigner.sign };
    const report = await verifyDetached(await signDetached(data, lying), data);
    expect(report).toMatchObject({ ok: false, code: 'SIG_BAD_SIGNATURE' });
  });
});

describe('verifyDetached: properties', () => {
  it('random content signed then verified passes; any single changed byte fails', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 2048 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (content, pos, mask) => {
          const sig = await signDetached(content, ecSigner);
          expect((await verifyDetached(sig, content, { validator })).ok).toBe(true);
          const report = await verifyDetached(sig, flip(content, pos % content.length, mask), { validator });
          expect(report).toMatchObject({ ok: false, code: 'SIG_DIGEST_MISMATCH' });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('arbitrary bytes never make parseSignedData or verifyDetached throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
        const parsed = parseSignedData(bytes);
        if (!parsed.ok) expect(parsed.code).toBe('SIG_MALFORMED');
        const report = await verifyDetached(bytes, data, { validator });
        expect(report.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('a valid signature with random bytes changed never throws, and is never accepted for the wrong content', async () => {
    const sig = await signDetached(data, rsaSigner);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        async (changes) => {
          const mutated = new Uint8Array(sig);
          for (const [pos, mask] of changes) mutated[pos % mutated.length]! ^= mask;
          parseSignedData(mutated);
          const report = await verifyDetached(mutated, data.subarray(1), { validator });
          expect(report.ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
