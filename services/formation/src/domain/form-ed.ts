import { createHash } from 'node:crypto';
import { addZk, type CertificateInfo, type CertificateValidator, type Signer, verifyZks } from '@twincontour/crypto';
import { type EdIdentity, normalizeEd, orderToEd101, type PaymentOrder, writeEd101 } from '@twincontour/ufebs';

/** The signed ED101 of one order. */
export interface SignedEd {
  /** The ED101 file (Windows-1251 XML) with formation's ЗК as its first `dsig:SigValue`. */
  bytes: Uint8Array;
  /** SHA-256 of `bytes`, hex (logged instead of the message: STYLE.md, Logging). */
  sha256: string;
  /** SHA-256 (hex) of what the ЗК signs — the normalized ED — for the audit log. */
  signedSha256: string;
}

/** Why forming or signing failed: `stage` tells which step, `code` is the package's code. */
export type FormFailure = {
  ok: false;
  stage: 'form' | 'sign';
  code: string;
  message: string;
  /** When formation's own ЗК failed its check: the certificate it was made with, for the audit log. */
  certificate?: CertificateInfo | undefined;
  /** SHA-256 (hex) of the normalized ED the failed ЗК signed. */
  signedSha256?: string | undefined;
};

/** Collaborators and settings of {@link formSignedEd}. */
export interface FormEdOptions {
  /** Formation's key (802-П прил. 1.1: formation's own key). */
  signer: Signer;
  /** The trust store: the ЗК just made must verify as the formation contour's before it is handed over. */
  validator: CertificateValidator;
  /** SigId written on the ЗК (two digits), when configured. */
  sigId?: string;
  /** signingTime of the CMS; default now. */
  signingTime?: Date;
}

/**
 * Forms the ED101 of an order that passed requisite control and signs it with formation's ЗК
 * (802-П прил. 1.3: form, check, sign only after a positive check). The ЗК is verified at once with
 * the trust store and the contour rule (`expectedContours: ['formation']`), so an expired or revoked
 * formation certificate stops the order here rather than at control.
 */
export async function formSignedEd(
  order: PaymentOrder,
  identity: EdIdentity,
  options: FormEdOptions,
): Promise<{ ok: true; value: SignedEd } | FormFailure> {
  const written = writeEd101(orderToEd101(order, identity));
  if (!written.ok) return { ok: false, stage: 'form', code: written.code, message: written.message };
  const zkOptions = {
    ...(options.sigId === undefined ? {} : { sigId: options.sigId }),
    ...(options.signingTime === undefined ? {} : { signingTime: options.signingTime }),
  };
  const signed = await addZk(written.value, options.signer, zkOptions);
  if (!signed.ok) return { ok: false, stage: 'sign', code: signed.code, message: signed.message };
  // addZk signed exactly these normalized bytes (the ЗК itself is left out of the normalization).
  const normalized = normalizeEd(written.value);
  const signedSha256 = normalized.ok ? sha256(normalized.value) : undefined;
  const check = await verifyZks(signed.value, { validator: options.validator, expectedContours: ['formation'] });
  if (!check.ok || signedSha256 === undefined) {
    return {
      ok: false,
      stage: 'sign',
      code: check.code ?? 'SIG_MALFORMED',
      message: check.message ?? 'ЗК invalid',
      certificate: check.zks[0]?.certificate,
      signedSha256,
    };
  }
  return { ok: true, value: { bytes: signed.value, sha256: sha256(signed.value), signedSha256 } };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
