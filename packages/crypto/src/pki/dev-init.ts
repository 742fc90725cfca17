import { type KeyObject, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Result } from '@twincontour/ufebs';
import { CONTOURS } from '../certs/contour.js';
import { CRL_REASONS } from '../certs/crl.js';
import { parseCertificate } from '../certs/parse.js';
import { derObjects, toPem } from '../certs/pem.js';
import { normaliseThumbprint } from '../certs/trust-store.js';
import { generateKeyPair } from '../keys/generate.js';
import { readPrivateKey } from '../keys/key-file.js';
import { readPassphrase } from '../keys/passphrase.js';
import { writeEncryptedPrivateKey } from '../keys/pkcs8.js';
import { toWebSigningKey } from '../keys/webcrypto.js';
import type { Contour } from '../types.js';
import {
  type DevCa,
  devProfile,
  issueCertificate,
  loadDevCa,
  readCurrentCrl,
  writeDevCrl,
  writeFileAtomic,
} from './dev-ca.js';
import { type DevIdentityFiles, type DevPkiLayout, readDevLayout, TRUST_FILE } from './layout.js';

const DAY = 86_400_000;
/** How far the dev CA's notBefore lies in the past. */
export const DEV_CA_BACKDATE_DAYS = 30;
const LOCK = '.devinit.lock';
/** A lock older than this was left by a crashed process and is broken. */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 60_000;

/** Options of {@link devInit}. */
export interface DevInitOptions {
  /** The issuance time (tests). Default: now. */
  now?: Date;
  /** Root CA lifetime. Default 10 years. */
  caValidityYears?: number;
  /** Lifetime of the contour certificates. Default 730 days. */
  validityDays?: number;
  /** Organisation name in every subject. Default "TwinContour development". */
  organisation?: string;
}

/** What {@link devInit} did. */
export interface DevInitResult {
  /** False when the directory already held a complete development PKI (nothing was changed). */
  created: boolean;
  layout: DevPkiLayout;
}

const SUBJECT_CN: Readonly<Record<Contour, string>> = {
  formation: 'TwinContour formation contour',
  control: 'TwinContour control contour',
  transport: 'TwinContour transport',
  cbr: 'Bank of Russia simulator',
  'authorised-person': 'Development authorised person',
};

