import { describe, expect, it } from 'vitest';
import {
  CONTOUR_POLICY_OIDS,
  CONTOURS,
  contourFromPolicies,
  contourKeyUsages,
  isContour,
  TWINCONTOUR_OID_ARC,
} from './contour.js';
import { decodeOid, encodeOidContent } from './der.js';

describe('contour policy OIDs', () => {
  it('live under 2.25.<UUID> (X.667), one distinct OID per contour', () => {
    const uuid = BigInt(TWINCONTOUR_OID_ARC.slice('2.25.'.length)).toString(16).padStart(32, '0');
    expect(uuid).toBe('ffdffd5226a9402b98adc8f1d8995cb9');
    // RFC 4122 version 4, variant 10xx.
    expect(uuid[12]).toBe('4');
    expect(['8', '9', 'a', 'b']).toContain(uuid[16]);
    const oids = CONTOURS.map((c) => CONTOUR_POLICY_OIDS[c]);
    expect(new Set(oids).size).toBe(CONTOURS.length);
    for (const oid of oids) {
      expect(oid.startsWith(`${TWINCONTOUR_OID_ARC}.1.`)).toBe(true);
      expect(decodeOid(encodeOidContent(oid))).toBe(oid);
    }
  });

  it.each([
    [[CONTOUR_POLICY_OIDS.formation], 'formation'],
    [['2.5.29.32.0', CONTOUR_POLICY_OIDS.control], 'control'],
    [[CONTOUR_POLICY_OIDS.cbr, CONTOUR_POLICY_OIDS.cbr], 'cbr'],
    [[CONTOUR_POLICY_OIDS.formation, CONTOUR_POLICY_OIDS.control], undefined],
    [[`${TWINCONTOUR_OID_ARC}.1.9`], undefined],
    [[], undefined],
  ] as const)('policies %j mark contour %s', (policies, contour) => {
    expect(contourFromPolicies(policies).contour).toBe(contour);
  });

  it.each([
    ['formation', ['digitalSignature', 'nonRepudiation']],
    ['control', ['digitalSignature', 'nonRepudiation']],
    ['authorised-person', ['digitalSignature', 'nonRepudiation']],
    ['transport', ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'keyAgreement']],
    ['cbr', ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'keyAgreement']],
  ] as const)('%s keys are issued for %j', (contour, usages) => {
    expect(contourKeyUsages(contour)).toEqual(usages);
  });

  it.each([
    ['formation', true],
    ['Formation', false],
    ['', false],
    [42, false],
  ])('isContour(%j) is %s', (v, ok) => {
    expect(isContour(v)).toBe(ok);
  });
});
