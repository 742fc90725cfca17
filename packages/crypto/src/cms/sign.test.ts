import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoftwareSigner } from '../signer.js';
import type { Signer } from '../types.js';
import { bytesEqual, compareBytes, content, readChildren, readSingle } from './der.js';
import { OID } from './oids.js';
import { parseAttributes, parseSignedData } from './parse.js';
import { addSigner, signDetached } from './sign.js';
import { opensslResign, opensslSign, opensslVerify, type TestLeaf, TestPki, TestValidator } from './test-pki.js';
import { verifyDetached } from './verify.js';

let pki: TestPki;
let ec: TestLeaf;
let ec2: TestLeaf;
let rsa: TestLeaf;
let signers: Record<'ecdsa' | 'ecdsa2' | 'rsa', Signer>;
let validator: TestValidator;
const data = new TextEncoder().encode('<ED101 xmlns="urn:cbr-ru:ed:v2.0" EDNo="1"/>\n');

beforeAll(() => {
  pki = new TestPki();
  ec = pki.leaf('ec', 'ec-p256');
  ec2 = pki.leaf('ec2', 'ec-p256');
  rsa = pki.leaf('rsa', 'rsa-2048');
  signers = {
    ecdsa: createSoftwareSigner(ec.key, ec.certificateDer),
    ecdsa2: createSoftwareSigner(ec2.key, ec2.certificateDer),
    rsa: createSoftwareSigner(rsa.key, rsa.certificateDer),
  };
  validator = new TestValidator(pki.caDer);
});
afterAll(() => pki.dispose());

describe('signDetached', () => {
  it.each(['ecdsa', 'rsa'] as const)('%s: openssl cms -verify accepts it, and so does verifyDetached', async (alg) => {
    const sig = await signDetached(data, signers[alg]);
    expect(opensslVerify(pki, sig, data)).toMatchObject({ ok: true });
    const report = await verifyDetached(sig, data, { validator });
    expect(report.ok).toBe(true);
    expect(report.signers).toHaveLength(1);
  });

  it('writes the structure the issue asks for: detached, issuerAndSerialNumber, four signed attributes in DER order', async () => {
    const signingTime = new Date('2025-03-14T10:20:30Z');
    const sig = await signDetached(data, signers.ecdsa, { signingTime });
    const parsed = parseSignedData(sig);
    if (!parsed.ok) throw new Error(parsed.message);
    const sd = parsed.value;
    expect(sd.version).toBe(1);
    expect(sd.eContentType).toBe(OID.data);
    expect(sd.eContent).toBeUndefined();
    expect(sd.certificates).toEqual([ec.certificateDer]);
    expect(sd.digestAlgorithms.map((a) => a.oid)).toEqual([OID.sha256]);
    const s = sd.signers[0]!;
    expect(s.version).toBe(1);
    expect(s.sid.kind).toBe('issuerAndSerialNumber');
    expect(s.signatureAlgorithm).toMatchObject({ oid: OID.ecdsaWithSHA256 });
    expect(s.signatureAlgorithm.parameters).toBeUndefined();
    expect(s.signingTime).toEqual(signingTime);
    expect(s.contentType).toBe(OID.data);
    expect(s.signedAttributes.map((a) => a.oid).sort()).toEqual(
      [OID.contentType, OID.messageDigest, OID.signingTime, OID.signingCertificateV2].sort(),
    );
    // [0] IMPLICIT tag, and the elements sorted as DER sorts a SET OF.
    expect(s.signedAttrs![0]).toBe(0xa0);
    const set = readSingle(s.signedAttrs!)!;
    const elems = readChildren(s.signedAttrs!, set)!.map((t) => s.signedAttrs!.subarray(t.start, t.end));
    const sorted = [...elems].sort(compareBytes);
    expect(elems).toEqual(sorted);
    // ESSCertIDv2: SHA-256 is the default hash algorithm, so the first field is the certHash itself.
    const ess = s.signedAttributes.find((a) => a.oid === OID.signingCertificateV2)!.values[0]!;
    const certs = readChildren(ess, readSingle(ess)!)!;
    const first = readChildren(ess, readChildren(ess, certs[0]!)![0]!)!;
    expect(first[0]!.tag).toBe(0x04);
    expect(first[1]!.tag).toBe(0x30); // issuerSerial
  });

  it('RSA uses sha256WithRSAEncryption with NULL parameters', async () => {
    const parsed = parseSignedData(await signDetached(data, signers.rsa));
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.value.signers[0]!.signatureAlgorithm).toMatchObject({
      oid: OID.sha256WithRSAEncryption,
      parameters: Uint8Array.of(5, 0),
    });
  });

  it('encodes signingTime as GeneralizedTime from 2050 (RFC 5652 §11.3)', async () => {
    const signingTime = new Date('2051-01-02T03:04:05Z');
    const parsed = parseSignedData(await signDetached(data, signers.ecdsa, { signingTime }));
    if (!parsed.ok) throw new Error(parsed.message);
    const attr = parsed.value.signers[0]!.signedAttributes.find((a) => a.oid === OID.signingTime)!;
    expect(attr.values[0]![0]).toBe(0x18);
    expect(parsed.value.signers[0]!.signingTime).toEqual(signingTime);
  });

  it('leaves the certificate out on request', async () => {
    const sig = await signDetached(data, signers.ecdsa, { includeCertificate: false });
    const parsed = parseSignedData(sig);
    expect(parsed.ok && parsed.value.certificates).toEqual([]);
  });
});

