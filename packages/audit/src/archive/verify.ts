import {
  type CertificateValidator,
  type Contour,
  createTrustStore,
  readZks,
  type SignerReport,
  TrustConfigError,
  type TrustStore,
  unwrapEnvelope,
  verifyDetached,
  verifyZks,
} from '@twincontour/crypto';
import type { ArchiveCode } from './codes.js';
import { certificatesOf, createFactsCache, sha256Hex } from './evidence.js';
import {
  INCIDENT_ANSWER_KIND,
  INCIDENT_REQUEST_KIND,
  type IncidentRequestBody,
  parseIncidentAnswerBody,
  parseIncidentRequestBody,
} from './incident.js';
import type {
  ArchivedRecord,
  ArchivedSigner,
  ArchiveTrust,
  ArchiveVerification,
  VerifyArchivedOptions,
} from './types.js';

/** Which signatures a record must carry, by direction (the same rules transport applied when it took it). */
interface Profile {
  ka: Contour;
  /** The ЗК contours, in order, given how many ЗК the ED carries. */
  zk(count: number): readonly Contour[];
}

const PROFILES: Readonly<Record<'out' | 'in', Profile>> = {
  // 802-П п. 14.3 (domain/handover.ts verifyHandOver): control's КА; formation's ЗК, then control's — or
  // formation's alone when the bank runs the `ka` protection variant (TWINCONTOUR_SIG_MODE), which the
  // record does not store: the ЗК present must be those contours' in that order.
  out: { ka: 'control', zk: (count) => (count <= 1 ? ['formation'] : ['formation', 'control']) },
  // domain/answer.ts readAnswer: the Bank of Russia's КА and exactly one ЗК of it.
  in: { ka: 'cbr', zk: () => ['cbr'] },
};

/** Kinds that are the channel encryption around an envelope: exactly the wire bytes, no signature of ours to check. */
const WIRE_ONLY = new Set(['enveloped-data']);

/**
 * Incident bodies (802-П п. 19): a document and one detached CMS over it, and whose it must be — the
 * request an authorised person's (пп. 19.3, 19.5: the Bank of Russia takes it on that signature), the
 * answer the Bank of Russia's (workers/incident-service.ts accepts no other).
 */
const INCIDENT_SIGNERS: ReadonlyMap<string, Contour> = new Map<string, Contour>([
  [INCIDENT_REQUEST_KIND, 'authorised-person'],
  [INCIDENT_ANSWER_KIND, 'cbr'],
]);

const facts = createFactsCache();

/**
 * The trust store a record is judged with: the verifier's anchors and pins, the record's stored CA
 * certificates as intermediates (path building only: a path must still end at a configured anchor),
 * and its stored CRLs plus the later ones (the newest loaded per CA is used). CRLs are loaded before it
 * is returned. Throws TrustConfigError when the anchors or pins cannot be used.
 */
export async function archiveTrustStore(
  record: ArchivedRecord,
  trust: ArchiveTrust,
  clock?: () => Date,
): Promise<TrustStore> {
  const storedCas = record.certificates.map((c) => c.der).filter((der) => facts(der)?.isCa === true);
  const store = createTrustStore({
    anchors: trust.anchors,
    intermediates: [...(trust.intermediates ?? []), ...storedCas],
    crls: [...record.crlBlobs, ...record.laterCrls].map((c) => c.der),
    ...(trust.pins ? { pins: trust.pins } : {}),
    ...(trust.pinnedOnly ? { pinnedOnly: trust.pinnedOnly } : {}),
    ...(trust.signatureVerifiers ? { signatureVerifiers: trust.signatureVerifiers } : {}),
    ...(clock ? { clock } : {}),
  });
  await store.refresh();
  return store;
}

/**
 * A validator that judges every certificate as of the record's signing time (802-П п. 11): `now: null`
 * skips the "valid now" checks, so expired certificates still verify, and the time is the record's —
 * when transport sent or received the message — not the signingTime the signer claims in its CMS.
 */
export function archiveValidator(store: TrustStore, signingTime: Date): CertificateValidator {
  return {
    check: (der, options) => store.check(der, { ...options, signingTime, now: null }),
  };
}

