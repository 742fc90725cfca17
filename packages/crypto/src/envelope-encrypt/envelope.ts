import type { KeyObject } from 'node:crypto';
import type { Result } from '@twincontour/ufebs';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { parseCertificate } from '../certs/parse.js';
import { samePublicKey } from '../keys/same-key.js';
import { nodeWebCrypto } from '../keys/webcrypto.js';

/**
 * Application-level encryption (802-П п. 14.3: шифрование на прикладном уровне) as CMS
 * EnvelopedData, built with pkijs in the two profiles OpenSSL also opens (CRYPTO.md):
 * - RSA recipients: RSAES-OAEP with SHA-256 (and MGF1-SHA-256) + AES-256-CBC;
 * - EC recipients: ECDH P-256 dhSinglePass-stdDH-sha256kdf (RFC 5753) + AES-256 key wrap + AES-256-CBC.
 * AES-GCM is not used: OpenSSL 3.0 rejects pkijs's AuthEnvelopedData.
 * In production the certified cryptography of the Bank of Russia's АРМ КБР-Н replaces this; the
 * interface stays the same.
 */

/** Envelopes larger than this are refused unread. */
export const MAX_ENVELOPE_BYTES = 64 * 1024 * 1024;

const ENVELOPED_DATA = '1.2.840.113549.1.7.3';
const RSA_OAEP = '1.2.840.113549.1.1.7';
const ECDH_SHA256_KDF = '1.3.132.1.11.1';
const AES_CBC = new Set(['2.16.840.1.101.3.4.1.2', '2.16.840.1.101.3.4.1.22', '2.16.840.1.101.3.4.1.42']);

