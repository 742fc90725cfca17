/**
 * fast-check arbitraries of payment orders that pass {@link validatePaymentOrder}: control keys are
 * computed for each account's BIC, INNs carry correct check digits, УИНs a correct control digit,
 * and budget orders (treasury payee, DepartmentalInfo) satisfy the budget rules. For property tests
 * here and in the XML, formation and control code.
 */
import fc from 'fast-check';
import type { Bank, DepartmentalInfo, Party, PaymentOrder, SettlementCondition } from '../model.js';
import { withAccountKey } from './account.js';
import { completeInn } from './inn.js';
import { uinControlDigit } from './payment-id.js';

const PLAIN = { noNullPrototype: true } as const;

const NON_SPACE = [
  ...Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)),
  ...Array.from({ length: 0x44f - 0x410 + 1 }, (_, i) => String.fromCharCode(0x410 + i)),
  'Ё',
  'ё',
  '№',
];
const ANY_TEXT_CHAR = [' ', ...NON_SPACE];

/** Text of the UFEBS set, 1..max characters, not starting with a space. */
export function ufebsTextArbitrary(max: number, chars: readonly string[] = NON_SPACE): fc.Arbitrary<string> {
  const rest = chars === NON_SPACE ? ANY_TEXT_CHAR : [' ', ...chars];
  return fc
    .tuple(fc.constantFrom(...chars), fc.string({ unit: fc.constantFrom(...rest), maxLength: max - 1 }))
    .map(([first, tail]) => first + tail);
}

const digits = (n: number): fc.Arbitrary<string> =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** An existing date YYYY-MM-DD between 2000 and 2099. */
export const isoDateArbitrary: fc.Arbitrary<string> = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

const ruDate = isoDateArbitrary.map((d) => `${d.slice(8, 10)}.${d.slice(5, 7)}.${d.slice(0, 4)}`);
const time = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m, s]) => `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}`);

/** A valid 10-digit (organisation) INN, region code 01–99. */
export const organisationInnArbitrary: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 99 }), digits(7))
  .map(([region, rest]) => completeInn(`${pad(region, 2)}${rest}`));

/** A valid 12-digit (person) INN, region code 01–99. */
export const personInnArbitrary: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 99 }), digits(8))
  .map(([region, rest]) => completeInn(`${pad(region, 2)}${rest}`));

/** A valid INN: 10 digits (organisation) or 12 digits (person), with correct check digits. */
export const innArbitrary: fc.Arbitrary<string> = fc.oneof(organisationInnArbitrary, personInnArbitrary);

const LATIN_UPPER = Array.from({ length: 26 }, (_, i) => String.fromCharCode(0x41 + i));
/** A KPP: 4 digits, 2 digits or capital Latin letters, 3 digits. */
export const kppArbitrary: fc.Arbitrary<string> = fc
  .tuple(
    digits(4),
    fc.oneof(
      { weight: 4, arbitrary: digits(2) },
      {
        weight: 1,
        arbitrary: fc.tuple(fc.constantFrom(...LATIN_UPPER), fc.constantFrom(...LATIN_UPPER)).map(([a, b]) => a + b),
      },
    ),
    digits(3),
  )
  .map(([a, b, c]) => a + b + c);

/** A valid 20- or 25-digit УИН (control digit computed, never all zeros). */
export const uinArbitrary: fc.Arbitrary<string> = fc
  .oneof(digits(19), digits(24))
  .filter((body) => /[1-9]/.test(body))
  .map((body) => `${body}${uinControlDigit(body)}`);

/** PaymentID values of an ordinary payment: "0", a УИН, or a short code. */
const paymentIdArbitrary = fc.oneof(fc.constant('0'), uinArbitrary, fc.stringMatching(/^[1-9][0-9A-Z]{0,9}$/));

/** A credit institution: BIC 04…, digits 7–9 not 000–002, 30101 correspondent account keyed for it. */
export const creditInstitutionBankArbitrary: fc.Arbitrary<Bank> = fc
  .tuple(digits(4), fc.integer({ min: 50, max: 999 }), fc.boolean())
  .map(([region, tail, withCorresp]) => {
    const bic = `04${region}${pad(tail, 3)}`;
    if (!withCorresp) return { bic };
    return { bic, correspAcc: withAccountKey(`30101810000000000${bic.slice(6)}`, bic, 'corresp') };
  });

