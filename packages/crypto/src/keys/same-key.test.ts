import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { samePublicKey } from './same-key.js';

describe('samePublicKey', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ec2 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

  it.each([
    ['a private key and its public key', ec.privateKey, ec.publicKey, true],
    ['two public keys of one pair', ec.publicKey, ec.publicKey, true],
    ['two different EC keys', ec.privateKey, ec2.publicKey, false],
    ['an RSA and an EC key', rsa.privateKey, ec.publicKey, false],
  ])('%s: %s', (_n, a, b, same) => {
    expect(samePublicKey(a, b)).toBe(same);
  });

  it('leaves no OpenSSL error behind that would break the next passphrase-protected key', () => {
    const pem = ec.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' });
    expect(samePublicKey(rsa.privateKey, ec.publicKey)).toBe(false);
    expect(() => createPrivateKey({ key: pem, passphrase: 'pw' })).not.toThrow();
  });
});
