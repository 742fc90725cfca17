/**
 * The mapping between the typed models (model.ts) and the UFEBS 2024.4.0 XML, as one table per
 * schema type. The writer and the parser both walk these tables, so element order, attribute
 * names, required-ness and error paths cannot drift apart.
 *
 * Order is the schema's: attributes as declared along the type's inheritance chain (base type
 * first), child elements in sequence order. Sources: ed/cbr_ed101, cbr_ed201, cbr_ed206, cbr_ed211,
 * cbr_packetepd and cbr_ed_objects (v2024.4.0).
 */
import {
  type Bank,
  type DepartmentalInfo,
  DSIG_NAMESPACE,
  ED_NAMESPACE,
  type Ed101,
  type Ed201,
  type Ed206,
  type Ed211,
  type Ed211FpsInfo,
  type Ed211TransInfo,
  type EdRef,
  type IndirectParticipantInfo,
  type Me2MeDetails,
  type PacketEpd,
  type PartInfo,
  type Party,
  type ProcessingDetails,
  type Session,
  type SettlementCondition,
  type SettleNotEarlier,
  type SettleNotLater,
  type SigValue,
} from '../model.js';

/** An attribute mapped to a string property. */
export interface AttrSpec {
  xml: string;
  key: string;
  required: boolean;
}

/** A child element holding only text, mapped to a string property. */
export interface TextChildSpec {
  kind: 'text';
  xml: string;
  key: string;
  required: boolean;
}

/** A child element mapped to an object property. */
export interface ElementChildSpec {
  kind: 'element';
  xml: string;
  ns: string;
  key: string;
  required: boolean;
  spec: ElementSpec;
}

/** A repeated child element mapped to an array property. */
export interface RepeatedChildSpec {
  kind: 'repeated';
  xml: string;
  ns: string;
  key: string;
  /** Minimum occurrences (0 or 1). */
  min: number;
  /** Keep an empty array when there are none (otherwise the property is absent). */
  keepEmpty: boolean;
  spec: ElementSpec;
}

/** A child element whose attributes are properties of the parent object (ED101's AccDoc). */
export interface FlattenChildSpec {
  kind: 'flatten';
  xml: string;
  ns: string;
  required: boolean;
  spec: ElementSpec;
}

/** An `xs:choice`: exactly one of the options (or none when optional). */
export interface ChoiceChildSpec {
  kind: 'choice';
  required: boolean;
  options: (TextChildSpec | ElementChildSpec)[];
}

/** One entry of an element's content sequence. */
export type ChildSpec = TextChildSpec | ElementChildSpec | RepeatedChildSpec | FlattenChildSpec | ChoiceChildSpec;

/** How one schema type maps to one model object. */
export interface ElementSpec {
  attrs: AttrSpec[];
  children: ChildSpec[];
  /** Property that receives the element's own text (simple content with attributes: SigValue). */
  text?: string;
  /** Properties fixed by the element itself (the `kind` of an ED). */
  constants?: Readonly<Record<string, string>>;
  /** Child element names that are valid UFEBS but not handled here (reported as UFEBS_ED_UNSUPPORTED). */
  unsupported?: readonly string[];
}

/** Keys of every member of a union (`keyof` of a union is only the common keys). */
type Keys<T> = (T extends unknown ? keyof T : never) & string;

const REQUIRED = true;
const OPTIONAL = false;

/** Builders typed by the model object, so that a misspelt property is a compile error. */
function builder<T>() {
  return {
    attr: (xml: string, key: Keys<T>, required = OPTIONAL): AttrSpec => ({ xml, key, required }),
    text: (xml: string, key: Keys<T>, required = OPTIONAL): TextChildSpec => ({ kind: 'text', xml, key, required }),
    child: (
      xml: string,
      key: Keys<T>,
      spec: ElementSpec,
      required = OPTIONAL,
      ns = ED_NAMESPACE,
    ): ElementChildSpec => ({
      kind: 'element',
      xml,
      ns,
      key,
      required,
      spec,
    }),
    repeated: (
      xml: string,
      key: Keys<T>,
      spec: ElementSpec,
      options: { min: number; keepEmpty: boolean; ns?: string },
    ): RepeatedChildSpec => ({
      kind: 'repeated',
      xml,
      ns: options.ns ?? ED_NAMESPACE,
      key,
      min: options.min,
      keepEmpty: options.keepEmpty,
      spec,
    }),
    flatten: (xml: string, spec: ElementSpec, required = OPTIONAL): FlattenChildSpec => ({
      kind: 'flatten',
      xml,
      ns: ED_NAMESPACE,
      required,
      spec,
    }),
    choice: (required: boolean, ...options: (TextChildSpec | ElementChildSpec)[]): ChoiceChildSpec => ({
      kind: 'choice',
      required,
      options,
    }),
    textKey: (key: Keys<T>): string => key,
  };
}

