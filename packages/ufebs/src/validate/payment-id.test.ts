import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPaymentId, uinControlDigit } from './payment-id.js';

const codes = (v: string) => checkPaymentId(v, 'paymentId').map((e) => e.code);

describe('uinControlDigit (weights 1..10 cycling, mod 11; on 10 again with weights from 3; on 10 again → 0)', () => {
  it.each([
    // body, first-pass remainder, second-pass remainder, control digit
    // 1·1+8·2+8·3+1·4 + 1·5+2·6+3·7+4·8+5·9 = 160 ≡ 6 (mod 11)
    ['1881000000000012345', 6, '-', 6],
    // first pass 153 ≡ 10; second pass 1·3+8·4+8·5+1·6 + 2·7+0·8+2·9+6·10+4·1 = 177 ≡ 1
    ['1881000000000020264', 10, 1, 1],
    // both passes give 10 → 0
    ['1881000000002799833', 10, 10, 0],
    // 24-digit bodies of 25-character УИН
    ['035500000000000000000777', 5, '-', 5],
    ['035500000000000001152796', 10, 5, 5],
    ['035500000000000005446685', 10, 10, 0],
  ])('%s → %s / %s → %s', (body, _first, _second, digit) => {
    expect(uinControlDigit(body)).toBe(digit);
  });
});

describe('checkPaymentId', () => {
  it.each([
    ['0', 'no УИН'],
    ['18810000000000123456', '20 digits, first pass'],
    ['18810000000000202641', '20 digits, second pass'],
    ['18810000000027998330', '20 digits, both passes 10 → 0'],
    ['0355000000000000000007775', '25 digits'],
    ['0355000000000000054466850', '25 digits, both passes 10 → 0'],
    ['12345', 'a short code'],
    ['abcdef00000000000000000AB', '25 characters with letters: format only'],
  ])('%s passes (%s)', (v) => {
    expect(codes(v)).toEqual([]);
  });

  it.each([
    ['18810000000000123457', 'UFEBS_PAYMENT_ID_CHECKSUM'],
    ['18810000000000202640', 'UFEBS_PAYMENT_ID_CHECKSUM'],
    ['0355000000000000000007774', 'UFEBS_PAYMENT_ID_CHECKSUM'],
    ['00000000000000000000', 'UFEBS_PAYMENT_ID_ZEROS'],
    ['0000000000000000000000000', 'UFEBS_PAYMENT_ID_ZEROS'],
    ['00', 'UFEBS_PAYMENT_ID_ZEROS'],
    ['12345678901234567890123456', 'UFEBS_PAYMENT_ID_FORMAT'],
    ['', 'UFEBS_PAYMENT_ID_FORMAT'],
    [' 123', 'UFEBS_PAYMENT_ID_FORMAT'],
    ['УИН«1»', 'UFEBS_PAYMENT_ID_FORMAT'],
  ])('%j fails with %s', (v, code) => {
    expect(codes(v)).toEqual([code]);
  });

  it('a changed control digit of a generated УИН is always caught', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.stringMatching(/^[1-9]\d{18}$/), fc.stringMatching(/^[1-9]\d{23}$/)),
        fc.integer({ min: 1, max: 9 }),
        (body, delta) => {
          const uin = `${body}${uinControlDigit(body)}`;
          expect(codes(uin)).toEqual([]);
          const wrong = `${body}${(uinControlDigit(body) + delta) % 10}`;
          expect(codes(wrong)).toEqual(['UFEBS_PAYMENT_ID_CHECKSUM']);
        },
      ),
      { numRuns: 200 },
    );
  });
});