function signerOf(
  role: ArchivedSigner['role'],
  report: SignerReport,
  index: number,
  expected: Contour | undefined,
): ArchivedSigner {
  const cert = report.certificate;
  const signer: ArchivedSigner = {
    role,
    index,
    contour: cert?.contour ?? expected ?? 'unknown',
    result: report.ok ? 'valid' : 'invalid',
  };
  if (cert?.serialNumber) signer.serial = cert.serialNumber;
  if (cert?.issuer) signer.issuer = cert.issuer;
  if (cert?.subject) signer.subject = cert.subject;
  if (cert?.thumbprint) signer.thumbprint = cert.thumbprint;
  if (!report.ok && report.code) signer.code = report.code;
  if (!report.ok && report.message) signer.message = report.message;
  if (report.signingTime) signer.claimedSigningTime = report.signingTime.toISOString();
  return signer;
}

/**
 * Verifies a record's signatures with a given validator (the archive one in {@link verifyArchived}; a
 * live one in tests, to show the difference). The digest, kind and evidence checks are
 * {@link verifyArchived}'s; this is the signature part. Never throws on arbitrary bytes.
 */
export async function verifyArchivedSignatures(
  record: ArchivedRecord,
  validator: CertificateValidator,
): Promise<Pick<ArchiveVerification, 'ok' | 'signers' | 'code' | 'reason'>> {
  const incidentSigner = INCIDENT_SIGNERS.get(record.kind);
  if (incidentSigner) return verifyIncidentSignature(record, validator, incidentSigner);
  const profile = PROFILES[record.direction];
  const unwrapped = unwrapEnvelope(record.bytes);
  if (!unwrapped.ok) {
    return { ok: false, signers: [], code: 'ARC_UNREADABLE', reason: `${unwrapped.code}: ${unwrapped.message}` };
  }
  const { mac, file } = unwrapped.value;
  // The stored chain, in case a CMS does not carry its signer's certificate.
  const certificates = record.certificates.map((c) => c.der);
  const ka = await verifyDetached(mac, file, { validator, expectedContours: [profile.ka], certificates });
  const count = readZks(file);
  const expectedZk = profile.zk(count.ok ? count.value.length : 0);
  const zks = await verifyZks(file, { validator, expectedContours: expectedZk, certificates });
  const signers = [
    ...ka.signers.map((s, i) => signerOf('ka', s, i, profile.ka)),
    ...zks.zks.map((z, i) => signerOf('zk', z, i, expectedZk[i])),
  ];
  if (ka.ok && zks.ok) return { ok: true, signers };
  const failures = [
    ...(ka.ok ? [] : [{ code: ka.code ?? 'SIG_MALFORMED', message: `КА: ${ka.message ?? ''}` }]),
    ...(zks.ok ? [] : [{ code: zks.code ?? 'SIG_MALFORMED', message: zks.message ?? '' }]),
  ];
  const first = failures[0]!;
  // Only the revocation proof is missing (no CRL after the signing time yet): a different answer from a
  // broken signature, with a different action (wait for the CA's next CRL).
  const unproven = failures.every((f) => f.code === 'SIG_CRL_UNAVAILABLE');
  return {
    ok: false,
    signers,
    code: unproven ? 'ARC_REVOCATION_UNPROVEN' : 'ARC_SIGNATURE_INVALID',
    reason: `${first.code}: ${first.message}`,
  };
}

/** A JSON object from a signed document; undefined when it is none. */
function documentObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const thumbprintOf = (value: unknown): string | undefined =>
  typeof value === 'string' ? value.replaceAll(':', '').toLowerCase() : undefined;

/**
 * Why an incident document does not belong to its record, if it does not: the request document must be
 * the request its body names (id, kind), filed under that id, and name as its authorised person the one
 * whose certificate signed it (what the Bank of Russia checks, п. 19.5); the answer must be about the
 * request it is filed under. Only the fields that bind are read: the document's other requisites are
 * the signer's word, verified by the signature.
 */