// ---- dsig ------------------------------------------------------------------------------------

const sig = builder<SigValue>();
/** dsig:SigValue (cbr_dsig_v1.1.0.xsd): base64 simple content with an optional 2-digit SigId. */
export const SIG_VALUE: ElementSpec = { attrs: [sig.attr('SigId', 'sigId')], children: [], text: sig.textKey('value') };

/** The `dsig:SigValue*` that the base type ED puts first in every ED (NOTES.md: ЗК). */
function sigValues(): RepeatedChildSpec {
  return builder<{ sigValues: SigValue[] }>().repeated('SigValue', 'sigValues', SIG_VALUE, {
    min: 0,
    keepEmpty: false,
    ns: DSIG_NAMESPACE,
  });
}

// ---- shared objects (cbr_ed_objects) ---------------------------------------------------------

const ref = builder<EdRef>();
/** EDRefID. */
export const ED_REF_ID: ElementSpec = {
  attrs: [
    ref.attr('EDNo', 'edNo', REQUIRED),
    ref.attr('EDDate', 'edDate', REQUIRED),
    ref.attr('EDAuthor', 'edAuthor', REQUIRED),
  ],
  children: [],
};

const ses = builder<Session>();
/** Session: a choice of SessionID or SettlementTime, and SessionType. */
const SESSION: ElementSpec = {
  attrs: [ses.attr('SessionType', 'sessionType')],
  children: [ses.choice(REQUIRED, ses.text('SessionID', 'sessionId'), ses.text('SettlementTime', 'settlementTime'))],
};

const sne = builder<SettleNotEarlier>();
const SETTLE_NOT_EARLIER: ElementSpec = {
  attrs: [],
  children: [sne.choice(REQUIRED, sne.text('SessionID', 'sessionId'), sne.text('SettlementTime', 'settlementTime'))],
};

const snl = builder<SettleNotLater>();
const SETTLE_NOT_LATER: ElementSpec = { attrs: [], children: [snl.text('SettlementTime', 'settlementTime', REQUIRED)] };

const bank = builder<Bank>();
const BANK_RU: ElementSpec = {
  attrs: [bank.attr('BIC', 'bic', REQUIRED), bank.attr('CorrespAcc', 'correspAcc')],
  children: [],
};

const party = builder<Party>();
/** PayerRU and PayeeRU (identical types). */
const PARTY_RU: ElementSpec = {
  attrs: [party.attr('PersonalAcc', 'personalAcc'), party.attr('INN', 'inn'), party.attr('KPP', 'kpp')],
  children: [party.text('Name', 'name', REQUIRED), party.child('Bank', 'bank', BANK_RU, REQUIRED)],
};

const ipi = builder<IndirectParticipantInfo>();
const INDIRECT_PARTICIPANT_INFO: ElementSpec = {
  attrs: [ipi.attr('IPBICPayer', 'ipBicPayer'), ipi.attr('IPBICPayee', 'ipBicPayee')],
  children: [],
};

type Liquidity = NonNullable<SettlementCondition['liquidityReservation']>;
type CoverFunds = NonNullable<SettlementCondition['coverFunds']>;
type CoverSum = NonNullable<CoverFunds['coverSum']>;
type Rcp = NonNullable<SettlementCondition['rcp']>;

const liq = builder<Liquidity>();
const cover = builder<CoverFunds>();
const coverSum = builder<CoverSum>();
const rcp = builder<Rcp>();
const cond = builder<SettlementCondition>();
const SETTLEMENT_CONDITION: ElementSpec = {
  attrs: [cond.attr('ConditionCode', 'conditionCode', REQUIRED)],
  children: [
    cond.choice(
      REQUIRED,
      cond.child('LiquidityReservationSchemeParameters', 'liquidityReservation', {
        attrs: [
          liq.attr('ConfirmationMessageAuthor', 'confirmationMessageAuthor'),
          liq.attr('CancelIfNotReserved', 'cancelIfNotReserved', REQUIRED),
        ],
        children: [],
      }),
      cond.child('CoverFundsSchemeParameters', 'coverFunds', {
        attrs: [cover.attr('ParticipantToBeNotified', 'participantToBeNotified')],
        children: [
          cover.child('CoverSum', 'coverSum', {
            attrs: [coverSum.attr('Min', 'min', REQUIRED), coverSum.attr('Max', 'max', REQUIRED)],
            children: [],
          }),
        ],
      }),
      cond.child('RCPSchemeParameters', 'rcp', {
        attrs: [
          rcp.attr('BeginProcessingDate', 'beginProcessingDate', REQUIRED),
          rcp.attr('EndProcessingDate', 'endProcessingDate', REQUIRED),
          rcp.attr('ClearingCircuit', 'clearingCircuit'),
        ],
        children: [],
      }),
    ),
  ],
};

