import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PaymentOrder } from '../model.js';
import { checkBudgetRules, checkDepartmentalInfo, isBudgetPayment } from './budget.js';

const budgetExample = JSON.parse(
  readFileSync(new URL('../../../../examples/budget-payment-order.json', import.meta.url), 'utf8'),
) as PaymentOrder;
const ordinaryExample = JSON.parse(
  readFileSync(new URL('../../../../examples/payment-order.json', import.meta.url), 'utf8'),
) as PaymentOrder;

const infoCodes = (field: string, value: string) =>
  checkDepartmentalInfo({ [field]: value }, 'departmentalInfo').map((e) => [e.code, e.path]);

describe('checkDepartmentalInfo: field forms (Приказ Минфина 107н)', () => {
  it.each([
    ['drawerStatus', ['01', '02', '13', '28', '36']],
    ['cbc', ['18210102010011000110', '18201061201010000510', '0']],
    ['okato', ['45000000', '45382000001', '0']],
    ['paytReason', ['ТП', 'ЗД', 'АП', '0']],
    ['taxPeriod', ['МС.03.2025', 'КВ.01.2025', 'ПЛ.02.2025', 'ГД.00.2025', '28.04.2025', '10130000', '0']],
    ['docNo', ['0', '12345', 'ИД-17/2025', 'A'.repeat(15)]],
    ['docDate', ['0', '15.04.2025', '29.02.2024']],
    ['taxPaytKind', ['0', 'ПЕ']],
  ])('%s accepts %j', (field, values) => {
    for (const value of values) expect(infoCodes(field, value)).toEqual([]);
  });

  it.each([
    ['drawerStatus', ['1', '00', '37', '99', 'ЮЛ', '0'], 'UFEBS_DRAWER_STATUS'],
    [
      'cbc',
      ['1821010201001100011', '182101020100110001100', '00000000000000000000', '1821010201001100011A'],
      'UFEBS_CBC_FORMAT',
    ],
    ['okato', ['4500000', '450000000', '00000000', '00000000000', '4500000A'], 'UFEBS_OKTMO_FORMAT'],
    ['paytReason', ['тп', 'TP', 'Т', 'ТПП', '00'], 'UFEBS_PAYT_REASON'],
    [
      'taxPeriod',
      [
        'МС.13.2025',
        'МС.00.2025',
        'КВ.05.2025',
        'ПЛ.03.2025',
        'ГД.01.2025',
        '30.02.2025',
        '1013000',
        'MC.03.2025',
        '00',
      ],
      'UFEBS_TAX_PERIOD',
    ],
    ['docNo', ['№ 12', 'A'.repeat(16), ' 12', ''], 'UFEBS_DOC_NO_FORMAT'],
    ['docDate', ['2025-04-15', '30.02.2025', '00.00.0000', '1.4.2025', '00'], 'UFEBS_DOC_DATE'],
    ['taxPaytKind', ['ПЕН', ''], 'UFEBS_TAX_PAYT_KIND'],
  ])('%s refuses %j with %s', (field, values, code) => {
    for (const value of values) expect(infoCodes(field, value)).toEqual([[code, `departmentalInfo.${field}`]]);
  });
});

describe('isBudgetPayment', () => {
  it.each([
    ['03100… treasury revenue account', { payee: { personalAcc: '03100643000000018500' } }, true],
    ['legacy 40101… revenue account', { payee: { personalAcc: '40101810800000010041' } }, true],
    ['departmental info given', { departmentalInfo: {} }, true],
    ['ordinary payee', { payee: { personalAcc: '40702810001100012345' } }, false],
    [
      'other treasury account (03212…) without departmental info',
      { payee: { personalAcc: '03212643000000017300' } },
      false,
    ],
  ] as const)('%s → %s', (_label, order, expected) => {
    expect(isBudgetPayment(order)).toBe(expected);
  });
});