function escapeRdnValue(v: string): string {
  return v.replace(/[\\"+,;<>=]/g, (c) => `\\${c}`);
}

/** Writes a fresh random passphrase (0600) and returns it: 32 random bytes, base64url. */
function newPassphraseFile(path: string): string {
  const pass = randomBytes(32).toString('base64url');
  writeFileAtomic(path, `${pass}\n`, 0o600);
  return pass;
}

function writeKey(dir: string, keyRel: string, passRel: string, key: KeyObject): void {
  const pass = newPassphraseFile(join(dir, passRel));
  writeFileAtomic(join(dir, keyRel), writeEncryptedPrivateKey(key, pass), 0o600);
}

function thumbprintOf(der: Uint8Array): { thumbprint: string; serialNumber: string } {
  const p = parseCertificate(der);
  if (!p.ok) throw new Error(`issued certificate does not parse: ${p.message}`);
  return { thumbprint: p.value.thumbprint, serialNumber: p.value.serialNumber };
}

async function create(dir: string, options: DevInitOptions): Promise<DevPkiLayout> {
  const now = options.now ?? new Date();
  const org = escapeRdnValue(options.organisation ?? 'TwinContour development');
  const caYears = options.caValidityYears ?? 10;
  const days = options.validityDays ?? 730;
  mkdirSync(join(dir, 'ca'), { recursive: true, mode: 0o755 });

  // Root CA: ECDSA P-256, self-signed, keyCertSign + cRLSign only.
  const caKeys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
  const caSigning = await toWebSigningKey(caKeys.privateKey);
  if (!caSigning) throw new Error('the CA key cannot sign');
  const caNotAfter = new Date(now);
  caNotAfter.setUTCFullYear(caNotAfter.getUTCFullYear() + caYears);
  const caDer = await issueCertificate(caSigning, undefined, {
    subject: `CN=TwinContour Development Root CA,O=${org}`,
    publicKey: caKeys.publicKey,
    // Backdated so that test certificates with past validity (expired ones, archive re-verification)
    // still lie inside the CA's own validity, as RFC 5280 path validation requires.
    notBefore: new Date(now.getTime() - DEV_CA_BACKDATE_DAYS * DAY),
    notAfter: caNotAfter,
    keyUsages: ['keyCertSign', 'cRLSign'],
    ca: true,
  });
  const caParsed = parseCertificate(caDer);
  if (!caParsed.ok) throw new Error(`CA certificate does not parse: ${caParsed.message}`);
  const caFiles = {
    certificate: 'ca/ca.pem',
    key: 'ca/ca.key',
    passphraseFile: 'ca/ca.pass',
    crl: 'ca/crl.pem',
    ...thumbprintOf(caDer),
  };
  writeKey(dir, caFiles.key, caFiles.passphraseFile, caKeys.privateKey);
  writeFileAtomic(join(dir, caFiles.certificate), toPem('CERTIFICATE', caDer), 0o644);
  const ca: DevCa = { certificate: caParsed.value, signing: caSigning };

  const identities = {} as Record<Contour, DevIdentityFiles>;
  for (const contour of CONTOURS) {
    mkdirSync(join(dir, contour), { recursive: true, mode: 0o755 });
    const keys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    const der = await issueCertificate(ca.signing, ca.certificate, {
      subject: `CN=${SUBJECT_CN[contour]},O=${org}`,
      publicKey: keys.publicKey,
      // A few minutes of slack for hosts whose clocks are slightly behind.
      notBefore: new Date(now.getTime() - 5 * 60_000),
      notAfter: new Date(now.getTime() + days * DAY),
      contour,
      ...devProfile(contour),
    });
    const files: DevIdentityFiles = {
      contour,
      certificate: `${contour}/cert.pem`,
      key: `${contour}/key.pem`,
      passphraseFile: `${contour}/key.pass`,
      ...thumbprintOf(der),
    };
    writeKey(dir, files.key, files.passphraseFile, keys.privateKey);
    writeFileAtomic(join(dir, files.certificate), toPem('CERTIFICATE', der), 0o644);
    identities[contour] = files;
  }
  const layout: DevPkiLayout = { version: 1, ca: caFiles, identities };
  await writeDevCrl(dir, layout, ca, new Map(), 1n, now);
  // Written last: its presence is what marks the directory complete.
  writeFileAtomic(join(dir, TRUST_FILE), `${JSON.stringify(layout, null, 2)}\n`, 0o644);
  return layout;
}

async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, LOCK);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      } catch {
        // Released meanwhile: try again.
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Makes a development PKI in `dir` so the gateway starts with no manual step: a root CA (ECDSA
 * P-256, 10 years) with an empty CRL; for each contour (formation, control, transport, the Bank of
 * Russia simulator `cbr`, and one development authorised person) an ECDSA P-256 key, encrypted
 * PKCS#8 with its own random passphrase file (both 0600), and a certificate carrying the contour's
 * policy marker (802-П прил. 1.1: different keys per contour); and `trust.json` describing it all.
 *
 * Idempotent: on a complete directory it changes nothing and answers `created: false`. A directory
 * without `trust.json` (never finished) is (re)generated; one whose `trust.json` names missing files
 * is refused with `PKI_DIR_INCOMPLETE` rather than silently replacing a CA others may trust.
 * Concurrent callers (several services sharing a volume) serialise on a lock directory.
 * For development and tests only: production keys are made per contour with `createCsr` (п. 13).
 */
export async function devInit(dir: string, options: DevInitOptions = {}): Promise<Result<DevInitResult>> {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch {
    return { ok: false, code: 'PKI_DIR_UNWRITABLE', message: `cannot create ${dir}` };
  }
  const existing = (): Result<DevInitResult> | undefined => {
    const layout = readDevLayout(dir);
    if (layout.ok) return { ok: true, value: { created: false, layout: layout.value } };
    return layout.code === 'PKI_NOT_INITIALISED' ? undefined : layout;
  };
  const before = existing();
  if (before) return before;
  try {
    return await withLock(dir, async () => {
      // Another process may have finished while we waited for the lock.
      const after = existing();
      if (after) return after;
      return { ok: true, value: { created: true, layout: await create(dir, options) } };
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') {
      return { ok: false, code: 'PKI_DIR_UNWRITABLE', message: `cannot write into ${dir}` };
    }
    throw err;
  }
}

/** Options of {@link revoke}. */
export interface RevokeOptions {
  /** RFC 5280 reason code (see CRL_REASONS). Default: none given. */
  reason?: number;
  /** Revocation time and CRL thisUpdate. Default: now. */
  now?: Date;
}

/**
 * Revokes a certificate of the development CA: adds its serial (hex) to the CRL and re-signs the
 * CRL with the next cRLNumber. Revoking an already-revoked serial keeps its first revocation date.
 * Trust stores see it on their next CRL refresh.
 */
export async function revoke(
  dir: string,
  serialNumber: string,
  options: RevokeOptions = {},
): Promise<Result<{ crlPath: string; revoked: string[] }>> {
  const serial = serialNumber
    .toLowerCase()
    .replace(/[:\s]/g, '')
    .replace(/^0+(?=.)/, '');
  if (!/^[0-9a-f]+$/.test(serial)) return { ok: false, code: 'PKI_BAD_SERIAL', message: 'serial number is not hex' };
  if (options.reason !== undefined && !(Object.values(CRL_REASONS) as number[]).includes(options.reason)) {
    return { ok: false, code: 'PKI_BAD_REASON', message: 'unknown revocation reason' };
  }
  const layout = readDevLayout(dir);
  if (!layout.ok) return layout;
  return withLock(dir, async () => {
    const ca = await loadDevCa(dir, layout.value);
    if (!ca.ok) return ca;
    const now = options.now ?? new Date();
    const { entries, crlNumber } = readCurrentCrl(dir, layout.value);
    if (!entries.has(serial)) {
      entries.set(serial, { revocationDate: now, ...(options.reason !== undefined ? { reason: options.reason } : {}) });
    }
    await writeDevCrl(dir, layout.value, ca.value, entries, crlNumber + 1n, now);
    return { ok: true, value: { crlPath: join(dir, layout.value.ca.crl), revoked: [...entries.keys()] } };
  });
}

/** A contour's development identity, ready for `createSoftwareSigner(privateKey, certificateDer)`. */
export interface DevIdentity {
  contour: Contour;
  privateKey: KeyObject;
  certificateDer: Uint8Array;
  certificatePem: string;
  thumbprint: string;
}

/** Reads one contour's key (with its passphrase file) and certificate from a development PKI. */
export async function readDevIdentity(dir: string, contour: Contour): Promise<Result<DevIdentity>> {
  const layout = readDevLayout(dir);
  if (!layout.ok) return layout;
  const files = layout.value.identities[contour];
  const pass = readPassphrase({ file: join(dir, files.passphraseFile) });
  if (!pass.ok) return pass;
  let keyBytes: Buffer;
  let certificatePem: string;
  try {
    keyBytes = readFileSync(join(dir, files.key));
    certificatePem = readFileSync(join(dir, files.certificate), 'utf8');
  } catch {
    return { ok: false, code: 'PKI_DIR_INCOMPLETE', message: `cannot read the ${contour} files` };
  }
  const key = await readPrivateKey(keyBytes, pass.value);
  if (!key.ok) return key;
  const certificateDer = derObjects(certificatePem, ['CERTIFICATE'])[0];
  if (!certificateDer)
    return { ok: false, code: 'PKI_LAYOUT_INVALID', message: `${files.certificate} holds no certificate` };
  return {
    ok: true,
    value: {
      contour,
      privateKey: key.value,
      certificateDer,
      certificatePem,
      thumbprint: normaliseThumbprint(files.thumbprint) ?? files.thumbprint,
    },
  };
}

/** True when `dir` holds a complete development PKI. */
export function isDevPkiComplete(dir: string): boolean {
  return existsSync(join(dir, TRUST_FILE)) && readDevLayout(dir).ok;
}
