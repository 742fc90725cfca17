import { createHash } from 'node:crypto';
import { kaChecks, type SignatureCheck, zkChecks } from '@twincontour/audit';
import { type CertificateValidator, verifyEnvelope, verifyZks } from '@twincontour/crypto';
import type { EdRefPayload, OrderStage } from '@twincontour/platform';
import { type Ed201, type Ed206, parseEd } from '@twincontour/ufebs';
import { zkContentDigest } from './audit-events.js';

/** An answer of the Bank of Russia, verified and mapped to the stage it means. */
export interface ReadAnswer {
  ok: true;
  kind: 'ED201' | 'ED206';
  /** The answer's own identity (unique per author and date: an answer is processed once). */
  identity: EdRefPayload;
  /** The ED it answers (EDRefID): ours. */
  refersTo: EdRefPayload;
  stage: Extract<OrderStage, 'accepted-by-cbr' | 'rejected-by-cbr' | 'executed'>;
  /** `CBR_<CtrlCode>` of a refusal. */
  code?: string;
  /** The ED201 Annotation of a refusal (or of an acceptance, shown in GET). */
  annotation?: string;
  ctrlCode?: string;
  /** The КА and ЗК checks of the Bank of Russia's signatures, for the audit log. */
  checks: SignatureCheck[];
  /** SHA-256 (hex) of the answer file inside the envelope (what the КА signs). */
  fileSha256: string;
}

/** An answer transport refuses: no status changes. */
export interface RefusedAnswer {
  ok: false;
  code: 'TRN_ANSWER_SIGNATURE_INVALID' | 'TRN_ANSWER_INVALID';
  /** Starts with the code of the failed check (`SIG_*`, `UFEBS_*`). */
  reason: string;
  sigCode?: string;
  /** The checks made before the refusal (none when the envelope could not be read), for the audit log. */
  checks: SignatureCheck[];
}

function identityOf(ed: { edNo: string; edDate: string; edAuthor: string }): EdRefPayload {
  return { edNo: ed.edNo, edDate: ed.edDate, edAuthor: ed.edAuthor };
}

/**
 * Maps an ED201 or ED206 to the stage it means (NOTES.md, "Answers from the Bank of Russia"): an ED201
 * whose CtrlCode is one of `acceptCodes` → `accepted-by-cbr`; any other CtrlCode → `rejected-by-cbr`
 * with code `CBR_<CtrlCode>` and the Annotation; an ED206 (debit confirmed) → `executed`.
 */
export function mapAnswer(
  ed: Ed201 | Ed206,
  acceptCodes: ReadonlySet<string>,
): Pick<ReadAnswer, 'stage' | 'code' | 'annotation' | 'ctrlCode'> {
  if (ed.kind === 'ED206') return { stage: 'executed' };
  if (acceptCodes.has(ed.ctrlCode))
    return { stage: 'accepted-by-cbr', ctrlCode: ed.ctrlCode, annotation: ed.annotation };
  return { stage: 'rejected-by-cbr', code: `CBR_${ed.ctrlCode}`, ctrlCode: ed.ctrlCode, annotation: ed.annotation };
}

/**
 * Verifies and reads one answer envelope (already decrypted, for https): the КА by a cbr-contour
 * certificate over the file, the file an ED201 or ED206 with an EDRefID, and its ЗК (exactly one) by a
 * cbr-contour certificate over the normalized ED (802-П п. 14.3: the peer is authenticated too). Never
 * throws on arbitrary bytes.
 */
export async function readAnswer(
  envelope: Uint8Array,
  deps: { validator: CertificateValidator; acceptCodes: ReadonlySet<string> },
): Promise<ReadAnswer | RefusedAnswer> {
  const ka = await verifyEnvelope(envelope, { validator: deps.validator, expectedContours: ['cbr'] });
  const checks = kaChecks(envelope, ka, 'cbr', new Date());
  if (!ka.ok) {
    if (ka.code.startsWith('SIG_') && ka.code !== 'SIG_MALFORMED') {
      return {
        ok: false,
        code: 'TRN_ANSWER_SIGNATURE_INVALID',
        reason: `${ka.code}: ${ka.message}`,
        sigCode: ka.code,
        checks,
      };
    }
    return { ok: false, code: 'TRN_ANSWER_INVALID', reason: `${ka.code}: ${ka.message}`, checks };
  }
  const parsed = parseEd(ka.file);
  if (!parsed.ok) return { ok: false, code: 'TRN_ANSWER_INVALID', reason: `${parsed.code}: ${parsed.message}`, checks };
  const ed = parsed.value;
  if (ed.kind !== 'ED201' && ed.kind !== 'ED206') {
    return {
      ok: false,
      code: 'TRN_ANSWER_INVALID',
      reason: `UFEBS_UNEXPECTED_ED: a ${ed.kind} is not an answer`,
      checks,
    };
  }
  if (!ed.edRefId) {
    return { ok: false, code: 'TRN_ANSWER_INVALID', reason: 'UFEBS_MISSING_FIELD: the ED201 has no EDRefID', checks };
  }
  const zks = await verifyZks(ka.file, { validator: deps.validator, expectedContours: ['cbr'] });
  checks.push(...zkChecks(zkContentDigest(ka.file), zks, ['cbr'], new Date(), 1));
  if (!zks.ok || zks.zks.length !== 1) {
    const code = zks.ok ? 'SIG_MALFORMED' : (zks.code ?? 'SIG_MALFORMED');
    const message = zks.ok ? `${zks.zks.length} ЗК where the Bank of Russia puts one` : (zks.message ?? '');
    return { ok: false, code: 'TRN_ANSWER_SIGNATURE_INVALID', reason: `${code}: ${message}`, sigCode: code, checks };
  }
  return {
    ok: true,
    kind: ed.kind,
    identity: identityOf(ed),
    refersTo: identityOf(ed.edRefId),
    ...mapAnswer(ed, deps.acceptCodes),
    checks,
    fileSha256: createHash('sha256').update(ka.file).digest('hex'),
  };
}