describe('checkBudgetRules', () => {
  it('accepts the budget and the ordinary example', () => {
    expect(checkBudgetRules(budgetExample, '')).toEqual([]);
    expect(checkBudgetRules(ordinaryExample, '')).toEqual([]);
  });

  it('asks for every budget field at once when the payee is a treasury revenue account', () => {
    const { departmentalInfo: _d, paymentId: _p, ...rest } = budgetExample;
    const { inn: _i, kpp: _k, ...payee } = budgetExample.payee;
    const errors = checkBudgetRules({ ...rest, payee }, '');
    expect(errors.map((e) => [e.code, e.path])).toEqual([
      ['UFEBS_BUDGET_FIELD_REQUIRED', 'departmentalInfo.drawerStatus'],
      ['UFEBS_BUDGET_FIELD_REQUIRED', 'departmentalInfo.cbc'],
      ['UFEBS_BUDGET_FIELD_REQUIRED', 'departmentalInfo.okato'],
      ['UFEBS_BUDGET_FIELD_REQUIRED', 'departmentalInfo.paytReason'],
      ['UFEBS_BUDGET_FIELD_REQUIRED', 'departmentalInfo.taxPeriod'],
      ['UFEBS_BUDGET_FIELD_REQUIRED', 'departmentalInfo.docNo'],
      ['UFEBS_BUDGET_FIELD_REQUIRED', 'departmentalInfo.docDate'],
      ['UFEBS_BUDGET_FIELD_REQUIRED', 'paymentId'],
      ['UFEBS_BUDGET_FIELD_REQUIRED', 'payee.inn'],
      ['UFEBS_BUDGET_FIELD_REQUIRED', 'payee.kpp'],
    ]);
  });

  it.each([
    ['payee INN "0"', { payee: { ...budgetExample.payee, inn: '0' } }, 'UFEBS_BUDGET_ZERO_NOT_ALLOWED', 'payee.inn'],
    ['payee KPP "0"', { payee: { ...budgetExample.payee, kpp: '0' } }, 'UFEBS_BUDGET_ZERO_NOT_ALLOWED', 'payee.kpp'],
    [
      'КБК "0" for a revenue account',
      { departmentalInfo: { ...budgetExample.departmentalInfo, cbc: '0' } },
      'UFEBS_BUDGET_ZERO_NOT_ALLOWED',
      'departmentalInfo.cbc',
    ],
    [
      'payer INN "0" without a УИН',
      { payer: { ...budgetExample.payer, inn: '0', kpp: '0' } },
      'UFEBS_BUDGET_ZERO_NOT_ALLOWED',
      'payer.inn',
    ],
    [
      'an organisation\'s KPP "0"',
      { payer: { ...budgetExample.payer, kpp: '0' } },
      'UFEBS_BUDGET_ZERO_NOT_ALLOWED',
      'payer.kpp',
    ],
    [
      'treasury account reached through a 30101 account',
      { payee: { ...budgetExample.payee, bank: { bic: '017003983', correspAcc: '30101810400000000225' } } },
      'UFEBS_TREASURY_CORRESP_ACC',
      'payee.bank.correspAcc',
    ],
    [
      'treasury account without a correspondent account',
      { payee: { ...budgetExample.payee, bank: { bic: '017003983' } } },
      'UFEBS_TREASURY_CORRESP_ACC',
      'payee.bank.correspAcc',
    ],
  ])('%s is refused', (_label, change, code, path) => {
    expect(checkBudgetRules({ ...budgetExample, ...change }, '').map((e) => [e.code, e.path])).toEqual([[code, path]]);
  });

  it('lets a person without INN pay with a УИН (payer INN "0", KPP "0")', () => {
    const order = {
      ...budgetExample,
      paymentId: '18810000000000123456',
      payer: { ...budgetExample.payer, inn: '0', kpp: '0' },
    };
    expect(checkBudgetRules(order, '')).toEqual([]);
  });

  it('applies the budget rules to an ordinary payee when departmental info is given', () => {
    const { inn: _i, ...payee } = ordinaryExample.payee;
    const order = { ...ordinaryExample, payee, departmentalInfo: budgetExample.departmentalInfo ?? {} };
    expect(checkBudgetRules(order, '').map((e) => [e.code, e.path])).toEqual([
      ['UFEBS_BUDGET_FIELD_REQUIRED', 'payee.inn'],
    ]);
  });
});
