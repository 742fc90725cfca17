import type { AuditCertificate, AuditEventInput } from '@twincontour/audit';

/** The ED an event is about. */
export interface EdSubject {
  orderId: string;
  /** The f2c hand-over's message id (`f2c-<orderId>`). */
  messageId: string;
  ed: { edNo: string; edDate: string; edAuthor: string };
}

/**
 * `signature.made` of formation's ЗК (802-П прил. 1.3: signature 1, made only after requisite control
 * passed): the digest of the normalized ED it signs, formation's certificate, the SigId when one is
 * written. `selfCheck: 'pass'` records that formation verified the ЗК against the trust store before
 * handing it over.
 */
export function zkMadeEvent(
  subject: EdSubject,
  signedSha256: string,
  certificate: AuditCertificate,
  at: Date,
  sigId?: string,
): AuditEventInput {
  return {
    type: 'signature.made',
    actor: 'service:formation',
    result: 'info',
    ...subject,
    digest: signedSha256,
    certificate,
    details: { signature: 'ЗК', ...(sigId === undefined ? {} : { sigId }), selfCheck: 'pass' },
    at,
  };
}

/**
 * `signature.checked` fail of formation's own ЗК (expired, revoked or untrusted formation certificate):
 * the ЗК is thrown away and the order refused, so this event stands alone (the order's transaction
 * rolled back, its EDNo with it). `requestedBy` is the back-office identity that posted the order.
 */
export function zkSelfCheckFailedEvent(
  code: string,
  certificate: AuditCertificate | undefined,
  signedSha256: string | undefined,
  requestedBy: string,
): AuditEventInput {
  return {
    type: 'signature.checked',
    actor: 'service:formation',
    result: 'fail',
    reason: code,
    digest: signedSha256,
    certificate,
    details: { signature: 'ЗК', index: 0, expectedContour: 'formation', selfCheck: true, requestedBy },
  };
}