const dep = builder<DepartmentalInfo>();
const DEPARTMENTAL_INFO: ElementSpec = {
  attrs: [
    dep.attr('DrawerStatus', 'drawerStatus'),
    dep.attr('CBC', 'cbc'),
    dep.attr('OKATO', 'okato'),
    dep.attr('PaytReason', 'paytReason'),
    dep.attr('TaxPeriod', 'taxPeriod'),
    dep.attr('DocNo', 'docNo'),
    dep.attr('DocDate', 'docDate'),
    dep.attr('TaxPaytKind', 'taxPaytKind'),
  ],
  children: [],
};

const pd = builder<ProcessingDetails>();
const PROCESSING_DETAILS: ElementSpec = {
  attrs: [
    pd.attr('BusinessScenario', 'businessScenario'),
    pd.attr('DebitDate', 'debitDate'),
    pd.attr('CreditDate', 'creditDate'),
  ],
  children: [pd.child('Session', 'session', SESSION)],
};
/** ED206ProcessingDetails: the same fields, declared in another order. */
const ED206_PROCESSING_DETAILS: ElementSpec = {
  attrs: [
    pd.attr('DebitDate', 'debitDate'),
    pd.attr('CreditDate', 'creditDate'),
    pd.attr('BusinessScenario', 'businessScenario'),
  ],
  children: [pd.child('Session', 'session', SESSION)],
};

const me2me = builder<Me2MeDetails>();
const ME2ME_DETAILS: ElementSpec = {
  attrs: [me2me.attr('Me2Me', 'me2Me', REQUIRED), me2me.attr('PaymentCategory', 'paymentCategory', REQUIRED)],
  children: [],
};

// ---- ED101 ----------------------------------------------------------------------------------

const ed101 = builder<Ed101>();
/** ED101 → EPDComplete → ED → EDRefID. */
export const ED101: ElementSpec = {
  constants: { kind: 'ED101' },
  attrs: [
    // EDRefID
    ed101.attr('EDNo', 'edNo', REQUIRED),
    ed101.attr('EDDate', 'edDate', REQUIRED),
    ed101.attr('EDAuthor', 'edAuthor', REQUIRED),
    // EPDComplete
    ed101.attr('EDReceiver', 'edReceiver'),
    ed101.attr('PaytKind', 'paytKind'),
    ed101.attr('Sum', 'sum', REQUIRED),
    ed101.attr('PaymentPrecedence', 'paymentPrecedence', REQUIRED),
    ed101.attr('ReqSettlementDate', 'reqSettlementDate'),
    ed101.attr('CodePurpose', 'codePurpose'),
    // ED101
    ed101.attr('TransKind', 'transKind', REQUIRED),
    ed101.attr('Priority', 'priority', REQUIRED),
    ed101.attr('ReceiptDate', 'receiptDate'),
    ed101.attr('FileDate', 'fileDate'),
    ed101.attr('ChargeOffDate', 'chargeOffDate'),
    ed101.attr('SystemCode', 'systemCode', REQUIRED),
    ed101.attr('PaymentID', 'paymentId'),
    ed101.attr('ResField', 'resField'),
    ed101.attr('OperationID', 'operationId'),
  ],
  children: [
    sigValues(),
    ed101.child('SettleNotEarlier', 'settleNotEarlier', SETTLE_NOT_EARLIER),
    ed101.child('SettleNotLater', 'settleNotLater', SETTLE_NOT_LATER),
    ed101.flatten(
      'AccDoc',
      {
        attrs: [ed101.attr('AccDocNo', 'accDocNo', REQUIRED), ed101.attr('AccDocDate', 'accDocDate', REQUIRED)],
        children: [],
      },
      REQUIRED,
    ),
    ed101.child('Payer', 'payer', PARTY_RU, REQUIRED),
    ed101.child('Payee', 'payee', PARTY_RU, REQUIRED),
    ed101.child('IndirectParticipantInfo', 'indirectParticipantInfo', INDIRECT_PARTICIPANT_INFO),
    ed101.text('ParticipantBusinessScenario', 'participantBusinessScenario'),
    ed101.child('SettlementCondition', 'settlementCondition', SETTLEMENT_CONDITION),
    ed101.text('Purpose', 'purpose', REQUIRED),
    ed101.child('DepartmentalInfo', 'departmentalInfo', DEPARTMENTAL_INFO),
    ed101.child('InitialED', 'initialEd', ED_REF_ID),
    ed101.child('ProcessingDetails', 'processingDetails', PROCESSING_DETAILS),
    ed101.child('Me2MeDetails', 'me2MeDetails', ME2ME_DETAILS),
  ],
};

