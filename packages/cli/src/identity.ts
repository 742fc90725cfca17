import {
  type Contour,
  createSoftwareSigner,
  createTrustStore,
  derObjects,
  isContour,
  loadTrustConfigFromDir,
  readDevIdentity,
  readPassphrase,
  readPrivateKey,
  type Signer,
  type TrustStore,
} from '@twincontour/crypto';
import { CliError, type Io, readInput, userPath } from './io.js';

/** A contour name given on the command line, checked. */
export function contourOption(value: unknown): Contour {
  if (typeof value !== 'string' || !isContour(value)) {
    throw new CliError('CLI_USAGE', 'give --contour formation|control|transport|cbr|authorised-person');
  }
  return value;
}

function envName(contour: Contour, suffix: string): string {
  return `TWINCONTOUR_${contour.toUpperCase().replace(/-/g, '_')}_${suffix}`;
}

/**
 * The signer of one contour: from a development PKI folder (`--pki DIR`), or from the configured
 * key: TWINCONTOUR_<CONTOUR>_KEY_FILE (encrypted PKCS#8 or PKCS#12), TWINCONTOUR_<CONTOUR>_CERT_FILE
 * and the passphrase in the file TWINCONTOUR_<CONTOUR>_PASSPHRASE_FILE or the variable
 * TWINCONTOUR_<CONTOUR>_PASSPHRASE. The passphrase is never printed.
 */
export async function resolveSigner(contour: Contour, pki: string | undefined, io: Io): Promise<Signer> {
  if (pki !== undefined) {
    const identity = await readDevIdentity(userPath(io, pki), contour);
    if (!identity.ok) throw new CliError(identity.code, identity.message);
    return createSoftwareSigner(identity.value.privateKey, identity.value.certificateDer);
  }
  const keyFile = io.env[envName(contour, 'KEY_FILE')];
  const certFile = io.env[envName(contour, 'CERT_FILE')];
  if (!keyFile || !certFile) {
    throw new CliError(
      'CLI_KEYS_NOT_CONFIGURED',
      `no key configured for ${contour}: set ${envName(contour, 'KEY_FILE')} and ${envName(contour, 'CERT_FILE')}, or give --pki DIR`,
    );
  }
  const passphraseFile = io.env[envName(contour, 'PASSPHRASE_FILE')];
  const passphrase = readPassphrase(
    passphraseFile ? { file: userPath(io, passphraseFile) } : { env: envName(contour, 'PASSPHRASE') },
    io.env,
  );
  if (!passphrase.ok) throw new CliError(passphrase.code, passphrase.message);
  const key = await readPrivateKey(await readInput(userPath(io, keyFile)), passphrase.value);
  if (!key.ok) throw new CliError(key.code, key.message);
  const certificate = derObjects(await readInput(userPath(io, certFile)), ['CERTIFICATE'])[0];
  if (!certificate) throw new CliError('CLI_BAD_CERTIFICATE', `${certFile} holds no certificate`);
  return createSoftwareSigner(key.value, certificate);
}

/**
 * The trust store used to verify: the development PKI's (`--pki DIR`) or the configured one
 * (TWINCONTOUR_TRUST_DIR, a folder with trust.json in the same layout). CRLs are loaded before use.
 */
export async function resolveTrust(pki: string | undefined, io: Io): Promise<TrustStore> {
  const dir = pki ?? io.env.TWINCONTOUR_TRUST_DIR;
  if (!dir) {
    throw new CliError(
      'CLI_TRUST_NOT_CONFIGURED',
      'no trust configuration: set TWINCONTOUR_TRUST_DIR or give --pki DIR',
    );
  }
  const config = loadTrustConfigFromDir(userPath(io, dir));
  if (!config.ok) throw new CliError(config.code, config.message);
  const store = createTrustStore(config.value);
  await store.refresh();
  return store;
}
