import type { KeyObject } from 'node:crypto';
import type { KeyUsageName } from '../certs/contour.js';
import { parseCertificate } from '../certs/parse.js';
import { toPem } from '../certs/pem.js';
import { generateKeyPair, type KeyAlgorithm } from '../keys/generate.js';
import type { Contour } from '../types.js';
import { devProfile, issueCertificate, loadDevCa } from './dev-ca.js';
import { revoke } from './dev-init.js';
import { readDevLayout } from './layout.js';

/**
 * Test helpers over a development PKI made by `devInit`: extra certificates signed by the dev CA,
 * including expired, not-yet-valid and revoked ones. They throw on failure (a broken fixture is a
 * test bug, not an expected outcome). Not for production code.
 */

/** A certificate issued by the dev CA, with its key. */
export interface IssuedDevCertificate {
  certificateDer: Uint8Array;
  certificatePem: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  serialNumber: string;
  thumbprint: string;
}

/** What {@link issueDevCertificate} puts into the certificate. */
export interface IssueDevCertificateOptions {
  /** The contour marker; `null` for a certificate with no marker. Default `formation`. */
  contour?: Contour | null;
  /** Default `ecdsa-p256`. */
  keyAlgorithm?: KeyAlgorithm;
  /** RFC 4514 subject. Default derived from the contour. */
  subject?: string;
  /** Default: one minute ago. */
  notBefore?: Date;
  /** Default: 30 days after notBefore. */
  notAfter?: Date;
  /** Default: the contour's profile (signing; transport and cbr also encryption). */
  keyUsages?: readonly KeyUsageName[];
  /** Further policy OIDs besides the contour marker. */
  extraPolicies?: readonly string[];
  /** Issue a CA certificate (for path tests). */
  ca?: boolean;
}

const DAY = 86_400_000;

/** Issues a certificate from the dev CA in `dir`. */
export async function issueDevCertificate(
  dir: string,
  options: IssueDevCertificateOptions = {},
): Promise<IssuedDevCertificate> {
  const layout = readDevLayout(dir);
  if (!layout.ok) throw new Error(`${layout.code}: ${layout.message}`);
  const ca = await loadDevCa(dir, layout.value);
  if (!ca.ok) throw new Error(`${ca.code}: ${ca.message}`);
  const contour = options.contour === undefined ? 'formation' : options.contour;
  const keys = await generateKeyPair({ algorithm: options.keyAlgorithm ?? 'ecdsa-p256' });
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  const profile = devProfile(contour ?? 'formation');
  const der = await issueCertificate(ca.value.signing, ca.value.certificate, {
    subject: options.subject ?? `CN=Test ${contour ?? 'unmarked'} ${Date.now()},O=TwinContour tests`,
    publicKey: keys.publicKey,
    notBefore,
    notAfter: options.notAfter ?? new Date(notBefore.getTime() + 30 * DAY),
    keyUsages: options.keyUsages ?? profile.keyUsages,
    ...(contour ? { contour } : {}),
    ...(options.extraPolicies ? { extraPolicies: options.extraPolicies } : {}),
    ...(profile.extendedKeyUsages ? { extendedKeyUsages: profile.extendedKeyUsages } : {}),
    ...(options.ca ? { ca: true } : {}),
  });
  const parsed = parseCertificate(der);
  if (!parsed.ok) throw new Error(parsed.message);
  return {
    certificateDer: der,
    certificatePem: toPem('CERTIFICATE', der),
    privateKey: keys.privateKey,
    publicKey: keys.publicKey,
    serialNumber: parsed.value.serialNumber,
    thumbprint: parsed.value.thumbprint,
  };
}

/**
 * A certificate of the contour that expired a day ago, valid for the 7 days before (inside the dev
 * CA's backdated validity, so a signing time in that week verifies in archive mode).
 */
export function issueExpiredDevCertificate(dir: string, contour: Contour): Promise<IssuedDevCertificate> {
  const notAfter = new Date(Date.now() - DAY);
  return issueDevCertificate(dir, { contour, notBefore: new Date(notAfter.getTime() - 7 * DAY), notAfter });
}

/** A certificate of the contour that becomes valid tomorrow. */
export function issueNotYetValidDevCertificate(dir: string, contour: Contour): Promise<IssuedDevCertificate> {
  const notBefore = new Date(Date.now() + DAY);
  return issueDevCertificate(dir, { contour, notBefore, notAfter: new Date(notBefore.getTime() + 30 * DAY) });
}

/**
 * A certificate of the contour, revoked on the dev CA's CRL a second ago (the CRL file is
 * rewritten; refresh trust stores to see it).
 */
export async function issueRevokedDevCertificate(
  dir: string,
  contour: Contour,
  options: { reason?: number } = {},
): Promise<IssuedDevCertificate> {
  const issued = await issueDevCertificate(dir, { contour, notBefore: new Date(Date.now() - 60_000) });
  const r = await revoke(dir, issued.serialNumber, {
    now: new Date(Date.now() - 1000),
    ...(options.reason !== undefined ? { reason: options.reason } : {}),
  });
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
  return issued;
}