// ---- PacketEPD ------------------------------------------------------------------------------

const packet = builder<PacketEpd>();
/** PacketEPD → ESID → ED. Only ED101 members are handled; ED103…ED111 are reported as unsupported. */
export const PACKET_EPD: ElementSpec = {
  constants: { kind: 'PacketEPD' },
  attrs: [
    packet.attr('EDNo', 'edNo', REQUIRED),
    packet.attr('EDDate', 'edDate', REQUIRED),
    packet.attr('EDAuthor', 'edAuthor', REQUIRED),
    packet.attr('EDReceiver', 'edReceiver'),
    packet.attr('EDQuantity', 'edQuantity', REQUIRED),
    packet.attr('Sum', 'sum', REQUIRED),
    packet.attr('SystemCode', 'systemCode', REQUIRED),
  ],
  children: [
    sigValues(),
    packet.child('Session', 'session', SESSION),
    packet.repeated('ED101', 'eds', ED101, { min: 1, keepEmpty: true }),
  ],
  unsupported: ['ED103', 'ED104', 'ED105', 'ED107', 'ED108', 'ED109', 'ED110', 'ED111'],
};

// ---- ED201 ----------------------------------------------------------------------------------

const ed201 = builder<Ed201>();
/** ED201 → ESID → ED. */
export const ED201: ElementSpec = {
  constants: { kind: 'ED201' },
  attrs: [
    ed201.attr('EDNo', 'edNo', REQUIRED),
    ed201.attr('EDDate', 'edDate', REQUIRED),
    ed201.attr('EDAuthor', 'edAuthor', REQUIRED),
    ed201.attr('EDReceiver', 'edReceiver'),
    ed201.attr('CtrlCode', 'ctrlCode', REQUIRED),
    ed201.attr('CtrlTime', 'ctrlTime', REQUIRED),
  ],
  children: [
    sigValues(),
    ed201.text('Annotation', 'annotation', REQUIRED),
    ed201.text('ErrorDiagnostic', 'errorDiagnostic'),
    ed201.text('MsgID', 'msgId'),
    ed201.child('EDRefID', 'edRefId', ED_REF_ID),
  ],
};

// ---- ED206 ----------------------------------------------------------------------------------

const ed206 = builder<Ed206>();
const accDocRef = builder<Ed206['accDoc']>();
/** ED206 → ESID → ED. */
export const ED206: ElementSpec = {
  constants: { kind: 'ED206' },
  attrs: [
    ed206.attr('EDNo', 'edNo', REQUIRED),
    ed206.attr('EDDate', 'edDate', REQUIRED),
    ed206.attr('EDAuthor', 'edAuthor', REQUIRED),
    ed206.attr('EDReceiver', 'edReceiver'),
    ed206.attr('Acc', 'acc'),
    ed206.attr('BICCorr', 'bicCorr', REQUIRED),
    ed206.attr('CorrAcc', 'corrAcc'),
    ed206.attr('Sum', 'sum', REQUIRED),
    ed206.attr('TransDate', 'transDate', REQUIRED),
    ed206.attr('TransTime', 'transTime', REQUIRED),
    ed206.attr('DC', 'dc', REQUIRED),
    ed206.attr('VDKCode', 'vdkCode'),
    ed206.attr('SystemCode', 'systemCode'),
    ed206.attr('ActualReceiver', 'actualReceiver'),
    ed206.attr('VDKSum', 'vdkSum'),
  ],
  children: [
    sigValues(),
    ed206.child(
      'AccDoc',
      'accDoc',
      {
        attrs: [accDocRef.attr('AccDocNo', 'accDocNo', REQUIRED), accDocRef.attr('AccDocDate', 'accDocDate', REQUIRED)],
        children: [],
      },
      REQUIRED,
    ),
    ed206.child('EDRefID', 'edRefId', ED_REF_ID, REQUIRED),
    ed206.child('ProcessingDetails', 'processingDetails', ED206_PROCESSING_DETAILS),
  ],
};