const CURRENCY_LETTERS = 'ABCEHKMPTX'.split('');
/** A customer account at `bic` (never a treasury or budget revenue account), with its control key. */
function customerAccount(bic: string): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom('40702', '40701', '40703', '40802', '40817', '40602', '42301'),
      fc.oneof(
        { weight: 9, arbitrary: fc.constant('810') },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...CURRENCY_LETTERS), digits(2)).map(([l, d]) => l + d) },
      ),
      digits(11),
    )
    .map(([balance, currency, rest]) => withAccountKey(`${balance}${currency}0${rest}`, bic, 'personal'));
}

const name = ufebsTextArbitrary(160);

/** A payer or payee of an ordinary payment, at a credit institution; account, INN and KPP each optional. */
const ordinaryPartyArbitrary: fc.Arbitrary<Party> = creditInstitutionBankArbitrary.chain((bank) =>
  fc.record(
    {
      name,
      bank: fc.constant(bank),
      personalAcc: customerAccount(bank.bic),
      inn: fc.oneof(innArbitrary, fc.constant('0')),
      kpp: fc.oneof(kppArbitrary, fc.constant('0')),
    },
    { requiredKeys: ['name', 'bank'], ...PLAIN },
  ),
);

const settlementConditionArbitrary: fc.Arbitrary<SettlementCondition> = fc.oneof(
  fc.record(
    {
      conditionCode: fc.constant('RSRV'),
      liquidityReservation: fc.record(
        { confirmationMessageAuthor: digits(10), cancelIfNotReserved: fc.constantFrom('true', 'false', '1', '0') },
        { requiredKeys: ['cancelIfNotReserved'], ...PLAIN },
      ),
    },
    PLAIN,
  ),
  fc.record(
    {
      conditionCode: fc.constant('COVR'),
      coverFunds: fc.record(
        {
          participantToBeNotified: digits(10),
          coverSum: fc.record(
            { min: fc.bigInt(0n, 10n ** 12n).map(String), max: fc.bigInt(0n, 10n ** 12n).map(String) },
            PLAIN,
          ),
        },
        { requiredKeys: [], ...PLAIN },
      ),
    },
    PLAIN,
  ),
  fc.record(
    {
      conditionCode: fc.constant('ERCP'),
      rcp: fc.record(
        {
          beginProcessingDate: isoDateArbitrary,
          endProcessingDate: isoDateArbitrary,
          clearingCircuit: fc.constantFrom('0001', '0002', '0003'),
        },
        { requiredKeys: ['beginProcessingDate', 'endProcessingDate'], ...PLAIN },
      ),
    },
    PLAIN,
  ),
);

/** Everything of a payment order except the parties, the purpose-independent optional fields included. */
const commonFields = {
  accDocNo: fc.stringMatching(/^\d{1,6}$/).filter((v) => /[1-9]/.test(v)),
  accDocDate: isoDateArbitrary,
  sum: fc.bigInt(1n, 10n ** 18n - 1n).map(String),
  transKind: fc.constant('01'),
  priority: fc.constantFrom('0', '1', '2', '3', '4', '5'),
  systemCode: fc.constantFrom('02', '05'),
  paymentPrecedence: digits(2),
  purpose: ufebsTextArbitrary(210),
  paytKind: digits(1),
  codePurpose: ufebsTextArbitrary(35),
  resField: ufebsTextArbitrary(35),
  operationId: ufebsTextArbitrary(32),
  receiptDate: isoDateArbitrary,
  fileDate: isoDateArbitrary,
  chargeOffDate: isoDateArbitrary,
  reqSettlementDate: isoDateArbitrary,
  settleNotEarlier: fc.oneof(fc.record({ sessionId: digits(1) }, PLAIN), fc.record({ settlementTime: time }, PLAIN)),
  settleNotLater: fc.record({ settlementTime: time }, PLAIN),
  indirectParticipantInfo: fc.record(
    {
      ipBicPayer: creditInstitutionBankArbitrary.map((b) => b.bic),
      ipBicPayee: creditInstitutionBankArbitrary.map((b) => b.bic),
    },
    { requiredKeys: [], ...PLAIN },
  ),
  participantBusinessScenario: fc.constantFrom('AWCI', 'COVR', 'RCPC', 'RCPI', 'RSRV', 'RSOD'),
  settlementCondition: settlementConditionArbitrary,
  initialEd: fc.record(
    { edNo: fc.integer({ min: 1, max: 999_999_999 }).map(String), edDate: isoDateArbitrary, edAuthor: digits(10) },
    PLAIN,
  ),
  me2MeDetails: fc.record({ me2Me: fc.constant('MEME'), paymentCategory: fc.constantFrom('FREE', 'PAID') }, PLAIN),
};
const REQUIRED = [
  'accDocNo',
  'accDocDate',
  'sum',
  'transKind',
  'priority',
  'systemCode',
  'paymentPrecedence',
  'purpose',
] as const;

