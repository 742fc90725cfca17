import { createHash } from 'node:crypto';
import {
  type CertificateSource,
  type CrlSnapshot,
  derObjects,
  describeCertificate,
  parseSignedData,
  readZks,
  unwrapEnvelope,
} from '@twincontour/crypto';
import { incidentParts } from './incident.js';

/** SHA-256, lowercase hex: how archive_blobs and records name their bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What the archive keeps about a certificate besides its DER. */
export interface CertificateFacts {
  sha256: string;
  subject: string;
  issuer: string;
  isCa: boolean;
}

/** Every certificate carried by one CMS SignedData (X.509 ones only); [] when it does not parse. */
function certificatesOfCms(der: Uint8Array): Uint8Array[] {
  const parsed = parseSignedData(der);
  if (!parsed.ok) return [];
  // CertificateChoices other than an X.509 certificate (SEQUENCE) identify no signer.
  return parsed.value.certificates.filter((c) => c[0] === 0x30);
}

/**
 * The certificates a КА envelope carries: those of its КА and those of every ЗК of the file inside
 * (802-П п. 11: the means to verify the message). Never throws; [] for bytes that are not an envelope
 * (an EnvelopedData, refused input).
 */
export function certificatesInEnvelope(bytes: Uint8Array): Uint8Array[] {
  const unwrapped = unwrapEnvelope(bytes);
  if (!unwrapped.ok) return [];
  const out = certificatesOfCms(unwrapped.value.mac);
  const zks = readZks(unwrapped.value.file);
  if (zks.ok) for (const zk of zks.value) out.push(...certificatesOfCms(zk.der));
  return dedupe(out);
}

/**
 * The certificates a record's bytes carry, by kind: an `envelope`'s (see {@link certificatesInEnvelope}),
 * or those of the detached CMS of an `incident-request` / `incident-answer` (802-П п. 19). Never throws;
 * [] for other kinds and for bytes that do not parse.
 */
export function certificatesInRecord(kind: string, bytes: Uint8Array): Uint8Array[] {
  if (kind === 'envelope') return certificatesInEnvelope(bytes);
  const parts = incidentParts(kind, bytes);
  return parts ? dedupe(certificatesOfCms(parts.signature)) : [];
}

function dedupe(list: readonly Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (const der of list) {
    const h = sha256Hex(der);
    if (seen.has(h)) continue;
    seen.add(h);
    out.push(der);
  }
  return out;
}

/**
 * Builds the chain material of a message: its signers' certificates, then the CA certificates (from
 * `cas`, the verifier's configured anchors and intermediates) that issued them, up to a self-signed
 * one. Matching is by name only: whether each link verifies is the trust store's question at
 * verification time. Facts of each certificate are cached by the caller's `facts` map (five years of
 * messages share a few certificates).
 */
export function chainWithIssuers(
  signers: readonly Uint8Array[],
  cas: readonly Uint8Array[],
  facts: (der: Uint8Array) => CertificateFacts | undefined,
): Uint8Array[] {
  const bySubject = new Map<string, Uint8Array[]>();
  for (const ca of cas) {
    const f = facts(ca);
    if (!f?.isCa) continue;
    bySubject.set(f.subject, [...(bySubject.get(f.subject) ?? []), ca]);
  }
  const out = dedupe(signers);
  const seen = new Set(out.map(sha256Hex));
  // Breadth-first up the issuers; `seen` stops loops (a self-signed root names itself).
  for (let i = 0; i < out.length && i < 64; i++) {
    const f = facts(out[i]!);
    if (!f) continue;
    for (const issuer of bySubject.get(f.issuer) ?? []) {
      const h = sha256Hex(issuer);
      if (seen.has(h)) continue;
      seen.add(h);
      out.push(issuer);
    }
  }
  return out;
}

/** A facts reader with a bounded cache (by SHA-256 of the DER). */
export function createFactsCache(limit = 1000): (der: Uint8Array) => CertificateFacts | undefined {
  const cache = new Map<string, CertificateFacts | null>();
  return (der) => {
    const h = sha256Hex(der);
    const hit = cache.get(h);
    if (hit !== undefined) return hit ?? undefined;
    const d = describeCertificate(der);
    const value = d.ok ? { sha256: h, subject: d.value.subject, issuer: d.value.issuer, isCa: d.value.isCa } : null;
    if (cache.size >= limit) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(h, value);
    return value ?? undefined;
  };
}

/** Every certificate (DER) of trust sources given as PEM text or DER bytes. */
export function certificatesOf(sources: readonly CertificateSource[]): Uint8Array[] {
  return sources.flatMap((s) => derObjects(s, ['CERTIFICATE']));
}

/** The CRLs among `snapshots` issued by a CA that issued a certificate of `chain`. */
export function crlsForChain(
  chain: readonly Uint8Array[],
  snapshots: readonly CrlSnapshot[],
  facts: (der: Uint8Array) => CertificateFacts | undefined,
): CrlSnapshot[] {
  const issuers = new Set(chain.map((c) => facts(c)?.issuer).filter((i): i is string => i !== undefined));
  return snapshots.filter((s) => issuers.has(s.issuer));
}
