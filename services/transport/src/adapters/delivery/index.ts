import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CertificateValidator,
  derObjects,
  readDevIdentity,
  readDevLayout,
  readPassphrase,
  readPrivateKey,
  toPem,
} from '@twincontour/crypto';
import { fail, ok, type Pool, type Result } from '@twincontour/platform';
import type { TransportConfig } from '../../config.js';
import { createCursorStore } from '../message-repository.js';
import { createArmKbrAdapter } from './arm-kbr.js';
import { createHttpsAdapter, SIMULATOR_DEFAULTS } from './https.js';
import type { DeliveryAdapter } from './types.js';

export { createArmKbrAdapter } from './arm-kbr.js';
export { createHttpsAdapter, SIMULATOR_DEFAULTS } from './https.js';
export type * from './types.js';

/** Transport's own key and certificate: the TLS client identity and the recipient of the answers. */
export interface TransportKeys {
  key: KeyObject;
  certificateDer: Uint8Array;
}

/** The settings of the key source (a development PKI, or the three files). */
type KeyConfig = Pick<
  TransportConfig,
  | 'TWINCONTOUR_PKI_DIR'
  | 'TWINCONTOUR_TRANSPORT_KEY_FILE'
  | 'TWINCONTOUR_TRANSPORT_CERT_FILE'
  | 'TWINCONTOUR_TRANSPORT_PASSPHRASE_FILE'
>;

/**
 * Loads transport's key and certificate from the development PKI or the configured files. The
 * passphrase is read, used and dropped. Failures are `TRN_KEYS_UNAVAILABLE` with the underlying code.
 */
export async function loadTransportKeys(config: KeyConfig): Promise<Result<TransportKeys>> {
  const unavailable = (code: string, message: string) => fail('TRN_KEYS_UNAVAILABLE', `${code}: ${message}`);
  if (config.TWINCONTOUR_PKI_DIR !== undefined) {
    const identity = await readDevIdentity(config.TWINCONTOUR_PKI_DIR, 'transport');
    if (!identity.ok) return unavailable(identity.code, identity.message);
    return ok({ key: identity.value.privateKey, certificateDer: identity.value.certificateDer });
  }
  const pass = readPassphrase({ file: config.TWINCONTOUR_TRANSPORT_PASSPHRASE_FILE ?? '' });
  if (!pass.ok) return unavailable(pass.code, pass.message);
  let keyBytes: Uint8Array;
  let certBytes: Uint8Array;
  try {
    keyBytes = await readFile(config.TWINCONTOUR_TRANSPORT_KEY_FILE ?? '');
    certBytes = await readFile(config.TWINCONTOUR_TRANSPORT_CERT_FILE ?? '');
  } catch {
    return unavailable('KEY_UNREADABLE', 'cannot read the transport key or certificate file');
  }
  const key = await readPrivateKey(keyBytes, pass.value);
  if (!key.ok) return unavailable(key.code, key.message);
  const certificateDer = derObjects(certBytes, ['CERTIFICATE'])[0];
  if (!certificateDer) return unavailable('KEY_UNREADABLE', 'the transport certificate file holds no certificate');
  return ok({ key: key.value, certificateDer });
}

async function readCertificate(path: string): Promise<Result<Uint8Array>> {
  try {
    const der = derObjects(await readFile(path), ['CERTIFICATE'])[0];
    return der ? ok(der) : fail('TRN_KEYS_UNAVAILABLE', `${path} holds no certificate`);
  } catch {
    return fail('TRN_KEYS_UNAVAILABLE', `cannot read ${path}`);
  }
}

/**
 * The configured delivery channel (TWINCONTOUR_DELIVERY). For https and the simulator the recipient
 * certificate is checked by the trust store first (contour cbr, usage encryption): transport never
 * encrypts to a certificate it does not trust. The simulator fills the peer URL, server name, CA and
 * recipient certificate from the development PKI (issue5.md: https://127.0.0.1:8444, `cbr-simulator`).
 */
export async function createDeliveryAdapter(
  config: TransportConfig,
  deps: { pool: Pool; keys: TransportKeys; validator: CertificateValidator },
): Promise<Result<DeliveryAdapter>> {
  if (config.TWINCONTOUR_DELIVERY === 'arm-kbr') {
    return ok(
      createArmKbrAdapter({ outDir: config.TWINCONTOUR_ARM_OUT_DIR ?? '', inDir: config.TWINCONTOUR_ARM_IN_DIR ?? '' }),
    );
  }
  const simulator = config.TWINCONTOUR_DELIVERY === 'simulator';
  const pki = config.TWINCONTOUR_PKI_DIR;
  const layout = simulator && pki !== undefined ? readDevLayout(pki) : undefined;
  if (layout && !layout.ok) return fail('TRN_KEYS_UNAVAILABLE', `${layout.code}: ${layout.message}`);
  const dev = layout?.ok ? { pki: pki ?? '', files: layout.value } : undefined;

  const caPath = config.TWINCONTOUR_PEER_CA_FILE ?? (dev ? join(dev.pki, dev.files.ca.certificate) : undefined);
  const recipientPath =
    config.TWINCONTOUR_PEER_CERT_FILE ?? (dev ? join(dev.pki, dev.files.identities.cbr.certificate) : undefined);
  if (caPath === undefined || recipientPath === undefined) {
    return fail('TRN_KEYS_UNAVAILABLE', 'the peer CA and recipient certificate are not configured');
  }
  const ca = await readCertificate(caPath);
  if (!ca.ok) return ca;
  const recipient = await readCertificate(recipientPath);
  if (!recipient.ok) return recipient;
  const checked = deps.validator.check(recipient.value, { expectedContour: 'cbr', usage: 'encryption' });
  if (!checked.ok) {
    return fail('TRN_KEYS_UNAVAILABLE', `the peer certificate is refused: ${checked.code}: ${checked.message}`);
  }
  const servername = config.TWINCONTOUR_PEER_SERVERNAME ?? (simulator ? SIMULATOR_DEFAULTS.servername : undefined);
  return ok(
    createHttpsAdapter({
      channel: simulator ? 'simulator' : 'https',
      peerUrl: config.TWINCONTOUR_PEER_URL ?? SIMULATOR_DEFAULTS.peerUrl,
      caPem: toPem('CERTIFICATE', ca.value),
      servername,
      clientKey: deps.keys.key,
      clientCertificateDer: deps.keys.certificateDer,
      recipientCertificateDer: recipient.value,
      timeoutMs: config.TWINCONTOUR_PEER_TIMEOUT_MS,
      cursor: createCursorStore(deps.pool, simulator ? 'simulator' : 'https'),
    }),
  );
}
