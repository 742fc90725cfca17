import { ACCOUNT_PATTERN } from './account.js';
import { AMOUNT_PATTERN, NON_NEGATIVE_AMOUNT_PATTERN } from './amount.js';
import { BIC_PATTERN } from './bic.js';
import {
  CBC_PATTERN,
  DOC_DATE_PATTERN,
  DOC_NO_PATTERN,
  DRAWER_STATUS_PATTERN,
  OKTMO_PATTERN,
  PAYT_REASON_PATTERN,
  TAX_PAYT_KIND_PATTERN,
  TAX_PERIOD_PATTERN,
} from './budget.js';
import {
  ACC_DOC_NO_PATTERN,
  CLEARING_CIRCUITS,
  CONDITION_CODES,
  INDICATOR_VALUES,
  ME2ME_VALUES,
  PARTICIPANT_BUSINESS_SCENARIOS,
  PAYMENT_CATEGORIES,
  PAYMENT_PRECEDENCE_PATTERN,
  PAYT_KIND_PATTERN,
  PRIORITY_VALUES,
  SESSION_ID_PATTERN,
  SYSTEM_CODE_VALUES,
  TRANS_KIND,
  UIS_PATTERN,
} from './codes-fields.js';
import { DATE_PATTERN, TIME_PATTERN } from './date.js';
import { ED_NO_PATTERN } from './identity.js';
import { INN_PATTERN, KPP_PATTERN } from './inn.js';
import { PAYMENT_ID_PATTERN } from './payment-id.js';
import type { ObjectShape, StringShape } from './shape.js';
import { TEXT_MAX, TEXT_PATTERN } from './text.js';

const str = (pattern: string, description?: string): StringShape =>
  description === undefined ? { type: 'string', pattern } : { type: 'string', pattern, description };
const text = (maxLength: number, description: string): StringShape => ({
  type: 'string',
  description,
  pattern: TEXT_PATTERN,
  minLength: 1,
  maxLength,
});
const oneOf = (values: readonly string[], description?: string): StringShape =>
  description === undefined ? { type: 'string', enum: values } : { type: 'string', enum: values, description };
const date = (description: string): StringShape => str(DATE_PATTERN, description);

const bank: ObjectShape = {
  type: 'object',
  properties: {
    bic: str(BIC_PATTERN, 'БИК (поле 11 / 14)'),
    correspAcc: str(ACCOUNT_PATTERN, 'correspondent account (поле 12 / 15)'),
  },
  required: ['bic'],
};

const party = (role: string): ObjectShape => ({
  type: 'object',
  description: role,
  properties: {
    name: text(TEXT_MAX.name, 'name (поле 8 / 16)'),
    personalAcc: str(ACCOUNT_PATTERN, 'account (поле 9 / 17)'),
    inn: str(INN_PATTERN, 'ИНН (поле 60 / 61)'),
    kpp: str(KPP_PATTERN, 'КПП (поле 102 / 103)'),
    bank,
  },
  required: ['name', 'bank'],
});

/**
 * The JSON shape of a {@link PaymentOrder} (the gateway's JSON form of everything of an ED101 the
 * payer decides), following `ed/cbr_ed101_v2024.4.0.xsd` with the model's camelCase names.
 */
