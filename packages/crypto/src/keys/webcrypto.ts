import { createPublicKey, type KeyObject, webcrypto } from 'node:crypto';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;
type EcdsaParams = webcrypto.EcdsaParams;

/** How a software key signs certificates, CRLs and CSRs through WebCrypto (@peculiar/x509). */
export interface WebSigningKey {
  keys: CryptoKeyPair;
  /** The WebCrypto signing algorithm: ECDSA with SHA-256, or RSASSA-PKCS1-v1_5 with SHA-256. */
  signingAlgorithm: Algorithm | EcdsaParams;
}

const CURVE_NAMES: Readonly<Record<string, string>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

/**
 * Imports a node:crypto private key into WebCrypto (Node 20 has no KeyObject.toCryptoKey) for the
 * libraries built on it. Undefined for key types those libraries cannot sign with here.
 */
export async function toWebSigningKey(privateKey: KeyObject): Promise<WebSigningKey | undefined> {
  if (privateKey.type !== 'private') return undefined;
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  let importAlgorithm: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
  let signingAlgorithm: Algorithm | EcdsaParams;
  if (privateKey.asymmetricKeyType === 'ec') {
    const curve = CURVE_NAMES[privateKey.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!curve) return undefined;
    importAlgorithm = { name: 'ECDSA', namedCurve: curve };
    signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams;
  } else if (privateKey.asymmetricKeyType === 'rsa') {
    importAlgorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    signingAlgorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as Algorithm;
  } else {
    return undefined;
  }
  const subtle = webcrypto.subtle;
  const keys = {
    privateKey: await subtle.importKey('pkcs8', pkcs8, importAlgorithm, false, ['sign']),
    publicKey: await subtle.importKey('spki', spki, importAlgorithm, true, ['verify']),
  } as CryptoKeyPair;
  return { keys, signingAlgorithm };
}

/** Node's WebCrypto, as the libraries built on WebCrypto take it. */
export function nodeWebCrypto(): webcrypto.Crypto {
  return webcrypto;
}
