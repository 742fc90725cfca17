import { describe, expect, it } from 'vitest';
import type { FieldError } from '../result.js';
import {
  CONDITION_CODES,
  checkAccDocNo,
  checkCode,
  checkPaymentPrecedence,
  checkPaytKind,
  checkPriority,
  checkSessionId,
  checkSystemCode,
  checkTransKind,
  checkUis,
} from './codes-fields.js';

type Check = (value: string, path: string) => FieldError[];

const cases: [string, Check, string[], string[], string][] = [
  [
    'AccDocNo',
    checkAccDocNo,
    ['1', '1482', '999999', '000123'],
    ['0', '000', '1234567', '12a', ''],
    'UFEBS_ACC_DOC_NO_FORMAT',
  ],
  ['TransKind', checkTransKind, ['01'], ['1', '02', '001', ''], 'UFEBS_TRANS_KIND'],
  ['Priority', checkPriority, ['0', '1', '3', '5'], ['6', '05', '-1', ''], 'UFEBS_PRIORITY'],
  ['SystemCode', checkSystemCode, ['02', '05'], ['01', '2', '5', '03', ''], 'UFEBS_SYSTEM_CODE'],
  [
    'PaymentPrecedence',
    checkPaymentPrecedence,
    ['60', '10', '00', '99'],
    ['6', '600', 'AB', ''],
    'UFEBS_PAYMENT_PRECEDENCE',
  ],
  ['PaytKind', checkPaytKind, ['0', '4', '9'], ['10', 'A', ''], 'UFEBS_PAYT_KIND'],
  ['SessionID', checkSessionId, ['1', '9'], ['10', 'a', ''], 'UFEBS_SESSION_ID_FORMAT'],
  ['УИС', checkUis, ['4525545000', '0000000001'], ['452554500', '45255450000', '452554500A'], 'UFEBS_UIS_FORMAT'],
];

describe.each(cases)('%s', (_name, check, valid, invalid, code) => {
  it.each(valid)('%j passes', (value) => {
    expect(check(value, 'f')).toEqual([]);
  });
  it.each(invalid)(`%j fails with ${code}`, (value) => {
    expect(check(value, 'f')).toEqual([expect.objectContaining({ code, path: 'f' })]);
  });
});

describe('checkCode', () => {
  it('accepts a listed value and refuses others with UFEBS_CODE_VALUE', () => {
    expect(checkCode('RSRV', CONDITION_CODES, 'c')).toEqual([]);
    expect(checkCode('rsrv', CONDITION_CODES, 'c').map((e) => e.code)).toEqual(['UFEBS_CODE_VALUE']);
  });
});
