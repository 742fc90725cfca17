import type { FieldError } from '../result.js';
import { fieldError } from './field-error.js';
import { isInTextSet } from './text.js';

/**
 * PaymentID (поле 22, УИН / «Код»): schema `PaymentIDType`, 1..25 characters of the UFEBS set; the
 * single "0" means "no УИН"; a value of zeros only is otherwise refused (Приказ Минфина 107н: all
 * characters of a УИН may not be zero at once).
 */
export const PAYMENT_ID_PATTERN = '^(?!0{2,}$)[!-~А-яЁё№][ -~А-яЁё№]{0,24}$';

const PAYMENT_ID_RE = new RegExp(PAYMENT_ID_PATTERN);

function remainder(body: string, firstWeight: number): number {
  let sum = 0;
  let weight = firstWeight;
  for (const ch of body) {
    sum += Number(ch) * weight;
    weight = weight === 10 ? 1 : weight + 1;
  }
  return sum % 11;
}

/**
 * The control digit of a УИН from its first 19 or 24 digits.
 *
 * The published algorithm (the one of the all-Russian classifiers' control numbers, which ГИС ГМП
 * uses for the УИН; stated e.g. in "Методика расчёта контрольного числа", quoted at
 * https://learn.chistoug.ru/kontrolnoe-chislo-dlya-koda-po-okpo-ne-sovpadaet-s-rasschitannym):
 * weights 1, 2, …, 10 from the first digit, repeating; the control digit is the sum of the products
 * mod 11. If that is 10, compute again with the weights shifted by two (3, 4, …, 10, 1, 2, …); if
 * it is 10 again, the control digit is 0. Public УИН generators (a Pascal tool for traffic-fine УИН
 * found by code search) compute it the same way.
 */
export function uinControlDigit(body: string): number {
  if (!/^\d+$/.test(body)) throw new RangeError('a УИН body is digits');
  const first = remainder(body, 1);
  if (first !== 10) return first;
  const second = remainder(body, 3);
  return second === 10 ? 0 : second;
}

/**
 * Checks PaymentID: format, "zeros only", and the control digit of a 20- or 25-digit УИН.
 *
 * A 25-character УИН may begin with a participant's registration number written with Latin letters;
 * how letters enter the control digit is not published in a source available here, so a 20- or
 * 25-character value with a non-digit is checked for format only rather than refused.
 */
export function checkPaymentId(value: string, path: string): FieldError[] {
  if (value.length > 1 && /^0+$/.test(value)) {
    return [fieldError('UFEBS_PAYMENT_ID_ZEROS', path, 'must not be all zeros (use "0" for no УИН)')];
  }
  if (!PAYMENT_ID_RE.test(value) || !isInTextSet(value)) {
    return [fieldError('UFEBS_PAYMENT_ID_FORMAT', path, 'must be 1–25 characters of the UFEBS set')];
  }
  if ((value.length === 20 || value.length === 25) && /^\d+$/.test(value)) {
    if (uinControlDigit(value.slice(0, -1)) !== Number(value.charAt(value.length - 1))) {
      return [fieldError('UFEBS_PAYMENT_ID_CHECKSUM', path, 'the УИН control digit does not match')];
    }
  }
  return [];
}
