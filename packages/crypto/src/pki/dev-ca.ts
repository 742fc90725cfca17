import 'reflect-metadata';
import { createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import type { Result } from '@twincontour/ufebs';
import { CONTOUR_POLICY_OIDS, contourKeyUsages, type KeyUsageName } from '../certs/contour.js';
import { parseCrl, type RevokedEntry } from '../certs/crl.js';
import { integer } from '../certs/der.js';
import { type ParsedCertificate, parseCertificate } from '../certs/parse.js';
import { derObjects, toPem } from '../certs/pem.js';
import { keyUsageExtension, parseRfc4514 } from '../keys/csr.js';
import { readPrivateKey } from '../keys/key-file.js';
import { readPassphrase } from '../keys/passphrase.js';
import { nodeWebCrypto, toWebSigningKey, type WebSigningKey } from '../keys/webcrypto.js';
import type { Contour } from '../types.js';
import type { DevPkiLayout } from './layout.js';

const DAY = 86_400_000;

/** How long a dev CRL stays current: long, so a development gateway left running does not fail closed. */
export const DEV_CRL_VALIDITY_DAYS = 365;

/** The development CA, loaded: its parsed certificate and its signing key. */
export interface DevCa {
  certificate: ParsedCertificate;
  signing: WebSigningKey;
}

/** What to put into a certificate the dev CA issues. */
export interface IssueParams {
  /** RFC 4514 subject. */
  subject: string;
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  keyUsages: readonly KeyUsageName[];
  /** Adds the contour's TwinContour policy marker. */
  contour?: Contour;
  /** Further certificate policies (tests use this to make certificates with two markers). */
  extraPolicies?: readonly string[];
  extendedKeyUsages?: readonly string[];
  dnsNames?: readonly string[];
  /** Issue a CA certificate instead of an end-entity one. */
  ca?: boolean;
}

/** A random positive 128-bit serial number in lowercase hex (RFC 5280 4.1.2.2: at most 20 octets). */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40;
  return b.toString('hex');
}

/** Writes a file with a mode, through a temporary file and rename so readers never see half of it. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): void {
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** Issues a certificate signed by the given CA key (self-signed when `issuer` is undefined). */
export async function issueCertificate(
  signing: WebSigningKey,
  issuer: ParsedCertificate | undefined,
  params: IssueParams,
): Promise<Uint8Array> {
  const crypto = nodeWebCrypto();
  const subject = parseRfc4514(params.subject);
  if (!subject) throw new Error(`bad subject ${params.subject}`);
  const pub = params.publicKey.type === 'public' ? params.publicKey : createPublicKey(params.publicKey);
  const spki = new Uint8Array(pub.export({ type: 'spki', format: 'der' }));
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(params.ca === true, undefined, true),
    keyUsageExtension(params.keyUsages),
    await x509.SubjectKeyIdentifierExtension.create(spki, false, crypto),
  ];
  const authorityKeyId = issuer ? issuer.subjectKeyId : undefined;
  if (authorityKeyId)
    extensions.push(new x509.AuthorityKeyIdentifierExtension(Buffer.from(authorityKeyId).toString('hex')));
  const policies = [...(params.contour ? [CONTOUR_POLICY_OIDS[params.contour]] : []), ...(params.extraPolicies ?? [])];
  if (policies.length > 0) extensions.push(new x509.CertificatePolicyExtension(policies));
  if (params.extendedKeyUsages?.length) {
    extensions.push(new x509.ExtendedKeyUsageExtension([...params.extendedKeyUsages]));
  }
  if (params.dnsNames?.length) {
    extensions.push(new x509.SubjectAlternativeNameExtension(params.dnsNames.map((value) => ({ type: 'dns', value }))));
  }
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject,
      // The issuer name is copied from the CA certificate's own bytes, so name chaining is byte-exact.
      issuer: issuer ? new x509.Name(issuer.subjectDer) : subject,
      notBefore: params.notBefore,
      notAfter: params.notAfter,
      publicKey: spki,
      signingKey: signing.keys.privateKey,
      signingAlgorithm: signing.signingAlgorithm,
      extensions,
    },
    crypto,
  );
  return new Uint8Array(cert.rawData);
}

