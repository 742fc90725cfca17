import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkInn, checkKpp, completeInn, innChecksumValid } from './inn.js';

const codes = (inn: string) => checkInn(inn, 'payer.inn').map((e) => e.code);

describe('checkInn', () => {
  it.each([
    ['7727406020', 'ФНС России (payee of tax payments)'],
    ['7707083893', 'ПАО Сбербанк'],
    ['7736207543', 'ООО «Яндекс»'],
    ['500100732259', 'a person (12 digits)'],
    ['0', 'no INN (allowed where the rules say so)'],
  ])('%s (%s) passes', (inn) => {
    expect(codes(inn)).toEqual([]);
  });

  it.each([
    ['7707083894', 'UFEBS_INN_CHECKSUM', '10th digit wrong'],
    ['7727406021', 'UFEBS_INN_CHECKSUM', '10th digit wrong'],
    ['500100732258', 'UFEBS_INN_CHECKSUM', '12th digit wrong'],
    ['500100732269', 'UFEBS_INN_CHECKSUM', '11th digit wrong'],
    ['77070838931', 'UFEBS_INN_FORMAT', '11 digits'],
    ['770708389', 'UFEBS_INN_FORMAT', '9 digits'],
    ['770708389A', 'UFEBS_INN_FORMAT', 'a letter'],
    ['0000000000', 'UFEBS_INN_FORMAT', 'all zeros (the checksum alone would pass it)'],
    ['00', 'UFEBS_INN_FORMAT', 'zeros'],
    ['', 'UFEBS_INN_FORMAT', 'empty'],
  ])('%s fails with %s (%s)', (inn, code) => {
    expect(codes(inn)).toEqual([code]);
  });
});

describe('completeInn / innChecksumValid', () => {
  it('reproduces the check digits of real INNs', () => {
    expect(completeInn('772740602')).toBe('7727406020');
    expect(completeInn('5001007322')).toBe('500100732259');
  });

  it('completed INNs pass; changing a check digit always fails', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.stringMatching(/^\d{9}$/), fc.stringMatching(/^\d{10}$/)),
        fc.integer({ min: 1, max: 9 }),
        (body, delta) => {
          const inn = completeInn(body);
          expect(innChecksumValid(inn)).toBe(true);
          const last = inn.length - 1;
          const changed = `${inn.slice(0, last)}${(Number(inn.charAt(last)) + delta) % 10}`;
          expect(innChecksumValid(changed)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('checkKpp', () => {
  it.each(['770801001', '770901001', '7707AB001', '0'])('%s passes', (kpp) => {
    expect(checkKpp(kpp, 'kpp')).toEqual([]);
  });
  it.each(['77080100', '7708010011', '77AB01001', '7707ab001', '7708-1001', '', '00'])('%s fails', (kpp) => {
    expect(checkKpp(kpp, 'payee.kpp')).toEqual([
      expect.objectContaining({ code: 'UFEBS_KPP_FORMAT', path: 'payee.kpp' }),
    ]);
  });
});
