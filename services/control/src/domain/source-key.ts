import { createHash } from 'node:crypto';
import type { PaymentOrder } from '@twincontour/ufebs';

/**
 * The key a primary document is found by: payer account, payer bank BIC, document number and date.
 * Control derives it from the ED itself, never from anything else formation says (802-П прил. 1.4:
 * the check is against the primary document).
 */
export interface SourceKey {
  payerAccount: string;
  payerBic: string;
  accDocNo: string;
  accDocDate: string;
}

/** The key of a payment order; an order without a payer account has the empty string there. */
export function sourceKeyOf(order: PaymentOrder): SourceKey {
  return {
    payerAccount: order.payer.personalAcc ?? '',
    payerBic: order.payer.bank.bic,
    accDocNo: order.accDocNo,
    accDocDate: order.accDocDate,
  };
}

/** True when two keys are the same. */
export function sameSourceKey(a: SourceKey, b: SourceKey): boolean {
  return (
    a.payerAccount === b.payerAccount &&
    a.payerBic === b.payerBic &&
    a.accDocNo === b.accDocNo &&
    a.accDocDate === b.accDocDate
  );
}

/** JSON with object keys sorted at every level: the same document always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) of the canonical JSON of a document: how a repeated post is told from a conflicting one. */
export function documentDigest(order: PaymentOrder): string {
  return createHash('sha256').update(canonicalJson(order), 'utf8').digest('hex');
}

/**
 * The duplicate-payment fingerprint (SHA-256, hex) over payer account, payee account, sum, document
 * number and date: two EDs with the same fingerprint within the window are one payment sent twice.
 */
export function paymentFingerprint(order: PaymentOrder): string {
  const parts = [
    order.payer.personalAcc ?? '',
    order.payee.personalAcc ?? '',
    order.sum,
    order.accDocNo,
    order.accDocDate,
  ];
  return createHash('sha256').update(parts.join('\u001f'), 'utf8').digest('hex');
}
