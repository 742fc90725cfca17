import { createHash } from 'node:crypto';
import {
  type CertificateDescription,
  type CertificateInfo,
  type Contour,
  type EnvelopeVerification,
  unwrapEnvelope,
  type ZkReport,
} from '@twincontour/crypto';
import type { AuthFailureEvent } from '@twincontour/platform';
import type { AuditCertificate, AuditEventInput } from './types.js';

/**
 * One signature or certificate check, as the audit log records it (DESIGN.md, Audit log; 802-П п. 14.3:
 * who signed, with which key, and whether it held). Pure data: the workers record it in the
 * transaction of the state the check led to.
 */
export interface SignatureCheck {
  /** ЗК: over the normalized ED; КА: over the whole file in the envelope. */
  signature: 'ЗК' | 'КА';
  /** Position of the ЗК in the ED (document order) or of the signer in the КА. */
  index: number;
  sigId?: string | undefined;
  /** The contour the signature must come from. */
  expectedContour?: Contour | undefined;
  ok: boolean;
  /** SIG_* (or the reader's code) when it failed. */
  code?: string | undefined;
  /** The signer's certificate, when it could be found. */
  certificate?: CertificateInfo | undefined;
  signingTime?: Date | undefined;
  /** SHA-256 (hex) of the signed content, when it could be read. */
  digest?: string | undefined;
  /** When the check ran. */
  at: Date;
}