describe('co-signing', () => {
  it.each([
    ['ecdsa', 'rsa'],
    ['rsa', 'ecdsa'],
    ['ecdsa', 'ecdsa2'],
  ] as const)('%s then %s with addSigner: both verify, with openssl and with the package', async (a, b) => {
    const first = await signDetached(data, signers[a]);
    const both = await addSigner(first, data, signers[b]);
    if (!both.ok) throw new Error(both.message);
    expect(opensslVerify(pki, both.value, data)).toMatchObject({ ok: true });
    const report = await verifyDetached(both.value, data, { validator });
    expect(report.ok).toBe(true);
    expect(report.signers).toHaveLength(2);
    const leaves = { ecdsa: ec, ecdsa2: ec2, rsa };
    expect(new Set(report.signers.map((s) => s.certificate?.thumbprint))).toEqual(
      new Set([leaves[a].thumbprint, leaves[b].thumbprint]),
    );
  });

  it('keeps every existing SignerInfo and certificate byte for byte', async () => {
    const first = await signDetached(data, signers.rsa);
    const before = parseSignedData(first);
    const after = await addSigner(first, data, signers.ecdsa);
    if (!before.ok || !after.ok) throw new Error('setup');
    const parsed = parseSignedData(after.value);
    if (!parsed.ok) throw new Error(parsed.message);
    const raws = parsed.value.signers.map((s) => s.raw);
    expect(raws.some((r) => bytesEqual(r, before.value.signers[0]!.raw))).toBe(true);
    expect(parsed.value.certificates.some((c) => bytesEqual(c, rsa.certificateDer))).toBe(true);
    expect(parsed.value.certificates.some((c) => bytesEqual(c, ec.certificateDer))).toBe(true);
    // Same digest algorithm: not listed twice.
    expect(parsed.value.digestAlgorithms).toHaveLength(1);
  });

  it('does not add the certificate twice when the same certificate signs again', async () => {
    const first = await signDetached(data, signers.ecdsa);
    const again = await addSigner(first, data, signers.ecdsa);
    if (!again.ok) throw new Error(again.message);
    const parsed = parseSignedData(again.value);
    expect(parsed.ok && parsed.value.certificates).toHaveLength(1);
    expect(parsed.ok && parsed.value.signers).toHaveLength(2);
  });

  it('refuses to co-sign other content than the existing signers signed', async () => {
    const first = await signDetached(data, signers.ecdsa);
    const other = new TextEncoder().encode('something else');
    const r = await addSigner(first, other, signers.rsa);
    expect(r).toMatchObject({ ok: false, code: 'SIG_DIGEST_MISMATCH' });
  });

  it.each([
    ['empty', new Uint8Array(0)],
    ['garbage', Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)],
  ])('refuses a malformed SignedData (%s)', async (_, bytes) => {
    expect(await addSigner(bytes, data, signers.ecdsa)).toMatchObject({ ok: false, code: 'SIG_MALFORMED' });
  });
});

