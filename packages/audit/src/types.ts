import type { Pool, PoolClient } from '@twincontour/platform';

/**
 * The contracts of the audit log (DESIGN.md "Audit log"; 802-П п. 14: every signature made or
 * checked must be traceable to who, when, which key). Every service writes its events through one
 * {@link AuditLog}; security officers read, export and verify them.
 */

/** Event types. Stable strings: never renamed or reused (exports and trails outlive the code). */
export const AUDIT_EVENT_TYPES = [
  // A signature made by this contour's key: ЗК, КА, a checkpoint is not an event (it has its own table).
  'signature.made',
  // A signature or certificate checked, pass or fail (ЗК of the other contour, КА, an answer's signature).
  'signature.checked',
  // Control's decision on an ED: accepted (signed and passed on) or refused, with the reason code.
  'control.decision',
  // An ED handed to the Bank of Russia channel (or refused by transport before delivery).
  'message.delivered',
  'message.refused',
  // An answer from the Bank of Russia (ED201, ED206, an incident answer) received and checked.
  'answer.received',
  // The service loaded its key and certificate at start; a certificate imported by an operator.
  'key.loaded',
  'certificate.imported',
  // A refused login: unknown key, wrong role, wrong contour (never the key itself).
  'auth.failed',
  // Incident suspension (802-П п. 19): every step.
  'incident.suspend-requested',
  'incident.suspended',
  'incident.request-sent',
  'incident.request-failed',
  'incident.reserve-copy',
  'incident.resume-requested',
  'incident.resumed',
  'incident.message-annulled',
  // The authorised-person registry (802-П п. 19.3): every change.
  'person.added',
  'person.changed',
  'person.removed',
  // Archive re-verification asked by a security officer.
  'archive.verified',
  // Audit log verification run (its result).
  'audit.verified',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** `pass` / `fail` for checks and decisions; `info` for actions that have no verdict. */
export type AuditResult = 'pass' | 'fail' | 'info';

/** The certificate an event is about (signer of a signature made or checked). */
export interface AuditCertificate {
  /** Lowercase hex, no leading zeros (crypto's CertificateInfo.serialNumber). */
  serial: string;
  /** RFC 4514. */
  issuer: string;
  /** SHA-256 of the DER, lowercase hex. */
  thumbprint: string;
}

/** What a service records. The contour and service name come from the {@link AuditLog}. */
export interface AuditEventInput {
  type: AuditEventType;
  /** Who: an identity id (`dev-transport-ops`), `service:<name>` for the service itself, or `anonymous`. */
  actor: string;
  result: AuditResult;
  /** Stable code (SIG_CERT_REVOKED, CTL_MISMATCH, AUTH_FORBIDDEN …) when there is one. */
  reason?: string | undefined;
  orderId?: string | undefined;
  messageId?: string | undefined;
  ed?: { edNo: string; edDate: string; edAuthor: string } | undefined;
  /** SHA-256 (lowercase hex) of the signed content (the normalized ED, the envelope …). */
  digest?: string | undefined;
  certificate?: AuditCertificate | undefined;
  /** Small extra facts (no secrets, no message bodies): signature id, channel, reference, incident id. */
  details?: Readonly<Record<string, unknown>> | undefined;
  /** When it happened; default now. */
  at?: Date | undefined;
}

/** A chained event as stored and exported. */
export interface AuditEvent {
  /** Position in the chain, 1, 2, 3 … without gaps. */
  seq: string;
  id: string;
  /** ISO 8601 with milliseconds. */
  at: string;
  contour: string;
  service: string;
  type: AuditEventType;
  actor: string;
  result: AuditResult;
  reason: string | null;
  orderId: string | null;
  messageId: string | null;
  ed: { edNo: string; edDate: string; edAuthor: string } | null;
  digest: string | null;
  certificate: AuditCertificate | null;
  details: Record<string, unknown> | null;
  /** Hash of the previous event (64 zeros for seq 1), lowercase hex. */
  prevHash: string;
  /** SHA-256 over prevHash and the canonical form of this event's fields. */
  hash: string;
}

/** A signed chain head (checkpoint): proves the chain up to `seq` as it stood at `at`. */
export interface AuditCheckpoint {
  /** 1, 2, 3 … without gaps. */
  no: string;
  /** The chain position covered. */
  seq: string;
  /** The event hash at `seq`. */
  headHash: string;
  /** Hash of the previous checkpoint (64 zeros for the first). */
  prevCheckpointHash: string;
  at: string;
  contour: string;
  /** Detached CMS (DER, base64) by the contour key over the checkpoint's canonical text. */
  signatureBase64: string;
  /** SHA-256 of the canonical text + signature: what the next checkpoint links to. */
  hash: string;
  /**
   * The writer's checkpoint interval in ms, signed in the text: how soon after this checkpoint a
   * verifier must see the next one once the head moves (AUDIT_CHECKPOINT_MISSING).
   */
  intervalMs?: number | undefined;
}

/** Filters of the security-officer API and the CLI. */
export interface AuditQuery {
  from?: Date | undefined;
  to?: Date | undefined;
  type?: AuditEventType | undefined;
  orderId?: string | undefined;
  messageId?: string | undefined;
  /** Thumbprint or serial. */
  certificate?: string | undefined;
  result?: AuditResult | undefined;
  /** Opaque cursor from a previous page. */
  cursor?: string | undefined;
  /** Default 100, at most 1000. */
  limit?: number | undefined;
}

/** Stable codes of verification problems. */
export type AuditProblemCode =
  | 'AUDIT_SEQ_GAP'
  | 'AUDIT_PREV_MISMATCH'
  | 'AUDIT_HASH_MISMATCH'
  | 'AUDIT_CHECKPOINT_BAD_SIGNATURE'
  | 'AUDIT_CHECKPOINT_MISMATCH'
  | 'AUDIT_CHECKPOINT_GAP'
  | 'AUDIT_CHECKPOINT_MISSING'
  // Offline verification of an export (verifyExport): the export is filtered, or a line is not an export line.
  | 'AUDIT_EXPORT_PARTIAL'
  | 'AUDIT_EXPORT_MALFORMED';

export interface AuditProblem {
  code: AuditProblemCode;
  /** The event (or, for checkpoint problems, the checkpoint's seq) where it was found. */
  seq?: string | undefined;
  eventId?: string | undefined;
  checkpointNo?: string | undefined;
  message: string;
}

/** The outcome of verifying one contour's chain and checkpoints. */
export interface AuditVerification {
  ok: boolean;
  contour: string;
  events: number;
  checkpoints: number;
  /** The first broken link in chain order (absent when ok). */
  firstBroken?: AuditProblem | undefined;
  problems: AuditProblem[];
}

/** One service's audit log. */
export interface AuditLog {
  readonly contour: string;
  readonly service: string;
  /**
   * Records an event. With `client`, inside the caller's transaction (the event commits or rolls
   * back with the state it describes); without, on its own. It is durable when this resolves; it is
   * chained (hash, seq) shortly after by the single chainer (see `flush`).
   */
  record(event: AuditEventInput, client?: PoolClient): Promise<void>;
  /** Chains everything recorded so far (tests, shutdown). */
  flush(): Promise<void>;
  /** Starts the chainer and the checkpoint timer. */
  start(): void;
  /** Chains what is left, writes a last checkpoint, stops. */
  close(): Promise<void>;
  /** Writes a checkpoint now if the head moved since the last one; returns it (or undefined). */
  checkpoint(): Promise<AuditCheckpoint | undefined>;
  query(query: AuditQuery): Promise<{ events: AuditEvent[]; nextCursor?: string | undefined }>;
  verify(): Promise<AuditVerification>;
  readonly pool: Pool;
}
