import { createHash } from 'node:crypto';
import { type SignatureCheck, zkChecks } from '@twincontour/audit';
import { type CertificateValidator, type SigFailureCode, verifyZks } from '@twincontour/crypto';
import type { EdRefPayload, F2cPayload, RequisiteDiff } from '@twincontour/platform';
import { checkEd, type Ed101, edToOrder, type PaymentOrder, parseEd } from '@twincontour/ufebs';
import { zkContentDigest } from './audit-events.js';
import { compareRequisites } from './compare.js';
import { paymentFingerprint, type SourceKey, sourceKeyOf } from './source-key.js';

/** A primary document as control holds it. */
export interface SourceDocument {
  id: string;
  document: PaymentOrder;
}

/** What the assessment needs from outside: the trust store and the primary-document lookup. */
export interface AssessDeps {
  /** Checks a signer certificate (the trust store: chain, validity, revocation, contour). */
  validator: CertificateValidator;
  /** The primary document under a key: stored, or pulled from the back office; undefined when none. */
  findSource(key: SourceKey): Promise<SourceDocument | undefined>;
}

/** A refusal found before any duplicate check. */
export interface Refusal {
  kind: 'refuse';
  code: 'CTL_SIGNATURE_INVALID' | 'CTL_ED_INVALID' | 'CTL_MISMATCH';
  reason: string;
  diff?: RequisiteDiff[];
  /** The SIG_* code of a signature refusal (also the start of `reason`). */
  sigCode?: SigFailureCode;
  /** The ED identity as the ED states it, when it could be read. */
  edIdentity?: EdRefPayload;
  /** True when the identity comes from a verified, readable ED and so is used up by this decision. */
  claimsIdentity: boolean;
  fingerprint?: string;
  sourceId?: string;
  /** The checks of formation's ЗК (for the audit log). */
  checks: SignatureCheck[];
}

/** The ED is sound but its primary document is not there (yet). */
export interface Waiting {
  kind: 'wait';
  key: SourceKey;
  edIdentity: EdRefPayload;
  checks: SignatureCheck[];
}

/** Every check before the duplicate checks passed. */
export interface Ready {
  kind: 'ready';
  edIdentity: EdRefPayload;
  edBytes: Uint8Array;
  fingerprint: string;
  sourceId: string;
  checks: SignatureCheck[];
}

/** The outcome of {@link assessEd}. */
export type Assessment = Refusal | Waiting | Ready;

/** SHA-256 (hex) of the ED bytes as received: logged and stored instead of the message. */
export function edDigest(payload: F2cPayload): string {
  return createHash('sha256').update(Buffer.from(payload.edBase64, 'base64')).digest('hex');
}

function identityOf(ed: Ed101): EdRefPayload {
  return { edNo: ed.edNo, edDate: ed.edDate, edAuthor: ed.edAuthor };
}

function sameIdentity(a: EdRefPayload, b: EdRefPayload): boolean {
  return a.edNo === b.edNo && a.edDate === b.edDate && a.edAuthor === b.edAuthor;
}

/**
 * Control's checks of one ED from formation, in the order of services.md (802-П прил. 1.4), up to the
 * duplicate checks (which need the decisions store and run in the decision's transaction):
 *
 * 1. formation's ЗК: every ЗК verifies over the normalized ED and there is exactly one, from a
 *    formation-contour certificate the trust store accepts (CTL_SIGNATURE_INVALID, reason `SIG_*: …`);
 * 2. the ED: readable, an ED101, every requisite valid, its identity the one the payload names
 *    (CTL_ED_INVALID);
 * 3. its primary document, by the key taken from the ED (missing: `wait`);
 * 4. every requisite equal to the primary document's (CTL_MISMATCH with the whole diff).
 */
export async function assessEd(payload: F2cPayload, deps: AssessDeps): Promise<Assessment> {
  const edBytes = new Uint8Array(Buffer.from(payload.edBase64, 'base64'));
  const zk = await verifyZks(edBytes, { validator: deps.validator, expectedContours: ['formation'] });
  // Exactly one ЗК is expected from formation: a second one here is refused as SIG_WRONG_CONTOUR by the rule.
  const checks = zkChecks(zkContentDigest(edBytes), zk, ['formation'], new Date());
  if (!zk.ok) {
    const sigCode = zk.code ?? 'SIG_MALFORMED';
    return {
      kind: 'refuse',
      code: 'CTL_SIGNATURE_INVALID',
      reason: `${sigCode}: ${zk.message ?? 'the ЗК of formation does not verify'}`,
      sigCode,
      claimsIdentity: false,
      checks,
    };
  }

  const parsed = parseEd(edBytes);
  if (!parsed.ok) {
    const codes = (parsed.errors ?? []).map((e) => `${e.code} ${e.path}`.trim());
    return {
      kind: 'refuse',
      code: 'CTL_ED_INVALID',
      reason: `${parsed.code}: ${parsed.message}${codes.length > 0 ? ` (${codes.join('; ')})` : ''}`,
      claimsIdentity: false,
      checks,
    };
  }
  if (parsed.value.kind !== 'ED101') {
    return {
      kind: 'refuse',
      code: 'CTL_ED_INVALID',
      reason: `${parsed.value.kind} is not an ED101 payment order`,
      claimsIdentity: false,
      checks,
    };
  }
  const ed = parsed.value;
  const edIdentity = identityOf(ed);
  const check = checkEd(edBytes);
  if (!check.valid) {
    return {
      kind: 'refuse',
      code: 'CTL_ED_INVALID',
      reason: `requisite check failed: ${check.findings.map((f) => `${f.code} ${f.path}`).join('; ')}`,
      edIdentity,
      claimsIdentity: false,
      checks,
    };
  }
  if (!sameIdentity(edIdentity, payload.ed)) {
    return {
      kind: 'refuse',
      code: 'CTL_ED_INVALID',
      reason: 'the ED identity (EDNo, EDDate, EDAuthor) differs from the one in the f2c payload',
      edIdentity,
      claimsIdentity: false,
      checks,
    };
  }

  const order = edToOrder(ed);
  const key = sourceKeyOf(order);
  const source = await deps.findSource(key);
  if (!source) return { kind: 'wait', key, edIdentity, checks };

  const fingerprint = paymentFingerprint(order);
  const diff = compareRequisites(order, source.document);
  if (diff.length > 0) {
    return {
      kind: 'refuse',
      code: 'CTL_MISMATCH',
      reason: `${diff.length} requisite(s) differ from the primary document: ${diff.map((d) => d.field).join(', ')}`,
      diff,
      edIdentity,
      claimsIdentity: true,
      fingerprint,
      sourceId: source.id,
      checks,
    };
  }
  return { kind: 'ready', edIdentity, edBytes, fingerprint, sourceId: source.id, checks };
}