/** SHA-256, lowercase hex. */
function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The checks behind a `verifyZks` report (`digest`: SHA-256 of the normalized ED the ЗК sign, which the
 * caller computes with packages/ufebs): one per ЗК found (pass or fail, with its signer's
 * certificate), plus one failed check when the report failed for the ED as a whole (unreadable, no ЗК,
 * a contour's ЗК missing, more ЗК than `expectedCount`).
 */
export function zkChecks(
  digest: string | undefined,
  report: ZkReport,
  expected: readonly Contour[],
  at: Date,
  expectedCount?: number,
): SignatureCheck[] {
  const checks: SignatureCheck[] = report.zks.map((zk) => ({
    signature: 'ЗК',
    index: zk.index,
    sigId: zk.sigId,
    expectedContour: expected[zk.index],
    ok: zk.ok,
    code: zk.code,
    certificate: zk.certificate,
    signingTime: zk.signingTime,
    digest,
    at,
  }));
  const countWrong = report.ok && expectedCount !== undefined && report.zks.length !== expectedCount;
  if ((!report.ok && checks.every((c) => c.ok)) || countWrong) {
    checks.push({
      signature: 'ЗК',
      index: report.zks.length,
      expectedContour: expected[report.zks.length],
      ok: false,
      code: countWrong ? 'SIG_MALFORMED' : (report.code ?? 'SIG_MALFORMED'),
      digest,
      at,
    });
  }
  return checks;
}

/**
 * The checks behind a `verifyEnvelope` verdict over `envelope`: one per signer of the КА, or one failure
 * when it could not be read. The digest is of the enclosed file (what the КА signs), also for a failed
 * signature (the envelope is read again only then).
 */
export function kaChecks(
  envelope: Uint8Array,
  verification: EnvelopeVerification,
  expected: Contour,
  at: Date,
): SignatureCheck[] {
  let digest: string | undefined;
  if (verification.ok) digest = sha256(verification.file);
  else if (verification.report) {
    const unwrapped = unwrapEnvelope(envelope);
    if (unwrapped.ok) digest = sha256(unwrapped.value.file);
  }
  const signers = verification.report?.signers ?? [];
  const checks: SignatureCheck[] = signers.map((s) => ({
    signature: 'КА',
    index: s.index,
    expectedContour: expected,
    ok: s.ok,
    code: s.code,
    certificate: s.certificate,
    signingTime: s.signingTime,
    digest,
    at,
  }));
  if (!verification.ok && checks.every((c) => c.ok)) {
    checks.push({
      signature: 'КА',
      index: signers.length,
      expectedContour: expected,
      ok: false,
      code: verification.code,
      at,
    });
  }
  return checks;
}

/** The audit form of a certificate (serial, issuer, thumbprint). */
export function auditCertificate(info: CertificateInfo | undefined): AuditCertificate | undefined {
  return info ? { serial: info.serialNumber, issuer: info.issuer, thumbprint: info.thumbprint } : undefined;
}

/** What every event of one message shares. */
export interface EventSubject {
  actor: string;
  orderId?: string | undefined;
  messageId?: string | undefined;
  ed?: { edNo: string; edDate: string; edAuthor: string } | undefined;
}

/** `signature.checked` events of a list of checks (pass or fail, each with its reason code). */
export function signatureCheckedEvents(checks: readonly SignatureCheck[], subject: EventSubject): AuditEventInput[] {
  return checks.map((check) => ({
    type: 'signature.checked',
    ...subject,
    result: check.ok ? 'pass' : 'fail',
    reason: check.ok ? undefined : check.code,
    digest: check.digest,
    certificate: auditCertificate(check.certificate),
    details: {
      signature: check.signature,
      index: check.index,
      ...(check.sigId === undefined ? {} : { sigId: check.sigId }),
      ...(check.expectedContour === undefined ? {} : { expectedContour: check.expectedContour }),
      ...(check.certificate?.contour === undefined ? {} : { contour: check.certificate.contour }),
      ...(check.signingTime === undefined ? {} : { signingTime: check.signingTime.toISOString() }),
    },
    at: check.at,
  }));
}

/** A signature this contour made (its ЗК or its КА). */
export interface SignatureMade {
  signature: 'ЗК' | 'КА';
  sigId?: string | undefined;
  /** SHA-256 (hex) of the signed content: the normalized ED for a ЗК, the whole file for the КА. */
  digest: string;
}

/** `signature.made` events of the signatures made with `certificate` at `at`. */
export function signatureMadeEvents(
  made: readonly SignatureMade[],
  certificate: AuditCertificate,
  subject: EventSubject,
  at: Date,
): AuditEventInput[] {
  return made.map((m) => ({
    type: 'signature.made',
    ...subject,
    result: 'info',
    digest: m.digest,
    certificate,
    details: { signature: m.signature, ...(m.sigId === undefined ? {} : { sigId: m.sigId }) },
    at,
  }));
}

/**
 * The `auth.failed` event of a refused request (platform `onAuthFailure`): who, when known, the
 * reason code and the route. Never the key: at most the platform's 16-digit fingerprint of its hash,
 * which correlates repeated attempts and reveals nothing.
 */
export function authFailedEvent(event: AuthFailureEvent): AuditEventInput {
  return {
    type: 'auth.failed',
    actor: event.identityId ?? 'anonymous',
    result: 'fail',
    reason: event.code,
    at: new Date(event.at),
    details: {
      method: event.method,
      path: event.path,
      ...(event.route === undefined ? {} : { route: event.route }),
      requestId: event.requestId,
      ip: event.ip,
      credential: event.credential,
      ...(event.keyFingerprint === undefined ? {} : { keyFingerprint: event.keyFingerprint }),
      ...(event.certificateSha256 === undefined ? {} : { certificateSha256: event.certificateSha256 }),
      ...(event.identityRole === undefined ? {} : { identityRole: event.identityRole }),
      ...(event.identityContour === undefined ? {} : { identityContour: event.identityContour }),
    },
  };
}

/**
 * The `key.loaded` event of a service start: the certificate of the contour key and the trust store's
 * verdict on it (pass, or fail with the SIG_* code).
 */
export function keyLoadedEvent(
  service: string,
  certificate: CertificateDescription,
  check: { ok: true } | { ok: false; code: string },
  details: Readonly<Record<string, unknown>> = {},
): AuditEventInput {
  return {
    type: 'key.loaded',
    actor: `service:${service}`,
    result: check.ok ? 'pass' : 'fail',
    reason: check.ok ? undefined : check.code,
    certificate: auditCertificate(certificate),
    details: {
      subject: certificate.subject,
      notBefore: certificate.notBefore.toISOString(),
      notAfter: certificate.notAfter.toISOString(),
      keyAlgorithm: certificate.keyAlgorithm,
      ...details,
    },
  };
}