/** An ordinary payment between two customers of credit institutions (no budget requisites). */
export const ordinaryPaymentOrderArbitrary: fc.Arbitrary<PaymentOrder> = fc
  .tuple(
    fc.record({ ...commonFields, paymentId: paymentIdArbitrary }, { requiredKeys: [...REQUIRED], ...PLAIN }),
    ordinaryPartyArbitrary,
    ordinaryPartyArbitrary,
  )
  .map(([fields, payer, payee]) => ({ ...fields, payer, payee }));

const TAX_PERIOD = fc.oneof(
  fc.constant('0'),
  fc
    .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 2000, max: 2099 }))
    .map(([m, y]) => `МС.${pad(m, 2)}.${y}`),
  fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2000, max: 2099 })).map(([q, y]) => `КВ.0${q}.${y}`),
  fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 2000, max: 2099 })).map(([h, y]) => `ПЛ.0${h}.${y}`),
  fc.integer({ min: 2000, max: 2099 }).map((y) => `ГД.00.${y}`),
  ruDate,
  digits(8),
);

/** DepartmentalInfo of a budget payment, every field of поля 101, 104–109 present. */
export const departmentalInfoArbitrary: fc.Arbitrary<DepartmentalInfo> = fc.record(
  {
    drawerStatus: fc.integer({ min: 1, max: 36 }).map((n) => pad(n, 2)),
    cbc: fc.tuple(fc.integer({ min: 1, max: 9 }), digits(19)).map(([a, b]) => `${a}${b}`),
    okato: fc.oneof(
      fc.constant('0'),
      fc.tuple(fc.integer({ min: 1, max: 9 }), digits(7)).map(([a, b]) => `${a}${b}`),
      fc.tuple(fc.integer({ min: 1, max: 9 }), digits(10)).map(([a, b]) => `${a}${b}`),
    ),
    paytReason: fc.constantFrom(
      '0',
      'ТП',
      'ЗД',
      'БФ',
      'ТР',
      'РС',
      'ОТ',
      'РТ',
      'ПБ',
      'ПР',
      'АП',
      'АР',
      'ИН',
      'ТЛ',
      'ЗТ',
    ),
    taxPeriod: TAX_PERIOD,
    docNo: fc.oneof(
      fc.constant('0'),
      // 107н: the "№" sign is not written in поле 108.
      ufebsTextArbitrary(
        15,
        NON_SPACE.filter((c) => c !== '№'),
      ),
    ),
    docDate: fc.oneof(fc.constant('0'), ruDate),
    taxPaytKind: ufebsTextArbitrary(2),
  },
  { requiredKeys: ['drawerStatus', 'cbc', 'okato', 'paytReason', 'taxPeriod', 'docNo', 'docDate'], ...PLAIN },
);

/**
 * A treasury payee: either the single treasury account regime (a ТОФК BIC 00…/01…, a treasury
 * account 03100643…, the ЕКС 40102… as correspondent account, keyed for the BIC) or a legacy 40101
 * account at a Bank of Russia unit (BIC ending 000–002, keyed with the unit's prefix).
 */
