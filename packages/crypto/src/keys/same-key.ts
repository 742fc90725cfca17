import { createPublicKey, type KeyObject } from 'node:crypto';

/**
 * Whether two keys (private or public) have the same public half. Compares the SPKI encodings
 * instead of calling `KeyObject.equals`: on Node 20, `equals` between keys of different types
 * leaves an OpenSSL error queued ("different key types") that makes the next `createPrivateKey`
 * with a passphrase fail. Never throws.
 */
export function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  try {
    if (a.asymmetricKeyType !== b.asymmetricKeyType) return false;
    const pa = a.type === 'public' ? a : createPublicKey(a);
    const pb = b.type === 'public' ? b : createPublicKey(b);
    return pa.export({ type: 'spki', format: 'der' }).equals(pb.export({ type: 'spki', format: 'der' }));
  } catch {
    return false;
  }
}
