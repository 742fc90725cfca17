import { createErrorFactory, defineErrorCatalog } from '@twincontour/platform';

/**
 * Every `ARC_*` code of the message archive (802-П п. 11; STYLE.md, Errors). `docs/archive.md` is kept
 * in step with this catalog by `codes.test.ts`, which also checks that every code literal in the sources
 * of `src/archive` is listed.
 *
 * Two kinds of code: HTTP refusals of the archive API (their status is the answer's), and verification
 * findings, reported inside an {@link ArchiveVerification} (HTTP 200, CLI exit 1) with the status the
 * finding would have as an error answer (422: the record is there but does not verify).
 */
export const ARCHIVE_CODES = defineErrorCatalog({
  // HTTP: the archive API and the CLI.
  ARC_NOT_FOUND: {
    status: 404,
    meaning: 'The archive has no record with this id.',
    action: 'Check the id (GET /v1/archive?orderId=… lists an order’s records); ids are never reused.',
  },
  ARC_BAD_CURSOR: {
    status: 400,
    meaning: 'The `cursor` is not one this API issued (it is opaque: base64url of a position in time order).',
    action: 'Pass `next` of the previous page unchanged, or leave it out to start from the oldest record.',
  },
  ARC_BAD_RANGE: {
    status: 400,
    meaning: 'The time range is empty: `from` is not before `to`.',
    action: 'Give `from` earlier than `to` (`from` is inclusive, `to` exclusive).',
  },
  ARC_DATABASE_UNAVAILABLE: {
    status: 500,
    meaning: 'The archive database (transport’s) cannot be reached or does not hold the archive.',
    action:
      'Set TWINCONTOUR_ARCHIVE_DATABASE_URL to transport’s database (a role that may read `archive` and `archive_blobs`).',
  },

  // Verification findings (ArchiveVerification.code).
  ARC_DIGEST_MISMATCH: {
    status: 422,
    meaning: 'The stored bytes no longer hash to the SHA-256 stored with them: the record was altered in the database.',
    action:
      'Security incident: someone with database rights changed the archive; compare with backups and the audit log.',
  },
  ARC_EVIDENCE_INVALID: {
    status: 422,
    meaning: 'A certificate or CRL the record names is missing from `archive_blobs` or no longer hashes to its name.',
    action: 'Security incident: the stored verification material was altered or removed; restore it from backup.',
  },
  ARC_UNREADABLE: {
    status: 422,
    meaning: 'The stored bytes are not a readable КА envelope (`reason` carries the SIG_*/UFEBS_* code).',
    action: 'Look at the record’s `code`: refused input is archived as received and may well be unreadable.',
  },
  ARC_SIGNATURE_INVALID: {
    status: 422,
    meaning:
      'A signature (КА, ЗК, or the detached CMS of an incident request or answer) does not verify as of the signing time with the stored chain and CRLs; each signer says why (SIG_*).',
    action:
      'If the record was refused when received (`code` set), this is expected. Otherwise a security incident: see the signers’ codes.',
  },
  ARC_REVOCATION_UNPROVEN: {
    status: 422,
    meaning:
      'No CRL issued at or after the signing time is archived yet, so the signers’ status at that time cannot be proven.',
    action:
      'Normal for a record younger than the CA’s CRL interval: transport archives each new CRL (hourly); verify again later.',
  },
  ARC_WIRE_ONLY: {
    status: 422,
    meaning:
      'The record is the channel-encrypted form (CMS EnvelopedData): it carries no signature the bank can check; `sibling` names the envelope record with the same content.',
    action: 'Verify the sibling record instead; this one proves what went over the wire, byte for byte.',
  },
  ARC_INCIDENT_UNREADABLE: {
    status: 422,
    meaning:
      'The stored bytes are not a readable incident request or answer body (802-П п. 19): the JSON with the document and its detached CMS in base64 (`reason` names each field at fault).',
    action:
      'Security incident: transport archives only bodies it wrote or could read, so the record was altered (its digest with it) or written by another program.',
  },
  ARC_INCIDENT_MISMATCH: {
    status: 422,
    meaning:
      'The signed document does not belong to its record: a request whose document names another request, kind or authorised person than the body and the signer, or an answer about another request than the one it is filed under.',
    action:
      'Security incident: the signature may be genuine but over another document; compare with the `incident_requests` table and the audit log.',
  },
  ARC_UNKNOWN_KIND: {
    status: 422,
    meaning:
      'The record’s kind is not one the verifier knows (envelope, enveloped-data, incident-request, incident-answer).',
    action: 'A newer gateway wrote it: verify with a CLI of the same version.',
  },
  ARC_TRUST_INVALID: {
    status: 500,
    meaning: 'The verifier’s trust configuration (anchors, pins) cannot be used.',
    action: 'Check the trust folder (trust.json, the CA certificates) given with --trust-dir or TWINCONTOUR_TRUST_DIR.',
  },
});

/** A code of {@link ARCHIVE_CODES}. */
export type ArchiveCode = keyof typeof ARCHIVE_CODES;

/** The archive API's HTTP error factory (status and default message from the catalog). */
export const archiveError = createErrorFactory(ARCHIVE_CODES);