// ---- ED211 ----------------------------------------------------------------------------------

const ti = builder<Ed211TransInfo>();
const TRANS_INFO: ElementSpec = {
  attrs: [
    ti.attr('AccDocNo', 'accDocNo'),
    ti.attr('AccDocDate', 'accDocDate'),
    ti.attr('BICCorr', 'bicCorr', REQUIRED),
    ti.attr('DC', 'dc', REQUIRED),
    ti.attr('PayeePersonalAcc', 'payeePersonalAcc'),
    ti.attr('PayerPersonalAcc', 'payerPersonalAcc', REQUIRED),
    ti.attr('Sum', 'sum', REQUIRED),
    ti.attr('TransKind', 'transKind', REQUIRED),
    ti.attr('TurnoverKind', 'turnoverKind', REQUIRED),
    ti.attr('CashDocNo', 'cashDocNo'),
  ],
  children: [ti.child('EDRefID', 'edRefId', ED_REF_ID, REQUIRED)],
};

const part = builder<PartInfo>();
const PART_INFO: ElementSpec = {
  attrs: [
    part.attr('PartNo', 'partNo', REQUIRED),
    part.attr('PartQuantity', 'partQuantity', REQUIRED),
    part.attr('PartAggregateID', 'partAggregateId', REQUIRED),
  ],
  children: [],
};

const fps = builder<Ed211FpsInfo>();
const FPS_INFO: ElementSpec = {
  attrs: [
    fps.attr('FPSLiquidity', 'fpsLiquidity', REQUIRED),
    fps.attr('EnterBalance', 'enterBalance', REQUIRED),
    fps.attr('CurrentBalance', 'currentBalance', REQUIRED),
    fps.attr('FPSCreditSum', 'fpsCreditSum'),
    fps.attr('FPSDebetSum', 'fpsDebetSum'),
  ],
  children: [],
};

const ed211 = builder<Ed211>();
/** ED211 → ESIDWithPartInfo → ESID → ED. */
export const ED211: ElementSpec = {
  constants: { kind: 'ED211' },
  attrs: [
    ed211.attr('EDNo', 'edNo', REQUIRED),
    ed211.attr('EDDate', 'edDate', REQUIRED),
    ed211.attr('EDAuthor', 'edAuthor', REQUIRED),
    ed211.attr('EDReceiver', 'edReceiver'),
    ed211.attr('ReservedSum', 'reservedSum'),
    ed211.attr('CreditLimitSum', 'creditLimitSum'),
    ed211.attr('CreditSum', 'creditSum'),
    ed211.attr('DebetSum', 'debetSum'),
    ed211.attr('OutBal', 'outBal', REQUIRED),
    ed211.attr('EnterBal', 'enterBal'),
    ed211.attr('BIC', 'bic', REQUIRED),
    ed211.attr('Acc', 'acc', REQUIRED),
    ed211.attr('EndTime', 'endTime', REQUIRED),
    ed211.attr('BeginTime', 'beginTime'),
    ed211.attr('AbstractDate', 'abstractDate', REQUIRED),
    ed211.attr('LastMovetDate', 'lastMovetDate'),
    ed211.attr('AbstractKind', 'abstractKind', REQUIRED),
    ed211.attr('InquirySession', 'inquirySession'),
    ed211.attr('ArrestSum', 'arrestSum'),
  ],
  children: [
    sigValues(),
    ed211.child('PartInfo', 'partInfo', PART_INFO),
    ed211.child('InitialED', 'initialEd', ED_REF_ID),
    ed211.repeated('TransInfo', 'transInfo', TRANS_INFO, { min: 0, keepEmpty: true }),
    ed211.child('FPSInfo', 'fpsInfo', FPS_INFO),
  ],
};

/** Root element name → its table, for every ED the package handles. */
export const ROOT_SPECS: Readonly<Record<string, ElementSpec>> = {
  ED101,
  PacketEPD: PACKET_EPD,
  ED201,
  ED206,
  ED211,
};
