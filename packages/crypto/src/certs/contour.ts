import type { Contour } from '../types.js';

/**
 * TwinContour's private OID arc: `2.25.<UUID>` (ITU-T X.667 | ISO/IEC 9834-8 clause 6.3). The UUID
 * ffdffd52-26a9-402b-98ad-c8f1d8995cb9 was generated at random for this project, so the arc is
 * globally unique without any registration; arcs below it are allocated here and nowhere else.
 *
 * Allocation under the arc:
 * - `.1`     certificate policies that mark a certificate's contour
 * - `.1.1`   formation contour (контур формирования, 802-П прил. 1.1, 1.3)
 * - `.1.2`   control contour (контур контроля реквизитов, прил. 1.1, 1.4)
 * - `.1.3`   transport (encryption and mutually authenticated channel, п. 14.3)
 * - `.1.4`   the Bank of Russia peer (the development simulator; real Bank of Russia certificates are pinned)
 * - `.1.5`   an authorised person who signs suspension / resumption requests (п. 19)
 *
 * Never reuse or renumber an arc: certificates carrying it live for years and archives for longer (п. 11).
 */
export const TWINCONTOUR_OID_ARC = '2.25.340116159082910906066318596552737250489';

/** The certificate policy OID that marks each contour (see {@link TWINCONTOUR_OID_ARC}). */
export const CONTOUR_POLICY_OIDS: Readonly<Record<Contour, string>> = Object.freeze({
  formation: `${TWINCONTOUR_OID_ARC}.1.1`,
  control: `${TWINCONTOUR_OID_ARC}.1.2`,
  transport: `${TWINCONTOUR_OID_ARC}.1.3`,
  cbr: `${TWINCONTOUR_OID_ARC}.1.4`,
  'authorised-person': `${TWINCONTOUR_OID_ARC}.1.5`,
});

/** Every contour, in a fixed order. */
export const CONTOURS: readonly Contour[] = Object.freeze([
  'formation',
  'control',
  'transport',
  'cbr',
  'authorised-person',
]);

const BY_OID: ReadonlyMap<string, Contour> = new Map(CONTOURS.map((c) => [CONTOUR_POLICY_OIDS[c], c]));

/** True when the string names a contour. */
export function isContour(value: unknown): value is Contour {
  return typeof value === 'string' && (CONTOURS as readonly string[]).includes(value);
}

/**
 * The contour a certificate's policies mark. A certificate with markers of two different contours
 * marks none: 802-П прил. 1.1 requires different keys for formation and control, so such a
 * certificate may never pass as either.
 */
export function contourFromPolicies(policies: readonly string[]): {
  contour: Contour | undefined;
  markers: Contour[];
} {
  const markers = [...new Set(policies.map((p) => BY_OID.get(p)).filter((c): c is Contour => c !== undefined))];
  return { contour: markers.length === 1 ? markers[0] : undefined, markers };
}

/** Key usages a contour's certificate carries (names as in RFC 5280 4.2.1.3). */
export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

/**
 * The key usages TwinContour requests and issues per contour: every contour signs
 * (digitalSignature + nonRepudiation); transport and the Bank of Russia peer also encrypt on the
 * application level (п. 14.3), hence keyEncipherment (RSA) and keyAgreement (ECDH).
 */
export function contourKeyUsages(contour: Contour): KeyUsageName[] {
  const sign: KeyUsageName[] = ['digitalSignature', 'nonRepudiation'];
  return contour === 'transport' || contour === 'cbr' ? [...sign, 'keyEncipherment', 'keyAgreement'] : sign;
}
