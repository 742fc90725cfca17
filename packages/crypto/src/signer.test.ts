import { constants, createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OID } from './cms/oids.js';
import { type KeySpec, type TestLeaf, TestPki } from './cms/test-pki.js';
import { createSoftwareSigner, SignerError } from './signer.js';

let pki: TestPki;
const leaves = {} as Record<KeySpec, TestLeaf>;

beforeAll(() => {
  pki = new TestPki();
  for (const spec of ['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-1024', 'ed25519'] as const)
    leaves[spec] = pki.leaf(spec, spec);
});
afterAll(() => pki.dispose());

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof SignerError ? err.code : `not a SignerError: ${String(err)}`;
  }
  return undefined;
}

describe('createSoftwareSigner', () => {
  it('ECDSA P-256: algorithm chosen from the key, DER ECDSA-Sig-Value that node:crypto verifies', async () => {
    const leaf = leaves['ec-p256'];
    const signer = createSoftwareSigner(leaf.key, leaf.certificateDer);
    expect(signer.algorithm).toBe('ECDSA-P256-SHA256');
    expect(signer.digestAlgorithm).toEqual({ oid: OID.sha256 });
    expect(signer.signatureAlgorithm).toEqual({ oid: OID.ecdsaWithSHA256 });
    expect(signer.certificate).toEqual(leaf.certificateDer);
    const data = new TextEncoder().encode('data');
    const sig = await signer.sign(data);
    expect(sig[0]).toBe(0x30);
    expect(verify('sha256', data, { key: createPublicKey(leaf.key), dsaEncoding: 'der' }, sig)).toBe(true);
  });

  it('RSA-2048: PKCS#1 v1.5 with SHA-256, NULL parameters', async () => {
    const leaf = leaves['rsa-2048'];
    const signer = createSoftwareSigner(leaf.key, leaf.certificateDer);
    expect(signer.algorithm).toBe('RSA-PKCS1-SHA256');
    expect(signer.signatureAlgorithm).toEqual({ oid: OID.sha256WithRSAEncryption, parameters: Uint8Array.of(5, 0) });
    const data = new TextEncoder().encode('data');
    const sig = await signer.sign(data);
    expect(sig).toHaveLength(256);
    const key = { key: createPublicKey(leaf.key), padding: constants.RSA_PKCS1_PADDING };
    expect(verify('sha256', data, key, sig)).toBe(true);
  });

  it.each([
    ['rsa-1024', 'SIG_UNSUPPORTED_ALGORITHM'],
    ['ec-p384', 'SIG_UNSUPPORTED_ALGORITHM'],
    ['ed25519', 'SIG_UNSUPPORTED_ALGORITHM'],
  ] as const)('refuses a %s key with %s', (spec, code) => {
    expect(codeOf(() => createSoftwareSigner(leaves[spec].key, leaves[spec].certificateDer))).toBe(code);
  });

  it('refuses a public key, a key that is not the certificate’s, and an unreadable certificate', () => {
    const ec = leaves['ec-p256'];
    expect(codeOf(() => createSoftwareSigner(createPublicKey(ec.key), ec.certificateDer))).toBe('SIG_KEY_INVALID');
    expect(codeOf(() => createSoftwareSigner(ec.key, leaves['rsa-2048'].certificateDer))).toBe('SIG_KEY_INVALID');
    expect(codeOf(() => createSoftwareSigner(ec.key, Uint8Array.of(0x30, 0x00)))).toBe('SIG_CERT_MALFORMED');
  });

  it('keeps key material out of error messages', () => {
    const ec = leaves['ec-p256'];
    let message = '';
    try {
      createSoftwareSigner(ec.key, leaves['rsa-2048'].certificateDer);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/does not belong to certificate [0-9a-f]{64}/);
    const der = ec.key.export({ format: 'der', type: 'pkcs8' });
    for (const encoded of [der.toString('base64'), der.toString('hex')]) {
      expect(message).not.toContain(encoded.slice(-40));
    }
  });
});
