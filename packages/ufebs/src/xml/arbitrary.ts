/**
 * fast-check arbitraries of schema-valid EDs, for property tests of the writer, the parser and
 * the normalization (and for the Bank of Russia simulator's tests). Every value they produce is
 * meant to validate against the UFEBS 2024.4.0 XSD: the tests check a sample of them with xmllint.
 *
 * Values follow the schema's lexical rules (cbr_ed_leaftypes, cbr_ed_basetypes), not the requisite
 * rules (control keys, INN checksums): those are the validators' concern.
 */
import fc from 'fast-check';
import type {
  DepartmentalInfo,
  Ed101,
  Ed201,
  Ed206,
  Ed211,
  Ed211TransInfo,
  EdIdentity,
  PacketEpd,
  Party,
  PaymentOrder,
  ProcessingDetails,
  Session,
  SettlementCondition,
  SettleNotEarlier,
  SigValue,
} from '../model.js';

/** Models are plain objects; fast-check would otherwise also build null-prototype ones. */
const PLAIN = { noNullPrototype: true } as const;

const LATIN = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i));
const CYRILLIC = [...Array.from({ length: 64 }, (_, i) => String.fromCharCode(0x410 + i)), 'Ё', 'ё', '№'];
/** First character of TextCategory: no space. */
const TEXT_FIRST = [...LATIN, ...CYRILLIC];
/** Other characters of TextCategory: `[ -~А-яЁё№]`. */
const TEXT_REST = [' ', ...TEXT_FIRST];

/** Text of the schema's TextCategory (`[ -~А-яЁё№]`, first character not a space), 1..max characters. */
export function ufebsText(max: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...TEXT_FIRST), fc.string({ unit: fc.constantFrom(...TEXT_REST), maxLength: max - 1 }))
    .map(([first, rest]) => first + rest);
}

