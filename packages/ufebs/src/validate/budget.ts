import type { DepartmentalInfo, PaymentOrder } from '../model.js';
import type { FieldError } from '../result.js';
import { isRuDate } from './date.js';
import { fieldError, joinPath } from './field-error.js';
import type { Loose } from './loose.js';

// Budget payment requisites (поля 101, 104–110) follow Приказ Минфина 107н (приложения 1–5). The
// XSD only says "text, 1..N characters" for each; the forms below are those of 107н.

/**
 * Поле 101, drawer status: two digits. 107н приложение 5 has been amended many times (codes were
 * added up to 36 and several were withdrawn); the range 01–36 is accepted so that a change of the
 * list never stops a valid payment here, and the payee's administrator checks the exact code.
 */
export const DRAWER_STATUS_PATTERN = '^(0[1-9]|[12]\\d|3[0-6])$';
/** Поле 104, КБК: 20 digits, not all zeros (107н: "20 знаков (цифр), все знаки … не могут … ноль"), or "0". */
export const CBC_PATTERN = '^(?!0{2,}$)(0|\\d{20})$';
/** Поле 105, ОКТМО: 8 or 11 digits, not all zeros, or "0". */
export const OKTMO_PATTERN = '^(?!0{2,}$)(0|\\d{8}|\\d{11})$';
/** Поле 106, basis of the payment: two capital Cyrillic letters (ТП, ЗД, …) or "0". */
export const PAYT_REASON_PATTERN = '^(0|[А-ЯЁ]{2})$';
/**
 * Поле 107, tax period: МС.MM.YYYY (month), КВ.0Q.YYYY (quarter), ПЛ.0H.YYYY (half-year),
 * ГД.00.YYYY (year), a date DD.MM.YYYY (a set payment date), an 8-digit customs authority code, or "0".
 */
export const TAX_PERIOD_PATTERN =
  '^(0|МС\\.(0[1-9]|1[0-2])\\.\\d{4}|КВ\\.0[1-4]\\.\\d{4}|ПЛ\\.0[12]\\.\\d{4}|ГД\\.00\\.\\d{4}|\\d{2}\\.\\d{2}\\.\\d{4}|\\d{8})$';
/** Поле 108, document number: 1..15 characters of the UFEBS set without "№" (107н: the sign is not written), or "0". */
export const DOC_NO_PATTERN = '^[!-~А-яЁё][ -~А-яЁё]{0,14}$';
/** Поле 109, document date: DD.MM.YYYY or "0". */
export const DOC_DATE_PATTERN = '^(0|\\d{2}\\.\\d{2}\\.\\d{4})$';
/** Поле 110: 1..2 characters of the UFEBS set (no longer used by tax payments). */
export const TAX_PAYT_KIND_PATTERN = '^[!-~А-яЁё№][ -~А-яЁё№]?$';

/** The fields of DepartmentalInfo a budget payment must carry (поля 101, 104–109). */
export const BUDGET_FIELDS = ['drawerStatus', 'cbc', 'okato', 'paytReason', 'taxPeriod', 'docNo', 'docDate'] as const;

const RE = {
  drawerStatus: new RegExp(DRAWER_STATUS_PATTERN),
  cbc: new RegExp(CBC_PATTERN),
  okato: new RegExp(OKTMO_PATTERN),
  paytReason: new RegExp(PAYT_REASON_PATTERN),
  taxPeriod: new RegExp(TAX_PERIOD_PATTERN),
  docNo: new RegExp(DOC_NO_PATTERN),
  docDate: new RegExp(DOC_DATE_PATTERN),
  taxPaytKind: new RegExp(TAX_PAYT_KIND_PATTERN),
};

/**
 * True when the payee account is one into which budget revenues are paid: a treasury account of
 * group 03100 (single treasury account regime since 2021) or a legacy 40101 revenue account.
 */
export function isTreasuryRevenueAccount(account: string | undefined): boolean {
  return account !== undefined && (account.startsWith('03100') || account.startsWith('40101'));
}

/** True when budget rules apply: the payee account is a treasury revenue account, or DepartmentalInfo is given. */
export function isBudgetPayment(order: Loose<PaymentOrder>): boolean {
  return isTreasuryRevenueAccount(order.payee?.personalAcc) || order.departmentalInfo !== undefined;
}

