import type { FieldError } from '../result.js';
import { fieldError } from './field-error.js';

// Allowed values are those of the 2024.4.0 schema (`ed/cbr_ed_leaftypes_v2024.4.0.xsd`,
// `ed/cbr_ed101_v2024.4.0.xsd`); each constant names the schema type it comes from.

/** ED101/@TransKind is `fixed="01"` (поле 18). */
export const TRANS_KIND = '01';
/** `PaytPriorityCodeType`: 0 (not given) and 1–5 (поле 21). */
export const PRIORITY_VALUES = ['0', '1', '2', '3', '4', '5'] as const;
/** `SystemCodeType`: 02 non-urgent, 05 urgent. */
export const SYSTEM_CODE_VALUES = ['02', '05'] as const;
/**
 * PaymentPrecedence is `TwoDigitCodeType` (pattern `\d{2}`): the XSD enumerates no values; the code
 * list lives in the UFEBS album's reference tables, which are not part of the schema files this
 * repository has, so nothing narrower than two digits is enforced (the Bank of Russia's own control
 * answers an unknown code with an ED201).
 */
export const PAYMENT_PRECEDENCE_PATTERN = '^\\d{2}$';
/** PaytKind is `OneDigitCodeType` (поле 5). */
export const PAYT_KIND_PATTERN = '^\\d$';
/** AccDoc/@AccDocNo is `AccountDocIDType`: 1–6 digits, not all zeros (поле 3). */
export const ACC_DOC_NO_PATTERN = '^(?!0+$)\\d{1,6}$';
/** `SessionIDType`: one digit. */
export const SESSION_ID_PATTERN = '^\\d$';
/** `EDDrawerIDType` (УИС): 10 digits. */
export const UIS_PATTERN = '^\\d{10}$';
/** `ParticipantBusinessScenarioType`. */
export const PARTICIPANT_BUSINESS_SCENARIOS = ['AWCI', 'COVR', 'RCPC', 'RCPI', 'RSRV', 'RSOD'] as const;
/** `ConditionCodeType`. */
export const CONDITION_CODES = ['RSRV', 'ERCP', 'COVR'] as const;
/** `ClearingCircuitType`. */
export const CLEARING_CIRCUITS = ['0001', '0002', '0003'] as const;
/** `IndicatorType` is xs:boolean, whose lexical forms are these. */
export const INDICATOR_VALUES = ['true', 'false', '1', '0'] as const;
/** `Me2MeType`. */
export const ME2ME_VALUES = ['MEME'] as const;
/** `PaymentCategoryType`. */
export const PAYMENT_CATEGORIES = ['FREE', 'PAID'] as const;
/** `BusinessScenarioType` (ProcessingDetails, filled by the Bank of Russia). */
export const BUSINESS_SCENARIOS = [
  'ANNL',
  'BLSW',
  'CAPE',
  'CLWD',
  'CAWC',
  'COLE',
  'GFUT',
  'LEVL',
  'LNOV',
  'LOAN',
  'SPEC',
  'WCNF',
  'PART',
  'PRSP',
  'NSPK',
  'OPKC',
  'NMPS',
  'PLCR',
] as const;
/** `SessionTypeType`. */
export const SESSION_TYPES = ['URGN', 'NURG', 'CONS'] as const;

const ACC_DOC_NO_RE = new RegExp(ACC_DOC_NO_PATTERN);

/** Checks AccDocNo (поле 3). */
export function checkAccDocNo(value: string, path: string): FieldError[] {
  return ACC_DOC_NO_RE.test(value)
    ? []
    : [fieldError('UFEBS_ACC_DOC_NO_FORMAT', path, 'must be 1–6 digits, not all zeros')];
}

/** Checks TransKind (поле 18). */
export function checkTransKind(value: string, path: string): FieldError[] {
  return value === TRANS_KIND ? [] : [fieldError('UFEBS_TRANS_KIND', path, 'must be "01"')];
}

/** Checks Priority (поле 21). */
export function checkPriority(value: string, path: string): FieldError[] {
  return (PRIORITY_VALUES as readonly string[]).includes(value)
    ? []
    : [fieldError('UFEBS_PRIORITY', path, 'must be one of "0".."5"')];
}

/** Checks SystemCode. */
export function checkSystemCode(value: string, path: string): FieldError[] {
  return (SYSTEM_CODE_VALUES as readonly string[]).includes(value)
    ? []
    : [fieldError('UFEBS_SYSTEM_CODE', path, 'must be "02" or "05"')];
}

/** Checks PaymentPrecedence (two digits, see {@link PAYMENT_PRECEDENCE_PATTERN}). */
export function checkPaymentPrecedence(value: string, path: string): FieldError[] {
  return /^\d{2}$/.test(value) ? [] : [fieldError('UFEBS_PAYMENT_PRECEDENCE', path, 'must be two digits')];
}

/** Checks PaytKind (поле 5). */
export function checkPaytKind(value: string, path: string): FieldError[] {
  return /^\d$/.test(value) ? [] : [fieldError('UFEBS_PAYT_KIND', path, 'must be one digit')];
}

/** Checks a session number. */
export function checkSessionId(value: string, path: string): FieldError[] {
  return /^\d$/.test(value) ? [] : [fieldError('UFEBS_SESSION_ID_FORMAT', path, 'must be one digit')];
}

/** Checks a 10-digit УИС (EDAuthor, EDReceiver, ConfirmationMessageAuthor, ParticipantToBeNotified). */
export function checkUis(value: string, path: string): FieldError[] {
  return /^\d{10}$/.test(value) ? [] : [fieldError('UFEBS_UIS_FORMAT', path, 'must be 10 digits')];
}

/** Checks that a coded value is one of the schema's enumeration. */
export function checkCode(value: string, allowed: readonly string[], path: string): FieldError[] {
  return allowed.includes(value)
    ? []
    : [fieldError('UFEBS_CODE_VALUE', path, `must be one of ${allowed.map((v) => `"${v}"`).join(', ')}`)];
}
