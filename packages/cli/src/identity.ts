import { type Contour, isContour, loadSigner, loadTrustStore, type Signer, type TrustStore } from '@twincontour/crypto';
import { CliError, type Io, userPath } from './io.js';

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
  let result: Awaited<ReturnType<typeof loadSigner>>;
  if (pki !== undefined) {
    result = await loadSigner(contour, { pkiDir: userPath(io, pki) });
  } else {
    const keyFile = io.env[envName(contour, 'KEY_FILE')];
    const certFile = io.env[envName(contour, 'CERT_FILE')];
    if (!keyFile || !certFile) {
      throw new CliError(
        'CLI_KEYS_NOT_CONFIGURED',
        `no key configured for ${contour}: set ${envName(contour, 'KEY_FILE')} and ${envName(contour, 'CERT_FILE')}, or give --pki DIR`,
      );
    }
    const passphraseFile = io.env[envName(contour, 'PASSPHRASE_FILE')];
    result = await loadSigner(contour, {
      keyFile: userPath(io, keyFile),
      certificateFile: userPath(io, certFile),
      passphrase: passphraseFile ? { file: userPath(io, passphraseFile) } : { env: envName(contour, 'PASSPHRASE') },
      environment: io.env,
    });
  }
  if (!result.ok) throw new CliError(result.code, result.message);
  return result.value;
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
  const store = await loadTrustStore(userPath(io, dir));
  if (!store.ok) throw new CliError(store.code, store.message);
  return store.value;
}