describe('interoperability with openssl cms', () => {
  it.each([
    ['rsa', []],
    ['ec', []],
    ['ec', ['-cades']],
    ['rsa', ['-cades']],
  ] as const)('a signature by openssl cms -sign (%s %j) verifies', async (which, extra) => {
    const leaf = which === 'rsa' ? rsa : ec;
    const sig = opensslSign(pki, leaf, data, [...extra]);
    const report = await verifyDetached(sig, data, { validator });
    expect(report).toMatchObject({ ok: true, certificateChecks: 'performed' });
    expect(report.signers[0]!.certificate?.thumbprint).toBe(leaf.thumbprint);
    expect(report.signers[0]!.signingTime).toBeInstanceOf(Date);
  });

  it('an openssl signature co-signed with openssl cms -resign verifies, both signers', async () => {
    const sig = opensslResign(pki, opensslSign(pki, rsa, data), ec, data);
    const report = await verifyDetached(sig, data, { validator });
    expect(report.ok).toBe(true);
    expect(report.signers).toHaveLength(2);
  });

  it('a package signature co-signed by openssl cms -resign verifies', async () => {
    const sig = opensslResign(pki, await signDetached(data, signers.ecdsa), rsa, data);
    const report = await verifyDetached(sig, data, { validator });
    expect(report.ok).toBe(true);
    expect(report.signers).toHaveLength(2);
  });

  it('addSigner on an openssl signature keeps its SignerInfo and certificate byte for byte, and openssl verifies the result', async () => {
    const original = opensslSign(pki, rsa, data);
    const before = parseSignedData(original);
    if (!before.ok) throw new Error(before.message);
    const result = await addSigner(original, data, signers.ecdsa);
    if (!result.ok) throw new Error(result.message);
    // The original SignerInfo (OpenSSL's SMIMECapabilities attribute, rsaEncryption OID and all) appears unchanged.
    const hex = Buffer.from(result.value).toString('hex');
    expect(hex).toContain(Buffer.from(before.value.signers[0]!.raw).toString('hex'));
    expect(hex).toContain(Buffer.from(before.value.certificates[0]!).toString('hex'));
    expect(hex).toContain(Buffer.from(before.value.encapContentInfo).toString('hex'));
    const after = parseSignedData(result.value);
    if (!after.ok) throw new Error(after.message);
    const kept = after.value.signers.find((s) => bytesEqual(s.raw, before.value.signers[0]!.raw));
    expect(kept).toBeDefined();
    expect(opensslVerify(pki, result.value, data)).toMatchObject({ ok: true });
    expect((await verifyDetached(result.value, data, { validator })).ok).toBe(true);
  });

  it('signed attributes of an openssl signature are read from the raw bytes, not re-encoded', async () => {
    const sig = opensslSign(pki, ec, data);
    const parsed = parseSignedData(sig);
    if (!parsed.ok) throw new Error(parsed.message);
    const raw = parsed.value.signers[0]!.signedAttrs!;
    const attrs = parseAttributes(raw, readSingle(raw)!);
    expect(attrs?.length).toBe(parsed.value.signers[0]!.signedAttributes.length);
    expect(content(raw, readSingle(raw)!).length).toBeGreaterThan(0);
  });
});