/** Loads the dev CA's certificate and key from a PKI directory. */
export async function loadDevCa(dir: string, layout: DevPkiLayout): Promise<Result<DevCa>> {
  const pass = readPassphrase({ file: join(dir, layout.ca.passphraseFile) });
  if (!pass.ok) return pass;
  let keyBytes: Buffer;
  let certText: string;
  try {
    keyBytes = readFileSync(join(dir, layout.ca.key));
    certText = readFileSync(join(dir, layout.ca.certificate), 'utf8');
  } catch {
    return { ok: false, code: 'PKI_DIR_INCOMPLETE', message: 'cannot read the dev CA files' };
  }
  const key = await readPrivateKey(keyBytes, pass.value);
  if (!key.ok) return key;
  const der = derObjects(certText, ['CERTIFICATE'])[0];
  const cert = der ? parseCertificate(der) : undefined;
  if (!cert?.ok) return { ok: false, code: 'PKI_LAYOUT_INVALID', message: 'the dev CA certificate cannot be read' };
  const signing = await toWebSigningKey(key.value);
  if (!signing) return { ok: false, code: 'PKI_LAYOUT_INVALID', message: 'the dev CA key cannot sign' };
  return { ok: true, value: { certificate: cert.value, signing } };
}

/** Reads the entries of the CRL currently in the directory (none when it cannot be read). */
export function readCurrentCrl(
  dir: string,
  layout: DevPkiLayout,
): { entries: Map<string, RevokedEntry>; crlNumber: bigint } {
  try {
    const der = derObjects(readFileSync(join(dir, layout.ca.crl), 'utf8'), ['X509 CRL'])[0];
    const crl = der ? parseCrl(der) : undefined;
    if (crl?.ok) return { entries: new Map(crl.value.revoked), crlNumber: crl.value.crlNumber ?? 0n };
  } catch {
    // A missing CRL reads as an empty one; the next write replaces it.
  }
  return { entries: new Map(), crlNumber: 0n };
}

/** What goes into a CRL besides its entries. */
export interface CrlParams {
  crlNumber: bigint;
  thisUpdate: Date;
  /** Default: {@link DEV_CRL_VALIDITY_DAYS} after thisUpdate. */
  nextUpdate?: Date;
}

/**
 * Signs a CRL of `ca` (RFC 5280 5: v2, cRLNumber, authorityKeyIdentifier, nextUpdate) listing
 * `entries`; returns its DER.
 */
export async function signCrl(
  ca: DevCa,
  entries: ReadonlyMap<string, RevokedEntry>,
  params: CrlParams,
): Promise<Uint8Array> {
  const extensions: x509.Extension[] = [new x509.Extension('2.5.29.20', false, integer(params.crlNumber))];
  if (ca.certificate.subjectKeyId) {
    extensions.push(new x509.AuthorityKeyIdentifierExtension(Buffer.from(ca.certificate.subjectKeyId).toString('hex')));
  }
  const crl = await x509.X509CrlGenerator.create(
    {
      issuer: new x509.Name(ca.certificate.subjectDer),
      thisUpdate: params.thisUpdate,
      nextUpdate: params.nextUpdate ?? new Date(params.thisUpdate.getTime() + DEV_CRL_VALIDITY_DAYS * DAY),
      entries: [...entries].map(([serialNumber, e]) => ({
        serialNumber,
        revocationDate: e.revocationDate,
        ...(e.reason !== undefined ? { reason: e.reason } : {}),
      })),
      signingKey: ca.signing.keys.privateKey,
      signingAlgorithm: ca.signing.signingAlgorithm,
      extensions,
    },
    nodeWebCrypto(),
  );
  return new Uint8Array(crl.rawData);
}

/** Signs the dev CA's CRL and writes it into the PKI directory (atomically). */
export async function writeDevCrl(
  dir: string,
  layout: DevPkiLayout,
  ca: DevCa,
  entries: ReadonlyMap<string, RevokedEntry>,
  crlNumber: bigint,
  now: Date,
): Promise<void> {
  const der = await signCrl(ca, entries, { crlNumber, thisUpdate: now });
  writeFileAtomic(join(dir, layout.ca.crl), toPem('X509 CRL', der), 0o644);
}

/** The key usages, EKUs and DNS names each dev contour certificate gets. */
export function devProfile(contour: Contour): Pick<IssueParams, 'keyUsages' | 'extendedKeyUsages' | 'dnsNames'> {
  if (contour === 'transport' || contour === 'cbr') {
    // These two also hold the mutually authenticated channel between them (802-П п. 14.3).
    return {
      keyUsages: contourKeyUsages(contour),
      extendedKeyUsages: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'],
      dnsNames: contour === 'transport' ? ['transport', 'localhost'] : ['cbr-simulator', 'cbr', 'localhost'],
    };
  }
  return { keyUsages: contourKeyUsages(contour) };
}