const treasuryPayeeArbitrary: fc.Arbitrary<Party> = fc
  .tuple(
    name,
    organisationInnArbitrary,
    kppArbitrary,
    fc.boolean(),
    fc.constantFrom('0', '1'),
    digits(7),
    digits(11),
    digits(11),
  )
  .map(([payeeName, inn, kpp, ekc, bicKind, bicRest, accRest, corrRest]) => {
    if (ekc) {
      const bic = `0${bicKind}${bicRest}`;
      return {
        name: payeeName,
        personalAcc: `031006430${accRest}`,
        inn,
        kpp,
        bank: { bic, correspAcc: withAccountKey(`401028100${corrRest}`, bic, 'corresp') },
      };
    }
    const bic = `04${bicRest.slice(0, 4)}00${bicKind}`;
    return {
      name: payeeName,
      personalAcc: withAccountKey(`401018100${accRest}`, bic, 'personal'),
      inn,
      kpp,
      bank: { bic },
    };
  });

/** A payer of a budget payment: organisation (INN + real KPP) or person (12-digit INN, or "0" with a УИН; KPP may be "0"). */
function budgetPayerArbitrary(hasUin: boolean): fc.Arbitrary<Party> {
  const ids = fc.oneof(
    fc.record({ inn: organisationInnArbitrary, kpp: kppArbitrary }, PLAIN),
    fc.record({ inn: personInnArbitrary, kpp: fc.oneof(kppArbitrary, fc.constant('0')) }, PLAIN),
    ...(hasUin ? [fc.constant({ inn: '0', kpp: '0' })] : []),
  );
  return fc
    .tuple(creditInstitutionBankArbitrary, name, ids)
    .chain(([bank, payerName, { inn, kpp }]) =>
      customerAccount(bank.bic).map((personalAcc) => ({ name: payerName, personalAcc, inn, kpp, bank })),
    );
}

/** A payee of a non-treasury payment that still carries DepartmentalInfo: INN and KPP both given. */
const departmentalPayeeArbitrary: fc.Arbitrary<Party> = fc
  .tuple(creditInstitutionBankArbitrary, name, organisationInnArbitrary, kppArbitrary)
  .chain(([bank, payeeName, inn, kpp]) =>
    customerAccount(bank.bic).map((personalAcc) => ({ name: payeeName, personalAcc, inn, kpp, bank })),
  );

/** A payment to the budget: treasury payee (or DepartmentalInfo given), поля 101, 104–109, PaymentID, INN/KPP. */
export const budgetPaymentOrderArbitrary: fc.Arbitrary<PaymentOrder> = fc
  .oneof(fc.constant('0'), uinArbitrary)
  .chain((paymentId) =>
    fc
      .tuple(
        fc.record(commonFields, { requiredKeys: [...REQUIRED], ...PLAIN }),
        budgetPayerArbitrary(paymentId !== '0'),
        fc.oneof(
          { weight: 3, arbitrary: treasuryPayeeArbitrary },
          { weight: 1, arbitrary: departmentalPayeeArbitrary },
        ),
        departmentalInfoArbitrary,
      )
      .map(([fields, payer, payee, departmentalInfo]) => ({ ...fields, paymentId, payer, payee, departmentalInfo })),
  );

/** Which payment orders {@link paymentOrderArbitrary} produces. */
export type PaymentOrderKind = 'ordinary' | 'budget' | 'any';

/**
 * Payment orders that pass `validatePaymentOrder` (and the JSON Schema): ordinary payments between
 * customers of credit institutions, budget payments, or both (the default).
 */
export function paymentOrderArbitrary(kind: PaymentOrderKind = 'any'): fc.Arbitrary<PaymentOrder> {
  if (kind === 'ordinary') return ordinaryPaymentOrderArbitrary;
  if (kind === 'budget') return budgetPaymentOrderArbitrary;
  return fc.oneof(ordinaryPaymentOrderArbitrary, budgetPaymentOrderArbitrary);
}
