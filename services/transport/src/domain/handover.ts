import { createHash } from 'node:crypto';
import { kaChecks, type SignatureCheck, zkChecks } from '@twincontour/audit';
import { type CertificateValidator, type Contour, verifyEnvelope, verifyZks } from '@twincontour/crypto';
import {
  type C2tPayload,
  type DecodedHandOver,
  decodeHandOver,
  type EdRefPayload,
  type OrderStage,
  type StatusPayload,
} from '@twincontour/platform';
import { checkEd } from '@twincontour/ufebs';
import { zkContentDigest } from './audit-events.js';

/** Which signatures transport requires (NOTES.md: the protection variant agreed with the Bank of Russia). */
export type SigMode = 'zk+ka' | 'ka';

/** A decoded c2t job (the contract check lives in platform's boundary.ts). */
export type DecodedC2t = DecodedHandOver<'c2t'>;

/** Checks a c2t job against the boundary contract, message id `c2t-<orderId>` included. Never throws. */
export function decodeC2t(value: unknown): DecodedC2t {
  return decodeHandOver('c2t', value);
}

/** A hand-over every check passed: the envelope to deliver, as control made it. */
export interface VerifiedHandOver {
  ok: true;
  envelope: Uint8Array;
  ed: EdRefPayload;
  envelopeSha256: string;
  /** Every signature checked (the КА, each ЗК), for the audit log. */
  checks: SignatureCheck[];
}

/** A hand-over refused by transport: nothing of it may be delivered. */
export interface RefusedHandOver {
  ok: false;
  code: 'TRN_KA_INVALID' | 'TRN_ZK_INVALID' | 'TRN_ED_INVALID';
  /** Starts with the code of the failed check (`SIG_*`, `UFEBS_*`). */
  reason: string;
  /** The SIG_* code of a signature refusal. */
  sigCode?: string;
  envelopeSha256: string;
  /** Every signature checked before the refusal, the failed one included, for the audit log. */
  checks: SignatureCheck[];
}

/** The ЗК contours required, in order, per mode (802-П п. 14.3: formation's and control's signatures). */
export function expectedZkContours(mode: SigMode): readonly Contour[] {
  return mode === 'zk+ka' ? ['formation', 'control'] : ['formation'];
}

/**
 * Transport's own verification of what control hands over (DESIGN.md, data flow step 3; 802-П п. 14.3):
 *
 * 1. the КА: the envelope reads and its signature verifies over the enclosed file, made by a
 *    control-contour certificate the trust store accepts (TRN_KA_INVALID, reason `SIG_*: …`);
 * 2. the ЗК of the enclosed ED, in order: formation's, then control's in mode `zk+ka` — two different
 *    certificates of the two contours (TRN_ZK_INVALID, reason `SIG_*: …`);
 * 3. the ED: readable, an ED101, every requisite valid, its identity the one the payload names
 *    (TRN_ED_INVALID).
 *
 * Never throws on arbitrary bytes.
 */
export async function verifyHandOver(
  payload: C2tPayload,
  deps: { validator: CertificateValidator; sigMode: SigMode },
): Promise<VerifiedHandOver | RefusedHandOver> {
  const envelope = new Uint8Array(Buffer.from(payload.envelopeBase64, 'base64'));
  const envelopeSha256 = sha256Hex(envelope);
  const ka = await verifyEnvelope(envelope, { validator: deps.validator, expectedContours: ['control'] });
  const checks = kaChecks(envelope, ka, 'control', new Date());
  if (!ka.ok) {
    return {
      ok: false,
      code: 'TRN_KA_INVALID',
      reason: `${ka.code}: ${ka.message}`,
      sigCode: ka.code,
      envelopeSha256,
      checks,
    };
  }
  const zks = await verifyZks(ka.file, {
    validator: deps.validator,
    expectedContours: expectedZkContours(deps.sigMode),
  });
  // Exactly the expected ЗК: a third one (from whatever certificate) is not what the contours made.
  const expected = expectedZkContours(deps.sigMode).length;
  checks.push(...zkChecks(zkContentDigest(ka.file), zks, expectedZkContours(deps.sigMode), new Date(), expected));
  if (zks.ok && zks.zks.length !== expected) {
    return {
      ok: false,
      code: 'TRN_ZK_INVALID',
      reason: `SIG_MALFORMED: ${zks.zks.length} ЗК where mode ${deps.sigMode} requires ${expected}`,
      sigCode: 'SIG_MALFORMED',
      envelopeSha256,
      checks,
    };
  }
  if (!zks.ok) {
    const code = zks.code ?? 'SIG_MALFORMED';
    return {
      ok: false,
      code: 'TRN_ZK_INVALID',
      reason: `${code}: ${zks.message ?? ''}`,
      sigCode: code,
      envelopeSha256,
      checks,
    };
  }
  const report = checkEd(ka.file);
  if (!report.valid || report.kind !== 'ED101' || !report.identity) {
    const first = report.findings[0];
    const detail = report.kind && report.kind !== 'ED101' ? `UFEBS_UNEXPECTED_ED: a ${report.kind}, not an ED101` : '';
    const findings = report.findings.map((f) => `${f.code}${f.path ? ` at ${f.path}` : ''}`).join('; ');
    return {
      ok: false,
      code: 'TRN_ED_INVALID',
      reason: detail || (first ? findings : 'UFEBS_INVALID: the ED could not be checked'),
      envelopeSha256,
      checks,
    };
  }
  const { edNo, edDate, edAuthor } = report.identity;
  const named = payload.ed;
  if (edNo !== named.edNo || edDate !== named.edDate || edAuthor !== named.edAuthor) {
    return {
      ok: false,
      code: 'TRN_ED_INVALID',
      reason: `UFEBS_IDENTITY_MISMATCH: the ED is ${edNo} of ${edDate} by ${edAuthor}, the payload names ${named.edNo} of ${named.edDate} by ${named.edAuthor}`,
      envelopeSha256,
      checks,
    };
  }
  return { ok: true, envelope, ed: { edNo, edDate, edAuthor }, envelopeSha256, checks };
}

/** Longest reason a status carries (boundary schema `maxLength`). */
const MAX_REASON = 2000;

/** Shortens a reason to what the boundary contract accepts. */
export function boundedReason(reason: string): string {
  return reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
}

/** A t2c status payload, message id `t2c-<orderId>-<stage>` (one message per stage of one order). */
export function statusPayload(
  orderId: string,
  ed: EdRefPayload,
  stage: OrderStage,
  at: Date,
  refusal?: { code: string; reason: string },
): StatusPayload {
  const payload: StatusPayload = {
    type: 'order.status',
    version: 1,
    messageId: `t2c-${orderId}-${stage}`,
    orderId,
    ed: { edNo: ed.edNo, edDate: ed.edDate, edAuthor: ed.edAuthor },
    stage,
    at: at.toISOString(),
  };
  if (refusal) {
    payload.code = refusal.code;
    payload.reason = boundedReason(refusal.reason);
  }
  return payload;
}

/** The reference of an ED on the channel: `<edAuthor>-<edDate>-<edNo>` (https X-Ed-Ref, issue5.md). */
export function edRef(ed: EdRefPayload): string {
  return `${ed.edAuthor}-${ed.edDate}-${ed.edNo}`;
}

/** The deterministic file name of an ED in the АРМ pickup folder: one name per ED identity. */
export function edFileName(ed: EdRefPayload): string {
  return `ED101_${ed.edAuthor}_${ed.edDate.replaceAll('-', '')}_${ed.edNo}.xml`;
}

/** SHA-256, lowercase hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