function incidentMismatch(
  record: ArchivedRecord,
  document: Uint8Array,
  request: IncidentRequestBody | undefined,
  signerThumbprint: string | undefined,
): string | undefined {
  const fields = documentObject(document);
  if (!request) {
    if (!fields) return 'the answer document is not a JSON object';
    if (record.sourceRef !== undefined && fields.requestId !== record.sourceRef) {
      return `the answer is about request ${String(fields.requestId)}, filed under ${record.sourceRef}`;
    }
    return undefined;
  }
  if (!fields) return 'the request document is not a JSON object';
  if (fields.requestId !== request.requestId || fields.kind !== request.kind) {
    return `the document is request ${String(fields.requestId)} (${String(fields.kind)}), the body names ${request.requestId} (${request.kind})`;
  }
  if (record.sourceRef !== undefined && record.sourceRef !== request.requestId) {
    return `the request ${request.requestId} is filed under ${record.sourceRef}`;
  }
  const person = fields.authorisedPerson as { certificate?: { thumbprint?: unknown } } | undefined;
  const named = thumbprintOf(person?.certificate?.thumbprint);
  const signer = thumbprintOf(signerThumbprint);
  if (signer !== undefined && named !== signer) {
    return `the document names the authorised person with certificate ${named ?? '(none)'}, signed by ${signer}`;
  }
  return undefined;
}

/**
 * An incident request or answer, in this order: the body reads (`ARC_INCIDENT_UNREADABLE`); its one
 * detached signature is by `contour` over exactly the stored document, with a certificate valid at the
 * signing time (`ARC_SIGNATURE_INVALID`); the document belongs to the record (`ARC_INCIDENT_MISMATCH`);
 * a CRL issued after the signing time proves the certificate was not revoked then
 * (`ARC_REVOCATION_UNPROVEN`).
 */
async function verifyIncidentSignature(
  record: ArchivedRecord,
  validator: CertificateValidator,
  contour: Contour,
): Promise<Pick<ArchiveVerification, 'ok' | 'signers' | 'code' | 'reason'>> {
  const isRequest = record.kind === INCIDENT_REQUEST_KIND;
  const body = isRequest ? parseIncidentRequestBody(record.bytes) : parseIncidentAnswerBody(record.bytes);
  if (!body.ok) return { ok: false, signers: [], code: 'ARC_INCIDENT_UNREADABLE', reason: body.message };
  const { document, signature } = body.value;
  // The stored chain, in case the CMS does not carry its signer's certificate (a person's own tool may not).
  const certificates = record.certificates.map((c) => c.der);
  const report = await verifyDetached(signature, document, { validator, expectedContours: [contour], certificates });
  const signers = report.signers.map((s, i) => signerOf('detached', s, i, contour));
  const reason = `${report.code ?? 'SIG_MALFORMED'}: ${report.message ?? ''}`;
  // As for envelopes: only the proof of non-revocation missing is a different answer from a bad signature.
  const unproven =
    !report.ok &&
    report.code === 'SIG_CRL_UNAVAILABLE' &&
    report.signers.every((s) => s.ok || s.code === 'SIG_CRL_UNAVAILABLE');
  if (!report.ok && !unproven) return { ok: false, signers, code: 'ARC_SIGNATURE_INVALID', reason };
  // A document that is not the record's fails whatever a later CRL will say.
  const request = isRequest ? (body.value as IncidentRequestBody) : undefined;
  const mismatch = incidentMismatch(record, document, request, report.signers[0]?.certificate?.thumbprint);
  if (mismatch) return { ok: false, signers, code: 'ARC_INCIDENT_MISMATCH', reason: mismatch };
  if (unproven) return { ok: false, signers, code: 'ARC_REVOCATION_UNPROVEN', reason };
  return { ok: true, signers };
}

