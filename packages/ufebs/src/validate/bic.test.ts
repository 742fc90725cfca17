import { describe, expect, it } from 'vitest';
import { checkBic, isBankOfRussiaUnitBic } from './bic.js';

describe('checkBic', () => {
  it.each([
    ['044525225', 'ПАО Сбербанк'],
    ['044525593', 'АО «Альфа-Банк»'],
    ['049805746', 'NOTES.md example'],
    ['044583001', 'Bank of Russia unit'],
    ['017003983', 'УФК по Тульской области (ТОФК)'],
    ['004525988', 'УФК по г. Москве (ТОФК)'],
    ['024501901', 'treasury unit with prefix 02'],
  ])('%s (%s) passes', (bic) => {
    expect(checkBic(bic, 'bic')).toEqual([]);
  });

  it.each([
    ['04452522', '8 digits'],
    ['0445252250', '10 digits'],
    ['04452522A', 'a letter'],
    ['', 'empty'],
    ['344525225', 'foreign prefix'],
    ['034525225', 'prefix 03 is not assigned'],
    ['144525225', 'does not start with 0'],
  ])('%s (%s) fails with UFEBS_BIC_FORMAT', (bic) => {
    expect(checkBic(bic, 'payer.bank.bic')).toEqual([
      expect.objectContaining({ code: 'UFEBS_BIC_FORMAT', path: 'payer.bank.bic' }),
    ]);
  });
});

describe('isBankOfRussiaUnitBic (NOTES.md: digits 7–9 are 000, 001 or 002)', () => {
  it.each([
    ['049805000', true],
    ['044583001', true],
    ['044525002', true],
    ['044525225', false],
    ['017003983', false],
  ])('%s → %s', (bic, expected) => {
    expect(isBankOfRussiaUnitBic(bic)).toBe(expected);
  });
});