/** Checks the form of every DepartmentalInfo field that is present. */
export function checkDepartmentalInfo(info: Loose<DepartmentalInfo>, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const at = (key: string) => joinPath(path, key);
  const { drawerStatus, cbc, okato, paytReason, taxPeriod, docNo, docDate, taxPaytKind } = info;
  if (drawerStatus !== undefined && !RE.drawerStatus.test(drawerStatus)) {
    errors.push(fieldError('UFEBS_DRAWER_STATUS', at('drawerStatus'), 'must be a two-digit status 01–36'));
  }
  if (cbc !== undefined && !RE.cbc.test(cbc)) {
    errors.push(fieldError('UFEBS_CBC_FORMAT', at('cbc'), 'must be 20 digits (not all zeros) or "0"'));
  }
  if (okato !== undefined && !RE.okato.test(okato)) {
    errors.push(fieldError('UFEBS_OKTMO_FORMAT', at('okato'), 'must be 8 or 11 digits (not all zeros) or "0"'));
  }
  if (paytReason !== undefined && !RE.paytReason.test(paytReason)) {
    errors.push(fieldError('UFEBS_PAYT_REASON', at('paytReason'), 'must be two capital Cyrillic letters or "0"'));
  }
  // A period written as a date (DD.MM.YYYY) must be a day that exists.
  if (
    taxPeriod !== undefined &&
    (!RE.taxPeriod.test(taxPeriod) || (/^\d{2}\./.test(taxPeriod) && !isRuDate(taxPeriod)))
  ) {
    errors.push(
      fieldError(
        'UFEBS_TAX_PERIOD',
        at('taxPeriod'),
        'must be МС.MM.YYYY, КВ.0Q.YYYY, ПЛ.0H.YYYY, ГД.00.YYYY, DD.MM.YYYY, 8 digits or "0"',
      ),
    );
  }
  if (docNo !== undefined && !RE.docNo.test(docNo)) {
    errors.push(fieldError('UFEBS_DOC_NO_FORMAT', at('docNo'), 'must be 1–15 characters without "№", or "0"'));
  }
  if (docDate !== undefined && !(RE.docDate.test(docDate) && (docDate === '0' || isRuDate(docDate)))) {
    errors.push(fieldError('UFEBS_DOC_DATE', at('docDate'), 'must be an existing date DD.MM.YYYY or "0"'));
  }
  if (taxPaytKind !== undefined && !RE.taxPaytKind.test(taxPaytKind)) {
    errors.push(fieldError('UFEBS_TAX_PAYT_KIND', at('taxPaytKind'), 'must be 1–2 characters of the UFEBS set'));
  }
  return errors;
}

/**
 * Presence rules of a budget payment (107н приложения 1–2), applied when {@link isBudgetPayment}:
 * - поля 101, 104–109 all present (each may be "0" where 107н allows; КБК not "0" for a revenue account);
 * - поле 22 (PaymentID) present: the УИН, or "0";
 * - payee INN and KPP present and not "0" (the administrator of the revenue);
 * - payer INN present; "0" only together with a УИН (a person without an INN is identified by it);
 * - payer KPP present; "0" is for persons, so not with a 10-digit (organisation) INN.
 *
 * And, for any payee treasury account (03…): the payee bank's correspondent account must be a
 * single treasury account (ЕКС, 40102…) — treasury accounts are reached only through it.
 */
export function checkBudgetRules(order: Loose<PaymentOrder>, prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  const at = (path: string) => joinPath(prefix, path);
  const payeeAcc = order.payee?.personalAcc;
  if (payeeAcc?.startsWith('03')) {
    const corresp = order.payee?.bank?.correspAcc;
    if (corresp === undefined || !corresp.startsWith('40102')) {
      errors.push(
        fieldError(
          'UFEBS_TREASURY_CORRESP_ACC',
          at('payee.bank.correspAcc'),
          'must be the single treasury account 40102…',
        ),
      );
    }
  }
  if (!isBudgetPayment(order)) return errors;

  const required = (path: string, what: string) =>
    errors.push(fieldError('UFEBS_BUDGET_FIELD_REQUIRED', at(path), `a budget payment needs ${what}`));
  const notZero = (path: string, what: string) =>
    errors.push(fieldError('UFEBS_BUDGET_ZERO_NOT_ALLOWED', at(path), `${what} may not be "0" in a budget payment`));

  const info = order.departmentalInfo ?? {};
  for (const key of BUDGET_FIELDS) {
    if (info[key] === undefined) required(`departmentalInfo.${key}`, 'this departmental field (use "0" where allowed)');
  }
  if (isTreasuryRevenueAccount(payeeAcc) && info.cbc === '0') notZero('departmentalInfo.cbc', 'КБК');

  const paymentId = order.paymentId;
  if (paymentId === undefined) required('paymentId', 'поле 22: the УИН or "0"');

  const payee = order.payee;
  if (payee?.inn === undefined) required('payee.inn', "the payee's INN");
  else if (payee.inn === '0') notZero('payee.inn', "the payee's INN");
  if (payee?.kpp === undefined) required('payee.kpp', "the payee's KPP");
  else if (payee.kpp === '0') notZero('payee.kpp', "the payee's KPP");

  const payer = order.payer;
  if (payer?.inn === undefined) required('payer.inn', 'the payer\'s INN (or "0" with a УИН)');
  else if (payer.inn === '0' && (paymentId === undefined || paymentId === '0')) {
    notZero('payer.inn', "the payer's INN (without a УИН)");
  }
  if (payer?.kpp === undefined) required('payer.kpp', 'the payer\'s KPP ("0" for a person)');
  else if (payer.kpp === '0' && payer.inn !== undefined && /^\d{10}$/.test(payer.inn)) {
    notZero('payer.kpp', "an organisation's KPP");
  }
  return errors;
}
