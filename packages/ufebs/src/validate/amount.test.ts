import { describe, expect, it } from 'vitest';
import { checkAmount, checkNonNegativeAmount } from './amount.js';

describe('checkAmount (поле 7, kopecks)', () => {
  it.each(['1', '150000', '12500000', '999999999999999999'])('%s passes', (sum) => {
    expect(checkAmount(sum, 'sum')).toEqual([]);
  });
  it.each([
    ['0', 'zero'],
    ['0150', 'leading zero'],
    ['1000000000000000000', '19 digits'],
    ['1500.00', 'decimal point'],
    ['1500,00', 'decimal comma'],
    ['-100', 'negative'],
    ['1 500', 'space'],
    ['1e5', 'exponent'],
    ['', 'empty'],
  ])('%s (%s) fails', (sum) => {
    expect(checkAmount(sum, 'sum')).toEqual([expect.objectContaining({ code: 'UFEBS_AMOUNT_FORMAT', path: 'sum' })]);
  });
});

describe('checkNonNegativeAmount (cover sums)', () => {
  it.each(['0', '1', '999999999999999999'])('%s passes', (sum) => {
    expect(checkNonNegativeAmount(sum, 's')).toEqual([]);
  });
  it.each(['00', '-1', '01', ''])('%s fails', (sum) => {
    expect(checkNonNegativeAmount(sum, 's').map((e) => e.code)).toEqual(['UFEBS_AMOUNT_FORMAT']);
  });
});
