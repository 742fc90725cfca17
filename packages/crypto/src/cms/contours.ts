/**
 * 802-П п. 14.3: two signatures, from the formation contour and from the control contour. These
 * checks turn per-signature results into that rule: each expected contour signed, nothing else did,
 * and no certificate signed twice.
 */
import type { CertificateInfo, Contour, SigFailureCode } from '../types.js';

/** The part of a per-signature report the contour rule looks at and may downgrade. */
export interface ContourEntry {
  ok: boolean;
  code?: SigFailureCode;
  message?: string;
  certificate: CertificateInfo | undefined;
}

function reject<T extends ContourEntry>(entry: T, code: SigFailureCode, message: string): T {
  // A signature that already failed keeps its first (more specific) reason.
  return entry.ok ? { ...entry, ok: false, code, message } : entry;
}

/**
 * Applies the contour rule. `ordered`: the i-th signature must come from `expected[i]` (ЗК are an
 * ordered list: formation's first, 802-П прил. 1.3–1.4); otherwise (the SignerInfos of one SignedData
 * form a SET, whose order DER fixes by encoding) each expected contour must be matched once.
 * Returns the updated entries and, when an expected contour has no signature, a report-level failure.
 */
export function applyContourRule<T extends ContourEntry>(
  entries: readonly T[],
  expected: readonly Contour[],
  ordered: boolean,
): { entries: T[]; failure?: { code: SigFailureCode; message: string } } {
  const out = [...entries];
  // No two signatures from one certificate: two contours means two keys (802-П прил. 1.1).
  const seen = new Map<string, number>();
  for (const [i, e] of out.entries()) {
    const thumb = e.certificate?.thumbprint;
    if (thumb === undefined) continue;
    const first = seen.get(thumb);
    if (first === undefined) seen.set(thumb, i);
    else out[i] = reject(e, 'SIG_SAME_CERTIFICATE', `signature #${i} uses the certificate of signature #${first}`);
  }

  const missing: Contour[] = [];
  if (ordered) {
    for (const [i, e] of out.entries()) {
      const want = expected[i];
      const got = e.certificate?.contour;
      if (want === undefined) {
        out[i] = reject(e, 'SIG_WRONG_CONTOUR', `signature #${i} is not expected (only ${expected.length})`);
      } else if (got !== want) {
        out[i] = reject(
          e,
          'SIG_WRONG_CONTOUR',
          `signature #${i} must be from the ${want} contour, not ${got ?? 'an unknown one'}`,
        );
      }
    }
    missing.push(...expected.slice(out.length));
  } else {
    const needed = new Map<Contour, number>();
    for (const c of expected) needed.set(c, (needed.get(c) ?? 0) + 1);
    for (const [i, e] of out.entries()) {
      const got = e.certificate?.contour;
      const left = got === undefined ? 0 : (needed.get(got) ?? 0);
      if (got !== undefined && left > 0) {
        needed.set(got, left - 1);
      } else {
        out[i] = reject(e, 'SIG_WRONG_CONTOUR', `signature #${i} from ${got ?? 'an unknown contour'} is not expected`);
      }
    }
    for (const [c, n] of needed) for (let k = 0; k < n; k++) missing.push(c);
  }
  if (missing.length > 0) {
    return {
      entries: out,
      failure: { code: 'SIG_MISSING_CONTOUR', message: `no signature from: ${missing.join(', ')}` },
    };
  }
  return { entries: out };
}