const digits = (n: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^\\d{${n}}$`));

/** YYYY-MM-DD, a real date. */
export const dateArbitrary: fc.Arbitrary<string> = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

/** hh:mm:ss. */
export const timeArbitrary: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }))
  .map((parts) => parts.map((p) => String(p).padStart(2, '0')).join(':'));

const dateTime = fc.tuple(dateArbitrary, timeArbitrary).map(([d, t]) => `${d}T${t}Z`);
const amount = (maxDigits = 18): fc.Arbitrary<string> =>
  fc.bigInt({ min: 1n, max: 10n ** BigInt(maxDigits) - 1n }).map(String);
const notNegative = fc.bigInt({ min: 0n, max: 10n ** 18n - 1n }).map(String);
const balance = fc.bigInt({ min: -(10n ** 18n - 1n), max: 10n ** 18n - 1n }).map(String);
const account = fc.stringMatching(/^\d{5}[0-9ABCEHKMPTX]\d{14}$/);
const bic = digits(9);
const uis = digits(10);
const oneDigit = digits(1);
const edNo = fc.integer({ min: 1, max: 999_999_999 }).map(String);
const accDocNo = fc.integer({ min: 1, max: 999_999 }).map(String);
const systemCode = fc.constantFrom('02', '05');
const businessScenario = fc.constantFrom('ANNL', 'BLSW', 'CAPE', 'LOAN', 'SPEC', 'NSPK', 'PLCR');

/** An ED identity (EDNo, EDDate, EDAuthor). */
export const edIdentityArbitrary: fc.Arbitrary<EdIdentity> = fc.record(
  { edNo, edDate: dateArbitrary, edAuthor: uis },
  PLAIN,
);

/** A ЗК: base64 of random bytes, sometimes wrapped in lines as CMS tools write it, with an optional SigId. */
export const sigValueArbitrary: fc.Arbitrary<SigValue> = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.constantFrom('', '\n', '\r\n'), fc.option(digits(2)))
  .map(([bytes, eol, sigId]) => {
    const b64 = Buffer.from(bytes).toString('base64');
    const value = eol === '' ? b64 : (b64.match(/.{1,64}/g) ?? []).join(eol);
    return sigId === null ? { value } : { value, sigId };
  });

const sigValues = fc.array(sigValueArbitrary, { minLength: 1, maxLength: 3 });

const session: fc.Arbitrary<Session> = fc
  .tuple(
    fc.oneof(fc.record({ sessionId: oneDigit }, PLAIN), fc.record({ settlementTime: timeArbitrary }, PLAIN)),
    fc.record({ sessionType: fc.constantFrom('URGN', 'NURG', 'CONS') }, { noNullPrototype: true, requiredKeys: [] }),
  )
  .map(([choice, rest]) => ({ ...choice, ...rest }));

const settleNotEarlier: fc.Arbitrary<SettleNotEarlier> = fc.oneof(
  fc.record({ sessionId: oneDigit }, PLAIN),
  fc.record({ settlementTime: timeArbitrary }, PLAIN),
);

const party: fc.Arbitrary<Party> = fc.record(
  {
    name: ufebsText(160),
    personalAcc: account,
    inn: fc.oneof(digits(10), digits(12), fc.constant('0')),
    kpp: fc.oneof(digits(9), fc.constant('0')),
    bank: fc.record({ bic, correspAcc: account }, { noNullPrototype: true, requiredKeys: ['bic'] }),
  },
  { noNullPrototype: true, requiredKeys: ['name', 'bank'] },
);

const settlementCondition: fc.Arbitrary<SettlementCondition> = fc.oneof(
  fc.record(
    {
      conditionCode: fc.constant('RSRV'),
      liquidityReservation: fc.record(
        { confirmationMessageAuthor: uis, cancelIfNotReserved: fc.constantFrom('true', 'false', '1', '0') },
        { noNullPrototype: true, requiredKeys: ['cancelIfNotReserved'] },
      ),
    },
    PLAIN,
  ),
  fc.record(
    {
      conditionCode: fc.constant('COVR'),
      coverFunds: fc.record(
        { participantToBeNotified: uis, coverSum: fc.record({ min: notNegative, max: notNegative }, PLAIN) },
        { noNullPrototype: true, requiredKeys: [] },
      ),
    },
    PLAIN,
  ),
  fc.record(
    {
      conditionCode: fc.constant('ERCP'),
      rcp: fc.record(
        {
          beginProcessingDate: dateArbitrary,
          endProcessingDate: dateArbitrary,
          clearingCircuit: fc.constantFrom('0001', '0002', '0003'),
        },
        { noNullPrototype: true, requiredKeys: ['beginProcessingDate', 'endProcessingDate'] },
      ),
    },
    PLAIN,
  ),
);

const departmentalInfo: fc.Arbitrary<DepartmentalInfo> = fc.record(
  {
    drawerStatus: digits(2),
    cbc: fc.oneof(digits(20), fc.constant('0')),
    okato: fc.oneof(digits(8), digits(11), fc.constant('0')),
    paytReason: fc.constantFrom('ТП', 'ЗД', 'БФ', '0'),
    taxPeriod: fc.constantFrom('МС.03.2025', 'КВ.01.2024', '0', '10000000'),
    docNo: ufebsText(15),
    docDate: fc.oneof(
      dateArbitrary.map((d) => d.split('-').reverse().join('.')),
      fc.constant('0'),
    ),
    taxPaytKind: ufebsText(2),
  },
  { noNullPrototype: true, requiredKeys: [] },
);

const processingDetails: fc.Arbitrary<ProcessingDetails> = fc.record(
  { businessScenario, debitDate: dateArbitrary, creditDate: dateArbitrary, session },
  { noNullPrototype: true, requiredKeys: [] },
);

/** A payment order whose every value fits the ED101 schema (not necessarily the requisite rules). */
export function paymentOrderXsdArbitrary(maxSumDigits = 18): fc.Arbitrary<PaymentOrder> {
  return fc.record(
    {
      accDocNo,
      accDocDate: dateArbitrary,
      sum: amount(maxSumDigits),
      transKind: fc.constant('01'),
      priority: fc.constantFrom('0', '1', '2', '3', '4', '5'),
      systemCode,
      paymentPrecedence: digits(2),
      paytKind: oneDigit,
      paymentId: ufebsText(25),
      codePurpose: ufebsText(35),
      resField: ufebsText(35),
      operationId: ufebsText(32),
      receiptDate: dateArbitrary,
      fileDate: dateArbitrary,
      chargeOffDate: dateArbitrary,
      reqSettlementDate: dateArbitrary,
      settleNotEarlier,
      settleNotLater: fc.record({ settlementTime: timeArbitrary }, PLAIN),
      payer: party,
      payee: party,
      indirectParticipantInfo: fc.record(
        { ipBicPayer: bic, ipBicPayee: bic },
        { noNullPrototype: true, requiredKeys: [] },
      ),
      participantBusinessScenario: fc.constantFrom('AWCI', 'COVR', 'RCPC', 'RCPI', 'RSRV', 'RSOD'),
      settlementCondition,
      purpose: ufebsText(210),
      departmentalInfo,
      initialEd: edIdentityArbitrary,
      me2MeDetails: fc.record({ me2Me: fc.constant('MEME'), paymentCategory: fc.constantFrom('FREE', 'PAID') }, PLAIN),
    },
    {
      noNullPrototype: true,
      requiredKeys: [
        'accDocNo',
        'accDocDate',
        'sum',
        'transKind',
        'priority',
        'systemCode',
        'paymentPrecedence',
        'payer',
        'payee',
        'purpose',
      ],
    },
  );
}

const ed101Extras = fc.record(
  { edReceiver: uis, processingDetails, sigValues },
  { noNullPrototype: true, requiredKeys: [] },
);

/** An ED101 (payment order with identity, optional receiver, ProcessingDetails and ЗК). */
export function ed101Arbitrary(maxSumDigits = 18): fc.Arbitrary<Ed101> {
  return fc
    .tuple(paymentOrderXsdArbitrary(maxSumDigits), edIdentityArbitrary, ed101Extras)
    .map(([order, identity, extras]) => ({ kind: 'ED101' as const, ...identity, ...extras, ...order }));
}

/** A PacketEPD of 1..4 ED101s whose EDQuantity and Sum agree with its members. */
export const packetEpdArbitrary: fc.Arbitrary<PacketEpd> = fc
  .tuple(
    edIdentityArbitrary,
    fc.array(ed101Arbitrary(15), { minLength: 1, maxLength: 4 }),
    systemCode,
    fc.record({ edReceiver: uis, session, sigValues }, { noNullPrototype: true, requiredKeys: [] }),
  )
  .map(([identity, eds, code, extras]) => ({
    kind: 'PacketEPD' as const,
    ...identity,
    ...extras,
    edQuantity: String(eds.length),
    sum: String(eds.reduce((total, ed) => total + BigInt(ed.sum), 0n)),
    systemCode: code,
    eds,
  }));

/** An ED201 (result of control). */
export const ed201Arbitrary: fc.Arbitrary<Ed201> = fc
  .tuple(
    edIdentityArbitrary,
    fc.record(
      {
        edReceiver: uis,
        ctrlCode: digits(4),
        ctrlTime: dateTime,
        annotation: ufebsText(150),
        errorDiagnostic: ufebsText(300),
        msgId: ufebsText(150),
        edRefId: edIdentityArbitrary,
        sigValues,
      },
      { noNullPrototype: true, requiredKeys: ['ctrlCode', 'ctrlTime', 'annotation'] },
    ),
  )
  .map(([identity, rest]) => ({ kind: 'ED201' as const, ...identity, ...rest }));

/** An ED206 (debit/credit confirmation). */
export const ed206Arbitrary: fc.Arbitrary<Ed206> = fc
  .tuple(
    edIdentityArbitrary,
    fc.record(
      {
        edReceiver: uis,
        sum: amount(),
        transDate: dateArbitrary,
        transTime: timeArbitrary,
        dc: fc.constantFrom('1', '2'),
        bicCorr: bic,
        acc: account,
        corrAcc: account,
        vdkCode: oneDigit,
        systemCode,
        actualReceiver: uis,
        vdkSum: amount(),
        accDoc: fc.record({ accDocNo, accDocDate: dateArbitrary }, PLAIN),
        edRefId: edIdentityArbitrary,
        processingDetails,
        sigValues,
      },
      { noNullPrototype: true, requiredKeys: ['sum', 'transDate', 'transTime', 'dc', 'bicCorr', 'accDoc', 'edRefId'] },
    ),
  )
  .map(([identity, rest]) => ({ kind: 'ED206' as const, ...identity, ...rest }));

const transInfo: fc.Arbitrary<Ed211TransInfo> = fc.record(
  {
    dc: fc.constantFrom('1', '2'),
    sum: amount(),
    transKind: digits(2),
    turnoverKind: oneDigit,
    accDocNo,
    accDocDate: dateArbitrary,
    payerPersonalAcc: account,
    payeePersonalAcc: account,
    bicCorr: bic,
    cashDocNo: ufebsText(9),
    edRefId: edIdentityArbitrary,
  },
  {
    noNullPrototype: true,
    requiredKeys: ['dc', 'sum', 'transKind', 'turnoverKind', 'payerPersonalAcc', 'bicCorr', 'edRefId'],
  },
);

/** An ED211 (account statement) with 0..4 TransInfo entries. */
export const ed211Arbitrary: fc.Arbitrary<Ed211> = fc
  .tuple(
    edIdentityArbitrary,
    fc.record(
      {
        edReceiver: uis,
        abstractDate: dateArbitrary,
        abstractKind: oneDigit,
        acc: account,
        bic,
        endTime: timeArbitrary,
        beginTime: timeArbitrary,
        lastMovetDate: dateArbitrary,
        inquirySession: oneDigit,
        enterBal: balance,
        outBal: balance,
        debetSum: amount(),
        creditSum: amount(),
        reservedSum: amount(),
        creditLimitSum: amount(),
        arrestSum: amount(),
        partInfo: fc.record(
          {
            partNo: fc.integer({ min: 1, max: 999_999 }).map(String),
            partQuantity: fc.integer({ min: 1, max: 999_999 }).map(String),
            partAggregateId: fc.stringMatching(/^\d{1,27}$/),
          },
          PLAIN,
        ),
        initialEd: edIdentityArbitrary,
        transInfo: fc.array(transInfo, { maxLength: 4 }),
        fpsInfo: fc.record(
          {
            fpsLiquidity: notNegative,
            enterBalance: balance,
            currentBalance: balance,
            fpsCreditSum: notNegative,
            fpsDebetSum: notNegative,
          },
          { noNullPrototype: true, requiredKeys: ['fpsLiquidity', 'enterBalance', 'currentBalance'] },
        ),
        sigValues,
      },
      {
        noNullPrototype: true,
        requiredKeys: ['abstractDate', 'abstractKind', 'acc', 'bic', 'endTime', 'outBal', 'transInfo'],
      },
    ),
  )
  .map(([identity, rest]) => ({ kind: 'ED211' as const, ...identity, ...rest }));
