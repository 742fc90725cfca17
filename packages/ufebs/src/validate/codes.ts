import type { CodeInfo } from '../result.js';

/**
 * The requisite validators' codes. A code is never renamed or reused (STYLE.md "Errors"); the XML
 * side owns the `UFEBS_XML_*` and `UFEBS_ED_*` prefixes, so nothing here starts with either.
 */
const CODES = {
  UFEBS_ORDER_INVALID: {
    meaning: 'The payment order failed validation; `errors` lists every field error.',
    action: 'Correct every listed field in the back office and send the order again.',
  },
  UFEBS_TOO_MANY_ERRORS: {
    meaning: 'More field errors were found than are reported; the list was cut.',
    action: 'Fix the reported errors first; the input is probably not a payment order at all.',
  },
  UFEBS_TYPE: {
    meaning: 'A value has the wrong JSON type (every requisite is a string; groups are objects).',
    action: 'Send the field as the type the payment order schema gives (strings, not numbers).',
  },
  UFEBS_UNKNOWN_FIELD: {
    meaning: 'A field that the payment order does not have.',
    action: 'Remove the field or correct its spelling (field names are camelCase schema names).',
  },
  UFEBS_REQUIRED: {
    meaning: 'A field the UFEBS schema requires is missing.',
    action: 'Fill in the field.',
  },
  UFEBS_CHOICE: {
    meaning: 'A group that must hold exactly one of several alternatives holds none or several.',
    action: 'Give exactly one alternative (for example sessionId or settlementTime).',
  },
  UFEBS_BIC_FORMAT: {
    meaning: 'BIC is not 9 digits with a Russian participant prefix (04, or 00–02 for a treasury unit).',
    action: 'Take the BIC from the Bank of Russia BIC directory.',
  },
  UFEBS_ACCOUNT_FORMAT: {
    meaning: 'Account number is not 20 characters: 5 digits, a digit or clearing-currency letter, 14 digits.',
    action: 'Correct the account number.',
  },
  UFEBS_ACCOUNT_KEY: {
    meaning: 'The account control key (9th digit) does not match the account and its BIC.',
    action: 'Check the account number and the BIC of the bank that holds it: one of them is mistyped.',
  },
  UFEBS_CORRESP_ACC_BIC: {
    meaning: "A 30101 correspondent account does not end with digits 7–9 of its bank's BIC.",
    action: 'Take the correspondent account and BIC together from the BIC directory.',
  },
  UFEBS_TREASURY_CORRESP_ACC: {
    meaning: 'A treasury account (03…) is paid through a bank account that is not a single treasury account (40102…).',
    action: "Give the payee bank's single treasury account (ЕКС, 40102…) as its correspondent account.",
  },
  UFEBS_INN_FORMAT: {
    meaning: 'INN is not 10 or 12 digits (or "0" where a zero is allowed).',
    action: 'Correct the INN.',
  },
  UFEBS_INN_CHECKSUM: {
    meaning: 'INN check digits do not match.',
    action: 'The INN is mistyped: take it from the registration documents.',
  },
  UFEBS_KPP_FORMAT: {
    meaning: 'KPP is not 9 characters (4 digits, 2 digits or capital Latin letters, 3 digits) or "0".',
    action: 'Correct the KPP.',
  },
  UFEBS_AMOUNT_FORMAT: {
    meaning: 'Amount is not a positive whole number of kopecks of at most 18 digits without leading zeros.',
    action: 'Send the amount in kopecks as a digit string ("150000" for 1 500,00 ₽).',
  },
  UFEBS_DATE_FORMAT: {
    meaning: 'Date is not written YYYY-MM-DD.',
    action: 'Write the date as YYYY-MM-DD.',
  },
  UFEBS_DATE_INVALID: {
    meaning: 'Date is written correctly but does not exist in the calendar (for example 2025-02-30).',
    action: 'Correct the date.',
  },
  UFEBS_TIME_FORMAT: {
    meaning: 'Time is not hh:mm:ss within a day.',
    action: 'Write the time as hh:mm:ss.',
  },
  UFEBS_ACC_DOC_NO_FORMAT: {
    meaning: 'Document number (поле 3) is not 1–6 digits or is all zeros.',
    action: 'Give the number of the payment order as 1–6 digits, not 0.',
  },
  UFEBS_TRANS_KIND: {
    meaning: 'Transaction kind (поле 18) is not "01", the only value of a payment order.',
    action: 'Send transKind "01".',
  },
  UFEBS_PRIORITY: {
    meaning: 'Priority (очередность, поле 21) is not one of "0".."5".',
    action: 'Send the priority as one digit 0–5.',
  },
  UFEBS_SYSTEM_CODE: {
    meaning: 'System code is not "02" (non-urgent) or "05" (urgent).',
    action: 'Send systemCode "02" or "05".',
  },
  UFEBS_PAYMENT_PRECEDENCE: {
    meaning: 'Payment precedence is not a 2-digit code.',
    action: 'Send paymentPrecedence as two digits from the UFEBS code list.',
  },
  UFEBS_PAYT_KIND: {
    meaning: 'Payment kind (поле 5) is not one digit.',
    action: 'Send paytKind as one digit, or leave it out.',
  },
  UFEBS_CODE_VALUE: {
    meaning: 'A coded value is not one of the values the UFEBS schema lists for the field.',
    action: 'Use one of the listed codes.',
  },
  UFEBS_SESSION_ID_FORMAT: {
    meaning: 'Session number is not one digit.',
    action: 'Send the session number as one digit.',
  },
  UFEBS_UIS_FORMAT: {
    meaning: 'A participant identifier (УИС: EDAuthor, EDReceiver and the like) is not 10 digits.',
    action: 'Give the 10-digit УИС assigned by the Bank of Russia.',
  },
  UFEBS_MESSAGE_NO_FORMAT: {
    meaning: 'EDNo is not a number 1..999999999 written without leading zeros.',
    action: 'Number the ED within the day from 1.',
  },
  UFEBS_TEXT_LENGTH: {
    meaning: 'Text is empty or longer than the schema allows (for example 160 for a name, 210 for the purpose).',
    action: 'Shorten or fill in the text.',
  },
  UFEBS_TEXT_CHARSET: {
    meaning: 'Text holds a character outside the UFEBS set (codes 32–126, А–я, Ё, ё, №) or only spaces.',
    action: 'Replace the character (for example Latin quotes instead of «», a hyphen instead of a dash).',
  },
  UFEBS_TEXT_LEADING_SPACE: {
    meaning: 'Text starts with a space.',
    action: 'Remove the leading spaces.',
  },
  UFEBS_PAYMENT_ID_FORMAT: {
    meaning: 'УИН / «Код» (поле 22) is not 1–25 characters of the UFEBS set.',
    action: 'Give the УИН from the charge notice, or "0" when there is none.',
  },
  UFEBS_PAYMENT_ID_ZEROS: {
    meaning: 'УИН consists of zeros only (only the single "0" means "no УИН").',
    action: 'Give the real УИН or "0".',
  },
  UFEBS_PAYMENT_ID_CHECKSUM: {
    meaning: 'The control digit of a 20- or 25-digit УИН does not match.',
    action: 'The УИН is mistyped: copy it from the charge notice.',
  },
  UFEBS_DRAWER_STATUS: {
    meaning: 'Drawer status (поле 101) is not a two-digit status code 01–36.',
    action: 'Give the status from приложение 5 of Приказ Минфина 107н (for example "01", "02", "13").',
  },
  UFEBS_CBC_FORMAT: {
    meaning: 'КБК (поле 104) is not 20 digits (not all zeros) or "0".',
    action: 'Give the 20-digit budget classification code.',
  },
  UFEBS_OKTMO_FORMAT: {
    meaning: 'ОКТМО (поле 105) is not 8 or 11 digits (not all zeros) or "0".',
    action: 'Give the ОКТМО of the municipality, or "0".',
  },
  UFEBS_PAYT_REASON: {
    meaning: 'Basis of payment (поле 106) is not two capital Cyrillic letters or "0".',
    action: 'Give the basis code (for example "ТП", "ЗД") or "0".',
  },
  UFEBS_TAX_PERIOD: {
    meaning:
      'Tax period (поле 107) is not МС.MM.YYYY, КВ.0Q.YYYY, ПЛ.0H.YYYY, ГД.00.YYYY, a date DD.MM.YYYY, an 8-digit customs code, or "0".',
    action: 'Write the period in one of those forms.',
  },
  UFEBS_DOC_NO_FORMAT: {
    meaning: 'Document number (поле 108) is not 1–15 characters of the UFEBS set without "№", or "0".',
    action: 'Give the number without the "№" sign, or "0".',
  },
  UFEBS_DOC_DATE: {
    meaning: 'Document date (поле 109) is not an existing date DD.MM.YYYY or "0".',
    action: 'Write the date as DD.MM.YYYY, or "0".',
  },
  UFEBS_TAX_PAYT_KIND: {
    meaning: 'Поле 110 is not 1–2 characters of the UFEBS set.',
    action: 'Correct or leave out the field.',
  },
  UFEBS_BUDGET_FIELD_REQUIRED: {
    meaning:
      'A payment to the budget (treasury payee account or departmental info given) lacks a field the budget rules require.',
    action: 'Fill in поля 101, 104–109, 22 and the INN/KPP of payer and payee (with "0" where the rules allow).',
  },
  UFEBS_BUDGET_ZERO_NOT_ALLOWED: {
    meaning:
      'A budget payment field holds "0" where the rules need a real value (payee INN/KPP, КБК, a legal entity\'s KPP, payer INN without УИН).',
    action: 'Give the real value.',
  },
} as const satisfies Record<string, CodeInfo>;

/** A code of the requisite validators. */
export type ValidationCode = keyof typeof CODES;

/** Codes of the requisite validators (`UFEBS_*`): what each means and what an operator does about it. */
export const VALIDATION_CODES: Readonly<Record<ValidationCode, CodeInfo>> = Object.freeze(CODES);
