import type { FieldError } from '../result.js';
import { isBankOfRussiaUnitBic, isValidBic } from './bic.js';
import { fieldError } from './field-error.js';

/** Account number (schema `AccountNumberRUIDType`): 5 digits, a digit or clearing-currency letter, 14 digits. */
export const ACCOUNT_PATTERN = '^\\d{5}[0-9ABCEHKMPTX]\\d{14}$';

const ACCOUNT_RE = new RegExp(ACCOUNT_PATTERN);
/** NOTES.md rule 2: a clearing-currency letter in position 6 counts as its index in this string. */
const CURRENCY_LETTERS = 'ABCEHKMPTX';
/** NOTES.md rule 3: the weights of the 23 digits (3-digit prefix + 20-digit account). */
const WEIGHTS = '71371371371371371371371';

/**
 * Where an account is held, which decides the 3-digit prefix of the control key:
 * `corresp` — the bank's own account at the Bank of Russia (`Bank/@CorrespAcc`: 30101…, or a
 * treasury unit's single treasury account 40102…); `personal` — a customer's account (`@PersonalAcc`).
 */
export type AccountRole = 'personal' | 'corresp';

/**
 * The conditional prefix of the control key (NOTES.md rule 1): "0" + BIC digits 5–6 for an account
 * held at a Bank of Russia unit (a correspondent account, or any account whose BIC is a Bank of
 * Russia unit's), otherwise BIC digits 7–9.
 *
 * A treasury unit's single treasury account (40102…, `Bank/@CorrespAcc` of a ТОФК) is held at a Bank
 * of Russia unit too, so it takes the "0" + digits 5–6 prefix: 40102810445370000059 with BIC 017003983
 * and 40102810545370000003 with BIC 004525988 (published ЕКС requisites) check only that way.
 */
export function accountKeyPrefix(bic: string, role: AccountRole): string {
  return role === 'corresp' || isBankOfRussiaUnitBic(bic) ? `0${bic.slice(4, 6)}` : bic.slice(6, 9);
}

function weightedSum(prefix: string, account: string): number {
  const letterIndex = CURRENCY_LETTERS.indexOf(account.charAt(5));
  const digits =
    letterIndex >= 0 ? `${prefix}${account.slice(0, 5)}${letterIndex}${account.slice(6)}` : `${prefix}${account}`;
  let sum = 0;
  for (let i = 0; i < 23; i += 1) {
    // NOTES.md rule 3: add up the last digit of each product.
    sum += (Number(digits.charAt(i)) * Number(WEIGHTS.charAt(i))) % 10;
  }
  return sum;
}

/**
 * True when the account's control key matches its BIC (NOTES.md rule 4: the weighted sum ≡ 0 mod 10).
 * Both arguments must already be well formed.
 */
export function accountKeyValid(account: string, bic: string, role: AccountRole): boolean {
  return weightedSum(accountKeyPrefix(bic, role), account) % 10 === 0;
}

/**
 * Returns `account` with its 9th character replaced by the correct control key for `bic`
 * (NOTES.md: put 0 in position 9, compute the sum S, key = ((S mod 10) × 3) mod 10).
 */
export function withAccountKey(account: string, bic: string, role: AccountRole): string {
  const zeroed = `${account.slice(0, 8)}0${account.slice(9)}`;
  const key = ((weightedSum(accountKeyPrefix(bic, role), zeroed) % 10) * 3) % 10;
  return `${account.slice(0, 8)}${key}${account.slice(9)}`;
}

/** True when the account is a treasury account (казначейский счёт, balance account group 03…). */
export function isTreasuryAccount(account: string): boolean {
  return account.startsWith('03');
}

/**
 * Checks an account number and, when the BIC of the bank holding it is well formed, its control key.
 *
 * Treasury accounts (03…) are not rejected on the key. NOTES.md says they follow other rules, and
 * the Bank of Russia key rule does not hold for them: the published ЕНП account 03100643000000018500
 * (BIC 017003983) and 03100643000000017300 (BIC 004525988) fail with both prefixes the rule knows (a
 * script checked all four combinations), and public validators exempt 03… accounts for the same
 * reason. Their own rule could not be confirmed from a published source, so only the format is
 * checked; the Bank of Russia's control still checks the account against its directory.
 *
 * A 30101… correspondent account given with its bank's BIC must end with BIC digits 7–9 (its
 * conditional participant number, Телеграмма Банка России 86-97: "18–20 разряды счёта … соответствуют
 * 7–9 позициям БИК").
 */
export function checkAccount(account: string, bic: string | undefined, path: string, role: AccountRole): FieldError[] {
  if (!ACCOUNT_RE.test(account)) {
    return [fieldError('UFEBS_ACCOUNT_FORMAT', path, 'must be 20 characters: 5 digits, a digit or letter, 14 digits')];
  }
  if (bic === undefined || !isValidBic(bic)) return [];
  if (role === 'personal' && isTreasuryAccount(account)) return [];
  const errors: FieldError[] = [];
  if (!accountKeyValid(account, bic, role)) {
    errors.push(fieldError('UFEBS_ACCOUNT_KEY', path, 'control key does not match the account and BIC'));
  }
  // The suffix rule ties a 30101 account to its bank's BIC; with the BIC of the Bank of Russia unit
  // that holds it (NOTES.md's example 30101810800000000746 / 049805000) only the key applies.
  const bankBic = !isBankOfRussiaUnitBic(bic);
  if (role === 'corresp' && bankBic && account.startsWith('30101') && account.slice(17) !== bic.slice(6, 9)) {
    errors.push(fieldError('UFEBS_CORRESP_ACC_BIC', path, 'a 30101 account must end with BIC digits 7–9'));
  }
  return errors;
}
