/**
 * What the signature layer needs from an X.509 certificate — issuer and serial (raw, to match a
 * SignerInfo), subject key identifier, public key, validity — read straight from the DER and cached
 * by SHA-256 thumbprint, so that verifying a message does no repeated ASN.1 object-model parsing
 * (CRYPTO.md: parsing a certificate with asn1-schema costs ~1.9 ms).
 *
 * Whether the certificate is trusted is not decided here: that is the `CertificateValidator`'s job.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { CertificateInfo } from '../types.js';
import { content, decodeOid, decodeTime, readChildren, readSingle, slice, TAG, type Tlv } from './der.js';
import { OID } from './oids.js';
import { fail, type SigResult } from './result.js';

/** Facts about one certificate, read once from its DER. */
export interface CertificateFacts {
  /** The certificate, DER, exactly as found. */
  readonly der: Uint8Array;
  /** SHA-256 of the DER, lowercase hex. */
  readonly thumbprint: string;
  /** SHA-256 of the DER (for ESSCertIDv2). */
  readonly sha256: Uint8Array;
  /** The issuer Name, DER, exactly as in the certificate. */
  readonly issuer: Uint8Array;
  /** The serialNumber INTEGER, content octets as in the certificate. */
  readonly serialNumber: Uint8Array;
  /** The subjectKeyIdentifier extension's key identifier, if present. */
  readonly subjectKeyIdentifier: Uint8Array | undefined;
  /** The public key, or undefined when node:crypto cannot load its algorithm (then no signature can be checked with it). */
  readonly publicKey: KeyObject | undefined;
  /** Descriptive facts in the shape of the shared contract; `contour` is never set here (the trust store knows it). */
  readonly info: CertificateInfo;
}

/** Certificates kept in the cache at most; oldest dropped first. Bounds memory when hostile messages carry many certificates. */
const CACHE_LIMIT = 1024;
const cache = new Map<string, CertificateFacts>();

