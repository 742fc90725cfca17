import * as pkijs from 'pkijs';
import { type KeyResult, openEncryptedPkcs8, type Passphrase, passphraseBytes } from './pkcs8.js';
import { nodeWebCrypto } from './webcrypto.js';

const DATA = '1.2.840.113549.1.7.1';
const ENCRYPTED_DATA = '1.2.840.113549.1.7.6';
const KEY_BAG = '1.2.840.113549.1.12.10.1.1';
const SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2';

/** The PKCS#12 MAC uses a pure-JS iterated hash in pkijs: bound it so a hostile file cannot stall us. */
const MAX_MAC_ITERATIONS = 1_000_000;

const unreadable = (message: string): KeyResult => ({ ok: false, code: 'KEY_UNREADABLE', message });

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The value of a ContentInfo whose content is an OCTET STRING (pkijs types `content` as any). */
function octets(content: unknown): ArrayBuffer {
  const getValue = (content as { getValue?: unknown } | null)?.getValue;
  if (typeof getValue !== 'function') throw new TypeError('content is not an OCTET STRING');
  const v: unknown = getValue.call(content);
  if (!(v instanceof ArrayBuffer)) throw new TypeError('content is not an OCTET STRING');
  return v;
}

/**
 * Reads the one private key of a PKCS#12 file (RFC 7292) in password integrity mode. pkijs parses
 * the structure and checks the MAC; the shrouded key bag — an EncryptedPrivateKeyInfo — is opened
 * by node:crypto, which covers both PBES2/AES (OpenSSL 3's default) and the PBE-SHA1-3DES of
 * `openssl pkcs12 -export -legacy` (pkijs itself decrypts only PBES2). Certificate bags are not
 * needed and are not decrypted (the legacy RC2 ones could not be, without OpenSSL's legacy provider).
 */
export async function readPkcs12(der: Uint8Array, passphrase: Passphrase): Promise<KeyResult> {
  const engine = new pkijs.CryptoEngine({
    name: 'node',
    crypto: nodeWebCrypto() as unknown as pkijs.CryptoEngineParameters['crypto'],
  });
  const password = toArrayBuffer(passphraseBytes(passphrase));
  let pfx: pkijs.PFX;
  let authSafeContent: ArrayBuffer;
  try {
    pfx = pkijs.PFX.fromBER(toArrayBuffer(der));
    if (pfx.authSafe.contentType !== DATA) return unreadable('only password-protected PKCS#12 files are supported');
    authSafeContent = octets(pfx.authSafe.content);
  } catch {
    return unreadable('not a PKCS#12 file');
  }
  if (pfx.macData) {
    const mac = pfx.macData;
    const iterations = mac.iterations ?? 1;
    if (iterations > MAX_MAC_ITERATIONS) return unreadable('PKCS#12 MAC iteration count too high');
    let ok: boolean;
    try {
      const hash = engine.getAlgorithmByOID(mac.mac.digestAlgorithm.algorithmId, true, 'digestAlgorithm') as {
        name: string;
      };
      ok = await engine.verifyDataStampedWithPassword({
        password,
        hashAlgorithm: hash.name,
        salt: toArrayBuffer(mac.macSalt.valueBlock.valueHexView),
        iterationCount: iterations,
        contentToVerify: authSafeContent,
        signatureToVerify: toArrayBuffer(mac.mac.digest.valueBlock.valueHexView),
      });
    } catch {
      return unreadable('unsupported PKCS#12 MAC');
    }
    // RFC 7292 5.1: the MAC key derives from the password, so a MAC mismatch is a wrong passphrase.
    if (!ok) return { ok: false, code: 'KEY_BAD_PASSPHRASE', message: 'the passphrase does not open this key' };
  }

  const shrouded: Uint8Array[] = [];
  let plainKeys = 0;
  const collect = (safeContents: pkijs.SafeContents): void => {
    for (const bag of safeContents.safeBags) {
      if (bag.bagId === SHROUDED_KEY_BAG) shrouded.push(new Uint8Array(bag.bagValue.toSchema().toBER()));
      else if (bag.bagId === KEY_BAG) plainKeys++;
    }
  };
  try {
    const authSafe = pkijs.AuthenticatedSafe.fromBER(authSafeContent);
    const encrypted: pkijs.ContentInfo[] = [];
    for (const ci of authSafe.safeContents) {
      if (ci.contentType === DATA) {
        collect(pkijs.SafeContents.fromBER(octets(ci.content)));
      } else if (ci.contentType === ENCRYPTED_DATA) {
        encrypted.push(ci);
      }
    }
    // Keys normally sit in a plain SafeContents as shrouded bags; look inside encrypted ones only
    // when none was found there (and only those pkijs can open: PBES2).
    if (shrouded.length === 0 && plainKeys === 0) {
      for (const ci of encrypted) {
        try {
          const ed = new pkijs.EncryptedData({ schema: ci.content });
          const plain = await ed.decrypt({ password }, engine);
          collect(pkijs.SafeContents.fromBER(plain));
        } catch {
          // An encrypted bag we cannot open (legacy RC2 certificate bags): not where the key is.
        }
      }
    }
  } catch {
    return unreadable('malformed PKCS#12 contents');
  }
  if (plainKeys > 0) return { ok: false, code: 'KEY_NOT_ENCRYPTED', message: 'the PKCS#12 key bag is not encrypted' };
  if (shrouded.length === 0) return unreadable('no private key in the PKCS#12 file');
  if (shrouded.length > 1) return unreadable('more than one private key in the PKCS#12 file');
  return openEncryptedPkcs8(shrouded[0]!, passphrase);
}
