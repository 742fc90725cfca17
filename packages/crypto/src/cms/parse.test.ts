import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoftwareSigner } from '../signer.js';
import type { Signer } from '../types.js';
import { concat, readChildren, readSingle, slice } from './der.js';
import { OID } from './oids.js';
import { parseSignedData } from './parse.js';
import { addSigner, signDetached } from './sign.js';
import { opensslSign, opensslVerify, type TestLeaf, TestPki, TestValidator } from './test-pki.js';
import { verifyDetached } from './verify.js';

let pki: TestPki;
let ec: TestLeaf;
let rsa: TestLeaf;
let ecSigner: Signer;
let rsaSigner: Signer;
let validator: TestValidator;
const data = new TextEncoder().encode('content');

beforeAll(() => {
  pki = new TestPki();
  ec = pki.leaf('ec', 'ec-p256');
  rsa = pki.leaf('rsa', 'rsa-2048');
  ecSigner = createSoftwareSigner(ec.key, ec.certificateDer);
  rsaSigner = createSoftwareSigner(rsa.key, rsa.certificateDer);
  validator = new TestValidator(pki.caDer);
});
afterAll(() => pki.dispose());

/** Re-writes ContentInfo, its [0] and the SignedData SEQUENCE with BER indefinite lengths, as streaming producers do. */
function toIndefinite(der: Uint8Array): Uint8Array {
  const ci = readSingle(der)!;
  const [oid, wrapper] = readChildren(der, ci)!;
  const sd = readChildren(der, wrapper!)![0]!;
  const fields = readChildren(der, sd)!.map((f) => slice(der, f));
  const eoc = Uint8Array.of(0, 0);
  return concat([
    Uint8Array.of(0x30, 0x80),
    slice(der, oid!),
    Uint8Array.of(0xa0, 0x80, 0x30, 0x80),
    ...fields,
    eoc,
    eoc,
    eoc,
  ]);
}

describe('parseSignedData', () => {
  it('reads a BER SignedData with indefinite lengths; addSigner turns it into DER that openssl verifies', async () => {
    const ber = toIndefinite(await signDetached(data, ecSigner));
    expect(ber[1]).toBe(0x80);
    expect(await verifyDetached(ber, data, { validator })).toMatchObject({ ok: true });
    const added = await addSigner(ber, data, rsaSigner);
    if (!added.ok) throw new Error(added.message);
    expect(added.value[1]).not.toBe(0x80);
    expect(opensslVerify(pki, added.value, data).ok).toBe(true);
  });

  it('reads an attached SignedData (openssl -nodetach) and its content', () => {
    const sig = opensslSign(pki, ec, data, ['-nodetach']);
    const parsed = parseSignedData(sig);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.value.eContent).toEqual(data);
  });

  it('finds a signer identified by subjectKeyIdentifier (openssl -keyid)', async () => {
    const sig = opensslSign(pki, ec, data, ['-keyid']);
    const parsed = parseSignedData(sig);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.value.signers[0]!.sid.kind).toBe('subjectKeyIdentifier');
    const report = await verifyDetached(sig, data, { validator });
    expect(report.ok).toBe(true);
    expect(report.signers[0]!.certificate?.thumbprint).toBe(ec.thumbprint);
  });

  it('reads the fields of an openssl RSA signature (rsaEncryption as signature algorithm)', () => {
    const parsed = parseSignedData(opensslSign(pki, rsa, data));
    if (!parsed.ok) throw new Error(parsed.message);
    const s = parsed.value.signers[0]!;
    expect(s.signatureAlgorithm.oid).toBe(OID.rsaEncryption);
    expect(s.digestAlgorithm.oid).toBe(OID.sha256);
    expect(s.messageDigest).toHaveLength(32);
    expect(s.signingTime).toBeInstanceOf(Date);
    expect(s.contentType).toBe(OID.data);
  });

  it.each([
    ['not DER', Uint8Array.of(1, 2, 3)],
    [
      'another content type',
      Uint8Array.of(0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01, 0xa0, 0x00),
    ],
    ['a string', 'hello' as unknown as Uint8Array],
  ])('refuses %s with SIG_MALFORMED', (_, input) => {
    expect(parseSignedData(input)).toMatchObject({ ok: false, code: 'SIG_MALFORMED' });
  });
});