/** SHA-256 thumbprint of DER bytes, lowercase hex. */
export function thumbprintOf(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/**
 * Reads a certificate's facts, from the cache when the same DER was seen before.
 * Fails with `SIG_CERT_MALFORMED` when the bytes are not an X.509 certificate.
 */
export function certificateFacts(der: Uint8Array): SigResult<CertificateFacts> {
  const hash = createHash('sha256').update(der).digest();
  const thumbprint = hash.toString('hex');
  const cached = cache.get(thumbprint);
  if (cached) return { ok: true, value: cached };
  const parsed = parseCertificate(der, thumbprint, new Uint8Array(hash));
  if (!parsed.ok) return parsed;
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(thumbprint, parsed.value);
  return parsed;
}

function parseCertificate(input: Uint8Array, thumbprint: string, sha256: Uint8Array): SigResult<CertificateFacts> {
  // Keep our own copy: the caller's buffer may be reused or changed after the facts are cached.
  const der = new Uint8Array(input);
  const malformed = (what: string) => fail('SIG_CERT_MALFORMED', `certificate ${thumbprint.slice(0, 16)}: ${what}`);
  const cert = readSingle(der);
  if (!cert || cert.tag !== TAG.SEQUENCE) return malformed('not a DER SEQUENCE');
  const top = readChildren(der, cert);
  if (top?.length !== 3 || top[0]!.tag !== TAG.SEQUENCE) return malformed('not a Certificate');
  const tbs = readChildren(der, top[0]!);
  if (!tbs) return malformed('bad tbsCertificate');
  let i = 0;
  if (tbs[0]?.tag === TAG.CONTEXT_0) i++; // [0] EXPLICIT version
  const [serial, , issuer, validity, subject, spki] = tbs.slice(i, i + 6);
  if (
    !serial ||
    serial.tag !== TAG.INTEGER ||
    serial.contentEnd === serial.contentStart ||
    issuer?.tag !== TAG.SEQUENCE ||
    validity?.tag !== TAG.SEQUENCE ||
    subject?.tag !== TAG.SEQUENCE ||
    spki?.tag !== TAG.SEQUENCE
  ) {
    return malformed('bad tbsCertificate fields');
  }
  const times = readChildren(der, validity);
  const notBefore = times?.[0] && decodeTime(der, times[0]);
  const notAfter = times?.[1] && decodeTime(der, times[1]);
  if (!notBefore || !notAfter || times?.length !== 2) return malformed('bad validity');
  const issuerName = nameToString(der, issuer);
  const subjectName = nameToString(der, subject);
  if (issuerName === undefined || subjectName === undefined) return malformed('bad distinguished name');
  let subjectKeyIdentifier: Uint8Array | undefined;
  const extensions = tbs.slice(i + 6).find((t) => t.tag === TAG.CONTEXT_3);
  if (extensions) {
    const ski = findSubjectKeyIdentifier(der, extensions);
    if (ski === null) return malformed('bad extensions');
    subjectKeyIdentifier = ski;
  }
  let publicKey: KeyObject | undefined;
  try {
    publicKey = createPublicKey({ key: Buffer.from(slice(der, spki)), format: 'der', type: 'spki' });
  } catch {
    // An algorithm node:crypto does not know (e.g. GOST without the engine): the certificate can
    // still be listed and identified; a signature with it is reported as unsupported.
    publicKey = undefined;
  }
  const serialNumber = content(der, serial);
  return {
    ok: true,
    value: {
      der,
      thumbprint,
      sha256,
      issuer: slice(der, issuer),
      serialNumber,
      subjectKeyIdentifier,
      publicKey,
      info: {
        thumbprint,
        serialNumber: serialHex(serialNumber),
        issuer: issuerName,
        subject: subjectName,
        notBefore,
        notAfter,
      },
    },
  };
}

/** Serial number as the contract wants it: lowercase hex without leading zeros. */
function serialHex(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex').replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}

/** The SKI key identifier; undefined when absent; null when the extensions are malformed. */
function findSubjectKeyIdentifier(der: Uint8Array, wrapper: Tlv): Uint8Array | undefined | null {
  const inner = readChildren(der, wrapper);
  if (inner?.length !== 1 || inner[0]!.tag !== TAG.SEQUENCE) return null;
  const list = readChildren(der, inner[0]!);
  if (!list) return null;
  for (const ext of list) {
    const fields = readChildren(der, ext);
    if (!fields || fields[0]?.tag !== TAG.OID) return null;
    if (decodeOid(content(der, fields[0])) !== OID.subjectKeyIdentifier) continue;
    const value = fields[fields.length - 1]!;
    if (value.tag !== TAG.OCTET_STRING) return null;
    const keyId = readSingle(content(der, value));
    if (!keyId || keyId.tag !== TAG.OCTET_STRING) return null;
    return content(der, value).subarray(keyId.contentStart, keyId.contentEnd);
  }
  return undefined;
}

/** RFC 4514 short names (its table in §3) for attribute types. */
const SHORT_NAMES: ReadonlyMap<string, string> = new Map([
  ['2.5.4.3', 'CN'],
  ['2.5.4.6', 'C'],
  ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.9', 'STREET'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['0.9.2342.19200300.100.1.25', 'DC'],
  ['0.9.2342.19200300.100.1.1', 'UID'],
]);

/**
 * A Name as an RFC 4514 string: RDNs last-to-first, joined by ","; known types by short name with
 * the string value escaped; any other type as dotted OID "=#" hex of the value's BER (RFC 4514 §2.4).
 * Undefined when the Name is malformed.
 */
export function nameToString(der: Uint8Array, name: Tlv): string | undefined {
  const rdns = readChildren(der, name);
  if (!rdns) return undefined;
  const out: string[] = [];
  for (const rdn of rdns) {
    if (rdn.tag !== TAG.SET) return undefined;
    const atvs = readChildren(der, rdn);
    if (!atvs || atvs.length === 0) return undefined;
    const parts: string[] = [];
    for (const atv of atvs) {
      const fields = readChildren(der, atv);
      if (atv.tag !== TAG.SEQUENCE || fields?.length !== 2 || fields[0]!.tag !== TAG.OID) return undefined;
      const oid = decodeOid(content(der, fields[0]!));
      if (!oid) return undefined;
      const value = fields[1]!;
      const short = SHORT_NAMES.get(oid);
      const text = short ? decodeDirectoryString(content(der, value), value.tag) : undefined;
      parts.push(
        short && text !== undefined
          ? `${short}=${escapeRdnValue(text)}`
          : `${short ?? oid}=#${Buffer.from(slice(der, value)).toString('hex')}`,
      );
    }
    out.push(parts.join('+'));
  }
  return out.reverse().join(',');
}

function decodeDirectoryString(bytes: Uint8Array, tag: number): string | undefined {
  switch (tag) {
    case 0x0c: // UTF8String
      return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    case 0x12: // NumericString
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // TeletexString, read as Latin-1 as most toolkits do
      return Buffer.from(bytes).toString('latin1');
    case 0x1e: {
      // BMPString: UTF-16 big-endian
      if (bytes.length % 2 !== 0) return undefined;
      let s = '';
      for (let i = 0; i < bytes.length; i += 2) s += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
      return s;
    }
    default:
      return undefined;
  }
}

/** RFC 4514 §2.4 escaping. */
function escapeRdnValue(value: string): string {
  let s = value.replace(/[\\"+,;<>]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (s.startsWith(' ') || s.startsWith('#')) s = `\\${s}`;
  if (s.endsWith(' ') && s.length > 1) s = `${s.slice(0, -1)}\\ `;
  return s;
}