export const PAYMENT_ORDER_SHAPE: ObjectShape = {
  type: 'object',
  description: 'UFEBS 2024.4.0 payment order (ED101 without the ED identity)',
  properties: {
    accDocNo: str(ACC_DOC_NO_PATTERN, 'document number, 1–6 digits (поле 3)'),
    accDocDate: date('document date (поле 4)'),
    sum: str(AMOUNT_PATTERN, 'amount in kopecks (поле 7)'),
    transKind: oneOf([TRANS_KIND], 'transaction kind (поле 18)'),
    priority: oneOf(PRIORITY_VALUES, 'очередность (поле 21)'),
    systemCode: oneOf(SYSTEM_CODE_VALUES, '02 non-urgent, 05 urgent'),
    paymentPrecedence: str(PAYMENT_PRECEDENCE_PATTERN, 'payment precedence, 2 digits'),
    paytKind: str(PAYT_KIND_PATTERN, 'payment kind (поле 5)'),
    paymentId: str(PAYMENT_ID_PATTERN, 'УИН / «Код» (поле 22)'),
    codePurpose: text(TEXT_MAX.code35, 'coded purpose (поле 20)'),
    resField: text(TEXT_MAX.code35, 'reserved field (поле 23)'),
    operationId: text(TEXT_MAX.operationId, 'operation identifier'),
    receiptDate: date('received by the payer’s bank (поле 62)'),
    fileDate: date('put in the file (поле 63)'),
    chargeOffDate: date('debited from the payer (поле 71)'),
    reqSettlementDate: date('requested settlement date'),
    settleNotEarlier: {
      type: 'object',
      properties: { sessionId: str(SESSION_ID_PATTERN), settlementTime: str(TIME_PATTERN) },
      exactlyOne: ['sessionId', 'settlementTime'],
    },
    settleNotLater: {
      type: 'object',
      properties: { settlementTime: str(TIME_PATTERN) },
      required: ['settlementTime'],
    },
    payer: party('payer'),
    payee: party('payee'),
    indirectParticipantInfo: {
      type: 'object',
      properties: { ipBicPayer: str(BIC_PATTERN), ipBicPayee: str(BIC_PATTERN) },
    },
    participantBusinessScenario: oneOf(PARTICIPANT_BUSINESS_SCENARIOS),
    settlementCondition: {
      type: 'object',
      properties: {
        conditionCode: oneOf(CONDITION_CODES),
        liquidityReservation: {
          type: 'object',
          properties: {
            confirmationMessageAuthor: str(UIS_PATTERN),
            cancelIfNotReserved: oneOf(INDICATOR_VALUES),
          },
          required: ['cancelIfNotReserved'],
        },
        coverFunds: {
          type: 'object',
          properties: {
            participantToBeNotified: str(UIS_PATTERN),
            coverSum: {
              type: 'object',
              properties: { min: str(NON_NEGATIVE_AMOUNT_PATTERN), max: str(NON_NEGATIVE_AMOUNT_PATTERN) },
              required: ['min', 'max'],
            },
          },
        },
        rcp: {
          type: 'object',
          properties: {
            beginProcessingDate: str(DATE_PATTERN),
            endProcessingDate: str(DATE_PATTERN),
            clearingCircuit: oneOf(CLEARING_CIRCUITS),
          },
          required: ['beginProcessingDate', 'endProcessingDate'],
        },
      },
      required: ['conditionCode'],
      exactlyOne: ['liquidityReservation', 'coverFunds', 'rcp'],
    },
    purpose: text(TEXT_MAX.purpose, 'purpose of payment (поле 24)'),
    departmentalInfo: {
      type: 'object',
      description: 'budget payment requisites (поля 101, 104–110)',
      properties: {
        drawerStatus: str(DRAWER_STATUS_PATTERN, 'поле 101'),
        cbc: str(CBC_PATTERN, 'КБК, поле 104'),
        okato: str(OKTMO_PATTERN, 'ОКТМО, поле 105'),
        paytReason: str(PAYT_REASON_PATTERN, 'поле 106'),
        taxPeriod: str(TAX_PERIOD_PATTERN, 'поле 107'),
        docNo: str(DOC_NO_PATTERN, 'поле 108'),
        docDate: str(DOC_DATE_PATTERN, 'поле 109'),
        taxPaytKind: str(TAX_PAYT_KIND_PATTERN, 'поле 110'),
      },
    },
    initialEd: {
      type: 'object',
      description: 'the ED this one refers to (поля 203–205)',
      properties: { edNo: str(ED_NO_PATTERN), edDate: str(DATE_PATTERN), edAuthor: str(UIS_PATTERN) },
      required: ['edNo', 'edDate', 'edAuthor'],
    },
    me2MeDetails: {
      type: 'object',
      properties: { me2Me: oneOf(ME2ME_VALUES), paymentCategory: oneOf(PAYMENT_CATEGORIES) },
      required: ['me2Me', 'paymentCategory'],
    },
  },
  required: [
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
};