/** Thrown by {@link encryptFor} when the recipient certificate cannot be encrypted to (a configuration fault). */
export class EnvelopeError extends Error {
  constructor(
    readonly code: 'ENC_RECIPIENT_UNSUPPORTED',
    message: string,
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

function engine(): pkijs.CryptoEngine {
  return new pkijs.CryptoEngine({
    name: 'node',
    crypto: nodeWebCrypto() as unknown as pkijs.CryptoEngineParameters['crypto'],
  });
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * Encrypts `content` for the holder of `recipientCertDer` and returns the DER ContentInfo
 * (EnvelopedData). `openssl cms -decrypt -binary -inform DER -recip cert.pem -inkey key.pem` opens it.
 * The recipient certificate must already have been checked by the trust store (usage
 * `encryption`); a certificate whose key is neither RSA nor EC P-256 throws {@link EnvelopeError}.
 */
export async function encryptFor(content: Uint8Array, recipientCertDer: Uint8Array): Promise<Uint8Array> {
  const parsed = parseCertificate(recipientCertDer);
  if (!parsed.ok) throw new EnvelopeError('ENC_RECIPIENT_UNSUPPORTED', `recipient certificate: ${parsed.message}`);
  const keyAlgorithm = parsed.value.keyAlgorithm;
  if (!keyAlgorithm.startsWith('RSA ') && keyAlgorithm !== 'ECDSA P-256') {
    throw new EnvelopeError('ENC_RECIPIENT_UNSUPPORTED', `cannot encrypt to a ${keyAlgorithm} key`);
  }
  const crypto = engine();
  const cert = pkijs.Certificate.fromBER(toArrayBuffer(parsed.value.der));
  const env = new pkijs.EnvelopedData();
  env.addRecipientByCertificate(
    cert,
    { oaepHashAlgorithm: 'SHA-256', kdfAlgorithm: 'SHA-256', kekEncryptionLength: 256 },
    undefined,
    crypto,
  );
  await env.encrypt({ name: 'AES-CBC', length: 256 }, toArrayBuffer(content), crypto);
  const ci = new pkijs.ContentInfo({ contentType: ENVELOPED_DATA, content: env.toSchema() });
  return new Uint8Array(ci.toSchema().toBER(false));
}

const fail = (code: string, message: string): Result<Uint8Array> => ({ ok: false, code, message });

function sameBytes(a: ArrayBuffer | Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a instanceof Uint8Array ? a : new Uint8Array(a)).equals(b);
}

/** Does this IssuerAndSerialNumber / subjectKeyIdentifier name our certificate? */
function namesUs(
  rid: unknown,
  cert: { issuerDer: Uint8Array; serialDer: Uint8Array; subjectKeyId: Uint8Array | undefined },
): boolean {
  if (rid instanceof pkijs.IssuerAndSerialNumber) {
    return (
      sameBytes(rid.issuer.toSchema().toBER(false), cert.issuerDer) &&
      sameBytes(rid.serialNumber.valueBlock.valueHexView, cert.serialDer)
    );
  }
  if (rid instanceof asn1js.OctetString && cert.subjectKeyId) {
    return sameBytes(rid.valueBlock.valueHexView, cert.subjectKeyId);
  }
  if (rid instanceof pkijs.RecipientKeyIdentifier && cert.subjectKeyId) {
    return sameBytes(rid.subjectKeyIdentifier.valueBlock.valueHexView, cert.subjectKeyId);
  }
  return false;
}

/**
 * Opens an EnvelopedData made for the certificate `certDer` with its private key. Never throws:
 * `ENC_MALFORMED` (not a CMS EnvelopedData), `ENC_NOT_FOR_RECIPIENT` (no recipient entry names this
 * certificate), `ENC_UNSUPPORTED_ALGORITHM` (e.g. OpenSSL's default RSA PKCS#1 v1.5 key transport,
 * which pkijs cannot open), `ENC_KEY_MISMATCH` (the key is not the certificate's),
 * `ENC_DECRYPT_FAILED` (the envelope does not open: damaged or not really for this key).
 */
export async function decrypt(der: Uint8Array, key: KeyObject, certDer: Uint8Array): Promise<Result<Uint8Array>> {
  if (!(der instanceof Uint8Array) || der.length === 0 || der.length > MAX_ENVELOPE_BYTES) {
    return fail('ENC_MALFORMED', 'not an envelope of an acceptable size');
  }
  const parsedCert = parseCertificate(certDer);
  if (!parsedCert.ok) return fail('ENC_RECIPIENT_UNSUPPORTED', `recipient certificate: ${parsedCert.message}`);
  const c = parsedCert.value;
  const keyMatches = key.type === 'private' && c.publicKey !== undefined && samePublicKey(key, c.publicKey);
  if (!keyMatches) return fail('ENC_KEY_MISMATCH', 'the private key does not belong to the certificate');

  let env: pkijs.EnvelopedData;
  let cert: pkijs.Certificate;
  try {
    const asn = asn1js.fromBER(toArrayBuffer(der));
    if (asn.offset === -1 || asn.offset !== der.length) return fail('ENC_MALFORMED', 'not DER');
    const ci = new pkijs.ContentInfo({ schema: asn.result });
    if (ci.contentType !== ENVELOPED_DATA) return fail('ENC_MALFORMED', 'not an EnvelopedData');
    env = new pkijs.EnvelopedData({ schema: ci.content });
    cert = pkijs.Certificate.fromBER(toArrayBuffer(c.der));
  } catch {
    return fail('ENC_MALFORMED', 'not a CMS EnvelopedData');
  }
  if (!AES_CBC.has(env.encryptedContentInfo.contentEncryptionAlgorithm.algorithmId)) {
    return fail('ENC_UNSUPPORTED_ALGORITHM', 'content encryption is not AES-CBC');
  }
  if (!env.encryptedContentInfo.encryptedContent) return fail('ENC_MALFORMED', 'no encrypted content');

  const ours = {
    issuerDer: c.issuerDer,
    serialDer: new Uint8Array(cert.serialNumber.valueBlock.valueHexView),
    subjectKeyId: c.subjectKeyId,
  };
  let index = -1;
  let unsupported = '';
  env.recipientInfos.forEach((ri, i) => {
    if (index !== -1) return;
    const v: unknown = ri.value;
    if (v instanceof pkijs.KeyTransRecipientInfo && namesUs(v.rid, ours)) {
      if (v.keyEncryptionAlgorithm.algorithmId !== RSA_OAEP)
        unsupported = `key transport ${v.keyEncryptionAlgorithm.algorithmId}`;
      else index = i;
    } else if (
      v instanceof pkijs.KeyAgreeRecipientInfo &&
      v.recipientEncryptedKeys.encryptedKeys.some((k) => namesUs(k.rid.value, ours))
    ) {
      if (v.keyEncryptionAlgorithm.algorithmId !== ECDH_SHA256_KDF)
        unsupported = `key agreement ${v.keyEncryptionAlgorithm.algorithmId}`;
      else if (v.recipientEncryptedKeys.encryptedKeys.length !== 1) unsupported = 'several keys in one key agreement';
      else index = i;
    }
  });
  if (index === -1) {
    return unsupported
      ? fail('ENC_UNSUPPORTED_ALGORITHM', `unsupported ${unsupported}`)
      : fail('ENC_NOT_FOR_RECIPIENT', 'no recipient entry names this certificate');
  }
  const keyType = c.keyAlgorithm.startsWith('RSA ') ? 'rsa' : c.keyAlgorithm === 'ECDSA P-256' ? 'ec' : undefined;
  if (!keyType) return fail('ENC_UNSUPPORTED_ALGORITHM', `cannot decrypt with a ${c.keyAlgorithm} key`);
  try {
    const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
    const plain = await env.decrypt(
      index,
      { recipientCertificate: cert, recipientPrivateKey: toArrayBuffer(new Uint8Array(pkcs8)) },
      engine(),
    );
    return { ok: true, value: new Uint8Array(plain) };
  } catch {
    return fail('ENC_DECRYPT_FAILED', 'the envelope does not open with this key');
  }
}
