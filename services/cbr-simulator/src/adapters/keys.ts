import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createSoftwareSigner,
  derObjects,
  loadTrustStore,
  readDevIdentity,
  readDevLayout,
  readPassphrase,
  readPrivateKey,
  type Signer,
  type TrustStore,
  toPem,
} from '@twincontour/crypto';
import type { Result } from '@twincontour/platform';

/** Where the simulator's keys and the participant's certificates come from (config keys, see config.ts). */
export interface KeySources {
  pkiDir?: string | undefined;
  trustDir?: string | undefined;
  cbrKeyFile?: string | undefined;
  cbrCertFile?: string | undefined;
  cbrPassphraseFile?: string | undefined;
  participantCertFile?: string | undefined;
  clientCaFile?: string | undefined;
}

/** Everything cryptographic the simulator holds. */
export interface SimulatorKeys {
  /** The cbr signer (ЗК and КА of the answers). */
  signer: Signer;
  /** The cbr private key (TLS server key; opens the EnvelopedData the participant sends). */
  privateKey: KeyObject;
  /** The cbr certificate, DER. */
  certificateDer: Uint8Array;
  /** The participant's registered transport certificate, DER (TLS client; recipient of the answers). */
  participantCertificate: Uint8Array;
  /** CA certificate(s), PEM, a TLS client certificate must chain to. */
  clientCaPem: string[];
  /** The trust store (started by the caller). */
  trust: TrustStore;
}

const unavailable = (message: string): Result<never> => ({ ok: false, code: 'SIM_KEYS_UNAVAILABLE', message });

async function certificatesIn(path: string): Promise<Uint8Array[]> {
  try {
    return derObjects(await readFile(path), ['CERTIFICATE']);
  } catch {
    return [];
  }
}

/**
 * Loads the cbr key and certificate (a development PKI's `cbr` identity, or key files), the trust store,
 * the participant's transport certificate and the client CA. The passphrase is read, used and dropped.
 * Fails as a value with `SIM_KEYS_UNAVAILABLE` naming what is missing (never the passphrase).
 */
export async function loadSimulatorKeys(sources: KeySources): Promise<Result<SimulatorKeys>> {
  let privateKey: KeyObject;
  let certificateDer: Uint8Array;
  if (sources.pkiDir !== undefined) {
    const identity = await readDevIdentity(sources.pkiDir, 'cbr');
    if (!identity.ok) return unavailable(`cbr identity: ${identity.code}`);
    privateKey = identity.value.privateKey;
    certificateDer = identity.value.certificateDer;
  } else {
    const passphrase = readPassphrase({ file: sources.cbrPassphraseFile ?? '' });
    if (!passphrase.ok) return unavailable(`cbr passphrase: ${passphrase.code}`);
    let keyBytes: Buffer;
    try {
      keyBytes = await readFile(sources.cbrKeyFile ?? '');
    } catch {
      return unavailable('cannot read TWINCONTOUR_CBR_KEY_FILE');
    }
    const key = await readPrivateKey(keyBytes, passphrase.value);
    if (!key.ok) return unavailable(`cbr key: ${key.code}`);
    privateKey = key.value;
    const cert = (await certificatesIn(sources.cbrCertFile ?? ''))[0];
    if (!cert) return unavailable('TWINCONTOUR_CBR_CERT_FILE holds no certificate');
    certificateDer = cert;
  }

  const trustDir = sources.trustDir ?? sources.pkiDir ?? '';
  const trust = await loadTrustStore(trustDir);
  if (!trust.ok) return unavailable(`trust store: ${trust.code}`);

  let participantCertificate: Uint8Array | undefined;
  if (sources.participantCertFile !== undefined) {
    participantCertificate = (await certificatesIn(sources.participantCertFile))[0];
  } else if (sources.pkiDir !== undefined) {
    const layout = readDevLayout(sources.pkiDir);
    if (layout.ok) {
      participantCertificate = (
        await certificatesIn(join(sources.pkiDir, layout.value.identities.transport.certificate))
      )[0];
    }
  }
  if (!participantCertificate) return unavailable('no participant transport certificate');

  let caDers: Uint8Array[] = [];
  if (sources.clientCaFile !== undefined) caDers = await certificatesIn(sources.clientCaFile);
  else {
    const layout = readDevLayout(trustDir);
    if (layout.ok) caDers = await certificatesIn(join(trustDir, layout.value.ca.certificate));
  }
  if (caDers.length === 0) return unavailable('no client CA certificate (TWINCONTOUR_SIM_CLIENT_CA_FILE)');

  return {
    ok: true,
    value: {
      signer: createSoftwareSigner(privateKey, certificateDer),
      privateKey,
      certificateDer,
      participantCertificate,
      clientCaPem: caDers.map((der) => toPem('CERTIFICATE', der)),
      trust: trust.value,
    },
  };
}

/** The TLS identity of the mTLS intake (PEM): the cbr key and certificate, and the client CA(s). */
export function tlsIdentity(keys: SimulatorKeys): { key: string; cert: string; ca: string[] } {
  return {
    key: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: toPem('CERTIFICATE', keys.certificateDer),
    ca: keys.clientCaPem,
  };
}