/**
 * Re-verifies an archived message as of its signing time (802-П п. 11), with the stored certificate
 * chain and CRLs and the verifier's own anchors and pins:
 *
 * 1. the stored bytes still hash to the stored SHA-256 (`ARC_DIGEST_MISMATCH`), and every stored
 *    certificate and CRL the record names is there and hashes to its name (`ARC_EVIDENCE_INVALID`);
 * 2. a wire-only record (EnvelopedData) is not verifiable by the bank (`ARC_WIRE_ONLY`, with `sibling`);
 * 3. an `envelope` — outgoing: control's КА and the ЗК of formation and control; incoming: the Bank of
 *    Russia's КА and ЗК; an `incident-request`: the authorised person's detached signature over the stored
 *    document, which must name that person; an `incident-answer`: the Bank of Russia's over its answer —
 *    each signature over the stored bytes, each certificate on a path to a configured anchor,
 *    valid and not revoked at the signing time (`ARC_SIGNATURE_INVALID`; `ARC_REVOCATION_UNPROVEN`
 *    when no CRL issued after the signing time is stored yet; `ARC_INCIDENT_UNREADABLE` and
 *    `ARC_INCIDENT_MISMATCH` for incident bodies).
 *
 * The verifier's clock only stamps `verifiedAt`: a record verifies the same six years on, when every
 * certificate in it has expired. Never throws for stored data; `ARC_TRUST_INVALID` when the anchors or
 * pins cannot be used.
 */
export async function verifyArchived(
  record: ArchivedRecord,
  options: VerifyArchivedOptions,
): Promise<ArchiveVerification> {
  const clock = options.clock ?? (() => new Date());
  const base = {
    id: record.id,
    direction: record.direction,
    kind: record.kind,
    signingTime: record.signingTime.toISOString(),
  };
  const evidence: ArchiveVerification['evidence'] = { certificates: record.certificates.length, crls: [] };
  const finish = (
    outcome: Pick<ArchiveVerification, 'ok' | 'signers' | 'code' | 'reason' | 'sibling'>,
  ): ArchiveVerification => ({ ...base, ...outcome, evidence, verifiedAt: clock().toISOString() });
  const refuse = (code: ArchiveCode, reason: string, extra: { sibling?: string } = {}) =>
    finish({ ok: false, signers: [], code, reason, ...extra });

  if (sha256Hex(record.bytes) !== record.sha256) {
    return refuse('ARC_DIGEST_MISMATCH', `the stored bytes hash to ${sha256Hex(record.bytes)}, not ${record.sha256}`);
  }
  const stored = [...record.certificates, ...record.crlBlobs, ...record.laterCrls];
  const altered = stored.find((b) => sha256Hex(b.der) !== b.sha256);
  if (altered) return refuse('ARC_EVIDENCE_INVALID', `stored blob ${altered.sha256} no longer hashes to its name`);
  const present = new Set([...record.certificates, ...record.crlBlobs].map((b) => b.sha256));
  const missing = [...record.chain, ...record.crls].find((h) => !present.has(h));
  if (missing) return refuse('ARC_EVIDENCE_INVALID', `stored blob ${missing} is missing`);

  if (WIRE_ONLY.has(record.kind)) {
    const reason =
      record.direction === 'out'
        ? 'the EnvelopedData is encrypted to the Bank of Russia: only its key opens it'
        : 'the EnvelopedData as received: verify its opened envelope';
    return refuse('ARC_WIRE_ONLY', reason, record.sibling ? { sibling: record.sibling } : {});
  }
  if (record.kind !== 'envelope' && !INCIDENT_SIGNERS.has(record.kind)) {
    return refuse('ARC_UNKNOWN_KIND', `kind ${record.kind} is not known`);
  }

  let store: TrustStore;
  try {
    store = await archiveTrustStore(record, options, clock);
  } catch (error) {
    if (error instanceof TrustConfigError) return refuse('ARC_TRUST_INVALID', error.problems.join('; '));
    throw error;
  }
  try {
    evidence.crls = store.crlSnapshots().map((c) => ({
      sha256: sha256Hex(c.der),
      issuer: c.issuer,
      thisUpdate: c.thisUpdate.toISOString(),
    }));
    return finish(await verifyArchivedSignatures(record, archiveValidator(store, record.signingTime)));
  } finally {
    store.close();
  }
}

/** The anchors and intermediates of a trust configuration as DER (the CAs transport links into a chain). */
export function trustCertificates(trust: ArchiveTrust): Uint8Array[] {
  return certificatesOf([...trust.anchors, ...(trust.intermediates ?? [])]);
}
