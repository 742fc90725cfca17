import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openSecret, sealSecret } from './secret-box.js';

describe('secret box (AES-256-GCM)', () => {
  it('opens what it sealed, and the sealed bytes do not contain the secret', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 8, maxLength: 80 }), fc.string({ maxLength: 40 }), (secret, aad) => {
        const key = randomBytes(32);
        const sealed = sealSecret(key, secret, aad);
        expect(openSecret(key, sealed, aad)).toBe(secret);
        expect(sealed.includes(Buffer.from(secret, 'utf8'))).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('seals the same secret differently each time (random nonce)', () => {
    const key = randomBytes(32);
    expect(sealSecret(key, 's3cret-value', 'sub-1').equals(sealSecret(key, 's3cret-value', 'sub-1'))).toBe(false);
  });

  it.each([
    ['another key', (_k: Buffer, s: Buffer) => [randomBytes(32), s, 'sub-1'] as const],
    ['another row', (k: Buffer, s: Buffer) => [k, s, 'sub-2'] as const],
    ['a truncated ciphertext', (k: Buffer, s: Buffer) => [k, s.subarray(0, 20), 'sub-1'] as const],
  ])('does not open under %s', (_name, change) => {
    const key = randomBytes(32);
    const sealed = sealSecret(key, 'the-webhook-secret', 'sub-1');
    const [k, s, aad] = change(key, sealed);
    expect(openSecret(k, s, aad)).toBeUndefined();
  });

  it('does not open once any byte is changed', () => {
    const key = randomBytes(32);
    const sealed = sealSecret(key, 'the-webhook-secret', 'sub-1');
    fc.assert(
      fc.property(fc.nat({ max: sealed.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const altered = Buffer.from(sealed);
        altered[at] = (altered[at] ?? 0) ^ flip;
        expect(openSecret(key, altered, 'sub-1')).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });
});
