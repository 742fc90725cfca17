import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Ed101, PaymentOrder } from '../model.js';
import { paymentOrderArbitrary } from './arbitrary.js';
import { MAX_REPORTED_ERRORS, validateEd101, validatePaymentOrder } from './index.js';

const load = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../../examples/${name}`, import.meta.url), 'utf8')) as PaymentOrder;
const ordinary = load('payment-order.json');
const budget = load('budget-payment-order.json');

const errorsOf = (input: unknown) => {
  const result = validatePaymentOrder(input);
  return result.ok ? [] : (result.errors ?? []).map((e) => [e.code, e.path]);
};
const changeDigit = (value: string, pos: number, delta: number) =>
  `${value.slice(0, pos)}${(Number(value.charAt(pos)) + delta) % 10}${value.slice(pos + 1)}`;

describe('validatePaymentOrder: examples', () => {
  it.each([
    ['payment-order.json', ordinary],
    ['budget-payment-order.json', budget],
  ])('%s passes and comes back as a frozen copy', (_name, order) => {
    const result = validatePaymentOrder(order);
    expect(result).toEqual({ ok: true, value: order });
    if (!result.ok) return;
    expect(result.value).not.toBe(order);
    expect(Object.isFrozen(result.value)).toBe(true);
    expect(Object.isFrozen(result.value.payer.bank)).toBe(true);
  });
});

describe('validatePaymentOrder: every failure at once', () => {
  it('reports shape and requisite errors together, with dotted paths', () => {
    const input = {
      ...ordinary,
      sum: 12500000,
      comment: 'unknown',
      payer: {
        ...ordinary.payer,
        inn: '7709123454',
        bank: { bic: '04452522', correspAcc: ordinary.payer.bank.correspAcc },
      },
      payee: { ...ordinary.payee, personalAcc: '40702810001100012346' },
      purpose: 'Оплата — «аванс»',
      accDocDate: '2025-02-30',
    };
    expect(validatePaymentOrder(input)).toMatchObject({ ok: false, code: 'UFEBS_ORDER_INVALID' });
    expect(errorsOf(input)).toEqual([
      ['UFEBS_TYPE', 'sum'],
      ['UFEBS_UNKNOWN_FIELD', 'comment'],
      ['UFEBS_DATE_INVALID', 'accDocDate'],
      ['UFEBS_INN_CHECKSUM', 'payer.inn'],
      ['UFEBS_BIC_FORMAT', 'payer.bank.bic'],
      ['UFEBS_ACCOUNT_KEY', 'payee.personalAcc'],
      ['UFEBS_TEXT_CHARSET', 'purpose'],
    ]);
  });

  it.each([
    ['accDocNo'],
    ['accDocDate'],
    ['sum'],
    ['transKind'],
    ['priority'],
    ['systemCode'],
    ['paymentPrecedence'],
    ['payer'],
    ['payee'],
    ['purpose'],
  ] as const)('a missing %s is UFEBS_REQUIRED', (field) => {
    const { [field]: _gone, ...rest } = ordinary;
    expect(errorsOf(rest)).toEqual([['UFEBS_REQUIRED', field]]);
  });

  it('requires the payer bank BIC and refuses unknown nested fields', () => {
    const input = {
      ...ordinary,
      payer: { ...ordinary.payer, bank: { correspAcc: ordinary.payer.bank.correspAcc, swift: 'X' } },
    };
    expect(errorsOf(input)).toEqual([
      ['UFEBS_UNKNOWN_FIELD', 'payer.bank.swift'],
      ['UFEBS_REQUIRED', 'payer.bank.bic'],
    ]);
  });

  it('refuses numbers where the schema has strings (no silent coercion)', () => {
    expect(errorsOf({ ...ordinary, priority: 5 })).toEqual([['UFEBS_TYPE', 'priority']]);
  });

  it('caps the number of reported errors', () => {
    const flood = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i]));
    const result = validatePaymentOrder(flood);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(MAX_REPORTED_ERRORS + 1);
    expect(result.errors?.at(-1)?.code).toBe('UFEBS_TOO_MANY_ERRORS');
  });
});

describe('validatePaymentOrder: properties', () => {
  it('every generated valid order passes', () => {
    fc.assert(
      fc.property(paymentOrderArbitrary(), (order) => {
        expect(errorsOf(order)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('a changed digit of the payer account fails with UFEBS_ACCOUNT_KEY', () => {
    const withAccount = paymentOrderArbitrary().filter((o) => o.payer.personalAcc !== undefined);
    fc.assert(
      fc.property(
        withAccount,
        fc.integer({ min: 0, max: 19 }).filter((i) => i !== 5),
        fc.integer({ min: 1, max: 9 }),
        (order, pos, delta) => {
          const acc = changeDigit(order.payer.personalAcc ?? '', pos, delta);
          fc.pre(!acc.startsWith('03'));
          expect(errorsOf({ ...order, payer: { ...order.payer, personalAcc: acc } })).toEqual([
            ['UFEBS_ACCOUNT_KEY', 'payer.personalAcc'],
          ]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a changed check digit of the payee INN fails with UFEBS_INN_CHECKSUM', () => {
    const withInn = paymentOrderArbitrary().filter((o) => o.payee.inn !== undefined && o.payee.inn !== '0');
    fc.assert(
      fc.property(withInn, fc.integer({ min: 1, max: 9 }), (order, delta) => {
        const inn = order.payee.inn ?? '';
        const changed = changeDigit(inn, inn.length - 1, delta);
        expect(errorsOf({ ...order, payee: { ...order.payee, inn: changed } })).toEqual([
          ['UFEBS_INN_CHECKSUM', 'payee.inn'],
        ]);
      }),
      { numRuns: 200 },
    );
  });

  it('a changed УИН control digit fails with UFEBS_PAYMENT_ID_CHECKSUM', () => {
    const withUin = paymentOrderArbitrary().filter(
      (o) => o.paymentId !== undefined && /^(\d{20}|\d{25})$/.test(o.paymentId),
    );
    fc.assert(
      fc.property(withUin, fc.integer({ min: 1, max: 9 }), (order, delta) => {
        const uin = order.paymentId ?? '';
        const changed = changeDigit(uin, uin.length - 1, delta);
        expect(errorsOf({ ...order, paymentId: changed })).toEqual([['UFEBS_PAYMENT_ID_CHECKSUM', 'paymentId']]);
      }),
      { numRuns: 100 },
    );
  });

  it('a budget order without one of its departmental fields fails with UFEBS_BUDGET_FIELD_REQUIRED', () => {
    const fields = ['drawerStatus', 'cbc', 'okato', 'paytReason', 'taxPeriod', 'docNo', 'docDate'] as const;
    fc.assert(
      fc.property(paymentOrderArbitrary('budget'), fc.constantFrom(...fields), (order, field) => {
        const { [field]: _gone, ...info } = order.departmentalInfo ?? {};
        expect(errorsOf({ ...order, departmentalInfo: info })).toEqual([
          ['UFEBS_BUDGET_FIELD_REQUIRED', `departmentalInfo.${field}`],
        ]);
      }),
      { numRuns: 100 },
    );
  });

  it('never throws on arbitrary values and always answers ok true or false', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (value) => {
        const result = validatePaymentOrder(value);
        expect(typeof result.ok).toBe('boolean');
        if (!result.ok) expect(result.errors?.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws when any field of a valid order is replaced by an arbitrary JSON value', () => {
    fc.assert(
      fc.property(paymentOrderArbitrary(), fc.jsonValue(), fc.nat(), (order, junk, pick) => {
        const keys = Object.keys(order);
        const key = keys[pick % keys.length] ?? 'sum';
        const result = validatePaymentOrder({ ...order, [key]: junk });
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 200 },
    );
  });
});

describe('validateEd101', () => {
  const identity = { kind: 'ED101', edNo: '17', edDate: '2025-04-15', edAuthor: '4525545000' } as const;

  it('passes an ED101 made of a valid order and a valid identity', () => {
    expect(validateEd101({ ...budget, ...identity, edReceiver: '4583001999' })).toEqual([]);
    fc.assert(
      fc.property(paymentOrderArbitrary(), (order) => {
        expect(validateEd101({ ...order, ...identity })).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('reports identity, receiver, processing details and requisites with the model paths', () => {
    const ed: Ed101 = {
      ...ordinary,
      ...identity,
      edNo: '0',
      edAuthor: '452554500',
      edReceiver: '12',
      processingDetails: { businessScenario: 'XXXX', debitDate: '2025-02-30', session: { sessionType: 'URGN' } },
      payer: { ...ordinary.payer, bank: { ...ordinary.payer.bank, bic: '044525226' } },
    };
    expect(validateEd101(ed).map((e) => [e.code, e.path])).toEqual([
      ['UFEBS_MESSAGE_NO_FORMAT', 'edNo'],
      ['UFEBS_UIS_FORMAT', 'edAuthor'],
      // The customer account's key uses BIC digits 7–9 and breaks; the correspondent account's key
      // uses digits 5–6, unchanged, so only its suffix (…225 ≠ 226) is wrong.
      ['UFEBS_ACCOUNT_KEY', 'payer.personalAcc'],
      ['UFEBS_CORRESP_ACC_BIC', 'payer.bank.correspAcc'],
      ['UFEBS_UIS_FORMAT', 'edReceiver'],
      ['UFEBS_CODE_VALUE', 'processingDetails.businessScenario'],
      ['UFEBS_DATE_INVALID', 'processingDetails.debitDate'],
      ['UFEBS_CHOICE', 'processingDetails.session'],
    ]);
  });
});
