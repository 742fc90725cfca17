import type { CertificateSource, Contour, TrustConfig } from '@twincontour/crypto';
import type { ArchiveCode } from './codes.js';

/**
 * The message archive (802-П п. 11): every signed message transport sent or received, exactly as it
 * went over the channel, kept at least five years with the certificates and CRLs that verify it. The
 * tables live in transport's database (services/transport/migrations/0002_archive.sql); this module
 * reads and writes them and re-verifies a record, so that transport's API and `twincontour archive
 * verify` give the same answer.
 */

/** Which way a message went: `out` to the Bank of Russia, `in` from it. */
export type ArchiveDirection = 'out' | 'in';

/**
 * What a record holds:
 * - `envelope`: a `sen:SigEnvelope` — out: control's КА around the ED with formation's and control's
 *   ЗК; in: the Bank of Russia's КА around its ED201/ED206 with its ЗК. Re-verifiable.
 * - `enveloped-data`: the channel encryption around an envelope (CMS EnvelopedData to the Bank of
 *   Russia's certificate, or to transport's). Kept because it is exactly what went over the wire; not
 *   re-verifiable (`ARC_WIRE_ONLY`): its sibling `envelope` record holds the signed content.
 * - `incident-request` (out, 802-П п. 19): the body transport POSTed to the Bank of Russia over the main
 *   channel — `{"requestId","kind","documentBase64","signatureBase64"}`, the request document the gateway
 *   drafted and the authorised person's detached CMS over it (contour authorised-person). `sourceRef` is the
 *   request id. Re-verifiable.
 * - `incident-answer` (in): the body the Bank of Russia answered a request with — `answerBase64` and
 *   `signatureBase64`, its answer document and detached CMS (contour cbr); `sourceRef` is the request id,
 *   `code` set when transport did not take the answer. Re-verifiable.
 *
 * The printable reserve copy of a request (PDF, п. 19.4) is not archived: it is no signed message, only a
 * rendering of the request for fax or e-mail (its SHA-256 is in the audit log).
 */
export type ArchiveKind = 'envelope' | 'enveloped-data' | 'incident-request' | 'incident-answer' | (string & {});

/** An ED identity (EDNo, EDDate, EDAuthor). */
export interface ArchiveEdRef {
  edNo: string;
  edDate: string;
  edAuthor: string;
}

/** A record's description, without its bytes (what GET /v1/archive lists). */
export interface ArchiveRecordMeta {
  /** Decimal string: the bigint id (answers.archive_id points at it). */
  id: string;
  direction: ArchiveDirection;
  kind: ArchiveKind;
  orderId?: string;
  ed?: ArchiveEdRef;
  channel: string;
  /** The channel's reference (file name, peer item id). */
  sourceRef?: string;
  /** SHA-256 of `bytes`, lowercase hex. */
  sha256: string;
  size: number;
  /** For input transport refused: its TRN_* code (INC_* for an incident answer) and reason. */
  code?: string;
  reason?: string;
  /** When the record was written (the partition key). */
  at: Date;
  /** The trusted time the certificates are judged at: when transport sent or received the message. */
  signingTime: Date;
  /** Deletion is refused before this time (at least five years after `at`). */
  retainUntil: Date;
  /** SHA-256 of the stored certificates: the signers' and the CAs that issued them. */
  chain: string[];
  /** SHA-256 of the stored CRLs the gateway used when it archived the message. */
  crls: string[];
}

/** A certificate or CRL stored once (archive_blobs), named by the SHA-256 of its DER. */
export interface ArchiveBlob {
  sha256: string;
  der: Uint8Array;
}

/** A stored CRL with the facts re-verification chooses it by. */
export interface ArchiveCrlBlob extends ArchiveBlob {
  /** RFC 4514. */
  issuer: string;
  thisUpdate: Date;
  nextUpdate?: Date;
}

/** A record with everything needed to re-verify it. */
export interface ArchivedRecord extends ArchiveRecordMeta {
  /** Exactly the bytes sent or received. */
  bytes: Uint8Array;
  /** The blobs `chain` names that were found (a missing one fails verification). */
  certificates: ArchiveBlob[];
  /** The blobs `crls` names that were found. */
  crlBlobs: ArchiveCrlBlob[];
  /**
   * For each CA of the chain, the earliest stored CRL issued at or after `signingTime`: it proves the
   * signer was not revoked when the message was sent (a CRL from before cannot). Transport archives
   * every CRL it loads, so one exists once the CA has published after the message.
   */
  laterCrls: ArchiveCrlBlob[];
  /** For a wire-only record: the `envelope` record with the same content, when there is one. */
  sibling?: string;
}

/** One signature of a re-verified record. */
export interface ArchivedSigner {
  /**
   * `ka`: the КА over the whole file; `zk`: a ЗК over the normalized ED; `detached`: the detached CMS over
   * the document of an incident request or answer.
   */
  role: 'ka' | 'zk' | 'detached';
  /** Position among the signatures of its kind, from 0 (ЗК: formation's first). */
  index: number;
  /** The contour the trust configuration binds the certificate to, else the contour expected here. */
  contour: Contour | string;
  /** Hex, no leading zeros. Absent when no certificate was found for the signature. */
  serial?: string;
  issuer?: string;
  subject?: string;
  thumbprint?: string;
  result: 'valid' | 'invalid';
  /** SIG_* code of a failure. */
  code?: string;
  message?: string;
  /** The signingTime the signer claimed in its CMS (informative: the record's own time is what counts). */
  claimedSigningTime?: string;
}

/** The outcome of re-verifying one record (also the body of POST /v1/archive/:id/verify). */
export interface ArchiveVerification {
  /** True only when every signature verified as of the signing time with the stored chain and CRLs. */
  ok: boolean;
  id: string;
  direction: ArchiveDirection;
  kind: string;
  /** ISO 8601: the record's trusted time the certificates were judged at. */
  signingTime: string;
  signers: ArchivedSigner[];
  /** Why it is not ok. */
  code?: ArchiveCode;
  /** The first failure in words, starting with its SIG_ or UFEBS_ code when there is one. */
  reason?: string;
  /** For `ARC_WIRE_ONLY`: the envelope record to verify instead. */
  sibling?: string;
  /** What the verdict rests on: how many stored certificates, and the CRLs the trust store used. */
  evidence: { certificates: number; crls: { sha256: string; issuer: string; thisUpdate: string }[] };
  /** ISO 8601: when this verification ran (the verifier's clock; it plays no part in the verdict). */
  verifiedAt: string;
}

/**
 * Whom the verifier trusts: the configured anchors (the bank's CA, the Bank of Russia's) and pins,
 * never the stored chain by itself — the stored CA certificates only help build paths to these anchors.
 * A retired CA or Bank of Russia certificate must stay in the archive verifier's trust configuration
 * for as long as records it verifies are kept.
 */
export interface ArchiveTrust {
  anchors: readonly CertificateSource[];
  intermediates?: readonly CertificateSource[];
  pins?: TrustConfig['pins'];
  pinnedOnly?: TrustConfig['pinnedOnly'];
  signatureVerifiers?: TrustConfig['signatureVerifiers'];
}

/** Options of `verifyArchived`. */
export interface VerifyArchivedOptions extends ArchiveTrust {
  /** The verifier's clock: stamps `verifiedAt` and nothing else (the verdict is as of the signing time). */
  clock?: () => Date;
}
