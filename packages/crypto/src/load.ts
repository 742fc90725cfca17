import { readFile } from 'node:fs/promises';
import type { Result } from '@twincontour/ufebs';
import { derObjects } from './certs/pem.js';
import { createTrustStore, type TrustStore } from './certs/trust-store.js';
import { readPrivateKey } from './keys/key-file.js';
import { type PassphraseSource, readPassphrase } from './keys/passphrase.js';
import { readDevIdentity } from './pki/dev-init.js';
import { loadTrustConfigFromDir } from './pki/layout.js';
import { createSoftwareSigner } from './signer.js';
import type { Contour, Signer } from './types.js';

/** Where a contour's key comes from: a development PKI folder, or configured files. */
export type SignerSource =
  | { pkiDir: string }
  | {
      keyFile: string;
      certificateFile: string;
      passphrase: PassphraseSource;
      /** Where a passphrase given by variable name is looked up (default `process.env`). */
      environment?: Readonly<Record<string, string | undefined>>;
    };

/**
 * The software signer of one contour, from a development PKI (`pki dev-init`) or from an encrypted
 * PKCS#8 / PKCS#12 key file with its certificate. The passphrase is read, used and dropped: it never
 * appears in a result or an error. Services and the CLI load their keys through this one function.
 */
export async function loadSigner(contour: Contour, source: SignerSource): Promise<Result<Signer>> {
  if ('pkiDir' in source) {
    const identity = await readDevIdentity(source.pkiDir, contour);
    if (!identity.ok) return identity;
    return { ok: true, value: createSoftwareSigner(identity.value.privateKey, identity.value.certificateDer) };
  }
  const passphrase = readPassphrase(source.passphrase, source.environment ?? process.env);
  if (!passphrase.ok) return passphrase;
  let keyBytes: Uint8Array;
  let certBytes: Uint8Array;
  try {
    keyBytes = await readFile(source.keyFile);
    certBytes = await readFile(source.certificateFile);
  } catch {
    return { ok: false, code: 'KEY_UNREADABLE', message: `cannot read the ${contour} key or certificate file` };
  }
  const key = await readPrivateKey(keyBytes, passphrase.value);
  if (!key.ok) return key;
  const certificate = derObjects(certBytes, ['CERTIFICATE'])[0];
  if (!certificate)
    return { ok: false, code: 'KEY_UNREADABLE', message: `${source.certificateFile} holds no certificate` };
  try {
    return { ok: true, value: createSoftwareSigner(key.value, certificate) };
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'SIG_KEY_INVALID';
    return { ok: false, code, message: error instanceof Error ? error.message : 'unusable key' };
  }
}

/**
 * The trust store of a folder holding `trust.json` (the layout `pki dev-init` writes; production
 * folders use the same layout for the bank's CA, the Bank of Russia's certificates, CRL sources and
 * contour pins), with its CRLs loaded. Call `start()` on it to keep the CRLs refreshed.
 */
export async function loadTrustStore(dir: string): Promise<Result<TrustStore>> {
  const config = loadTrustConfigFromDir(dir);
  if (!config.ok) return config;
  const store = createTrustStore(config.value);
  await store.refresh();
  return { ok: true, value: store };
}
