import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountKeyPrefix, accountKeyValid, checkAccount, withAccountKey } from './account.js';

const codes = (account: string, bic: string | undefined, role: 'personal' | 'corresp') =>
  checkAccount(account, bic, 'acc', role).map((e) => e.code);

describe('account control key: NOTES.md worked examples', () => {
  it.each([
    // [account, BIC, role, prefix]
    ['40602810700000000025', '049805746', 'personal', '746'],
    ['30101810800000000746', '049805000', 'corresp', '005'],
    // NOTES.md writes "prefix 045" here, but "0" + digits 5–6 of 044583001 is "083"; the account is
    // valid with 083 (sum ≡ 0) and not with 045 (sum ≡ 2), so the rule holds and the note's prefix is a slip.
    ['40101810800000010041', '044583001', 'personal', '083'],
  ] as const)('%s at %s (prefix %s) is valid and its key is recomputed', (account, bic, role, prefix) => {
    expect(accountKeyPrefix(bic, role)).toBe(prefix);
    expect(accountKeyValid(account, bic, role)).toBe(true);
    expect(codes(account, bic, role)).toEqual([]);
    const zeroed = `${account.slice(0, 8)}0${account.slice(9)}`;
    expect(withAccountKey(zeroed, bic, role)).toBe(account);
  });
});

describe('checkAccount: real-world accounts', () => {
  it.each([
    ['ПАО Сбербанк correspondent account', '30101810400000000225', '044525225', 'corresp'],
    ['АО «Альфа-Банк» correspondent account', '30101810200000000593', '044525593', 'corresp'],
    ['Северо-Западный банк Сбербанка correspondent account', '30101810500000000653', '044030653', 'corresp'],
    ['ЕКС of УФК по Тульской области (Bank of Russia prefix 003)', '40102810445370000059', '017003983', 'corresp'],
    ['ЕКС of УФК по г. Москве', '40102810545370000003', '004525988', 'corresp'],
    ['treasury account for ЕНП, key not applicable', '03100643000000018500', '017003983', 'personal'],
    ['treasury account of УФК по г. Москве, key not applicable', '03100643000000017300', '004525988', 'personal'],
    ['customer account in the examples', '40702810538000123456', '044525225', 'personal'],
  ] as const)('%s passes', (_label, account, bic, role) => {
    expect(codes(account, bic, role)).toEqual([]);
  });

  it.each([
    ['key digit changed', '40602810800000000025', '049805746', 'personal', ['UFEBS_ACCOUNT_KEY']],
    ['another bank’s BIC', '40602810700000000025', '044525593', 'personal', ['UFEBS_ACCOUNT_KEY']],
    ['ЕКС with a wrong last digit', '40102810445370000058', '017003983', 'corresp', ['UFEBS_ACCOUNT_KEY']],
    // Both banks are served by the same unit (prefix 025), so the key passes and only the suffix tells.
    [
      '30101 of another bank at the same unit',
      '30101810400000000225',
      '044525593',
      'corresp',
      ['UFEBS_CORRESP_ACC_BIC'],
    ],
    ['19 characters', '4060281070000000002', '049805746', 'personal', ['UFEBS_ACCOUNT_FORMAT']],
    ['21 characters', '406028107000000000250', '049805746', 'personal', ['UFEBS_ACCOUNT_FORMAT']],
    [
      'a letter that is not a currency letter',
      '40602D10700000000025',
      '049805746',
      'personal',
      ['UFEBS_ACCOUNT_FORMAT'],
    ],
    ['a letter outside position 6', '4060281070000000002A', '049805746', 'personal', ['UFEBS_ACCOUNT_FORMAT']],
    ['spaces', '40602 810 7 0000 0000025', '049805746', 'personal', ['UFEBS_ACCOUNT_FORMAT']],
    ['empty', '', '049805746', 'personal', ['UFEBS_ACCOUNT_FORMAT']],
  ] as const)('%s fails', (_label, account, bic, role, expected) => {
    expect(codes(account, bic, role)).toEqual(expected);
  });

  it('checks the key with the 30101 account’s own rule even when the suffix matches', () => {
    // The BIC tail matches (225) but the key does not: only the key is wrong.
    expect(codes('30101810500000000225', '044525225', 'corresp')).toEqual(['UFEBS_ACCOUNT_KEY']);
  });

  it('leaves the key alone when the BIC is missing or malformed (the BIC gets its own error)', () => {
    expect(codes('40602810800000000025', undefined, 'personal')).toEqual([]);
    expect(codes('40602810800000000025', '12345', 'personal')).toEqual([]);
  });

  it('counts a clearing-currency letter as its index in ABCEHKMPTX (NOTES.md rule 2)', () => {
    // C is index 2: the account with C must carry the same key as the one with the digit 2 there.
    const withLetter = withAccountKey('40702C10000000012345', '044525225', 'personal');
    const withDigit = withAccountKey('40702210000000012345', '044525225', 'personal');
    expect(withLetter.charAt(8)).toBe(withDigit.charAt(8));
    expect(codes(withLetter, '044525225', 'personal')).toEqual([]);
    const otherLetter = `40702A${withLetter.slice(6)}`; // A is index 0: the sum changes.
    expect(codes(otherLetter, '044525225', 'personal')).toEqual(['UFEBS_ACCOUNT_KEY']);
  });
});

describe('account control key: properties', () => {
  const bic = fc
    .tuple(fc.stringMatching(/^\d{4}$/), fc.integer({ min: 50, max: 999 }))
    .map(([r, t]) => `04${r}${String(t).padStart(3, '0')}`);
  const account = fc.stringMatching(/^4\d{19}$/);

  it('withAccountKey always yields an account that passes', () => {
    fc.assert(
      fc.property(account, bic, (acc, b) => accountKeyValid(withAccountKey(acc, b, 'personal'), b, 'personal')),
      { numRuns: 300 },
    );
  });

  it('any single changed digit (not position 6) is caught: weights 7, 1, 3 are units mod 10', () => {
    fc.assert(
      fc.property(
        account,
        bic,
        fc.integer({ min: 0, max: 19 }).filter((i) => i !== 5),
        fc.integer({ min: 1, max: 9 }),
        (acc, b, pos, delta) => {
          const valid = withAccountKey(acc, b, 'personal');
          const digit = (Number(valid.charAt(pos)) + delta) % 10;
          const changed = `${valid.slice(0, pos)}${digit}${valid.slice(pos + 1)}`;
          fc.pre(!changed.startsWith('03')); // treasury accounts are exempt from the key
          expect(codes(changed, b, 'personal')).toEqual(['UFEBS_ACCOUNT_KEY']);
        },
      ),
      { numRuns: 300 },
    );
  });
});
