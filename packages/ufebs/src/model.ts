/**
 * Typed models of the UFEBS 2024.4.0 messages the gateway writes and reads.
 *
 * Field names are the schema's names in camelCase; every value is kept as the string the schema
 * defines (codes such as Priority "5" or SystemCode "02", amounts in kopecks as digit strings), so a
 * value never changes between the back office's JSON, the ED and the primary document that control
 * compares it with. Optional schema attributes are optional properties: absent, never empty.
 */

/** Namespace of every ED (`urn:cbr-ru:ed:v2.0`). */
export const ED_NAMESPACE = 'urn:cbr-ru:ed:v2.0';
/** Namespace of `SigValue` (ЗК) and `MACValue` (КА). */
export const DSIG_NAMESPACE = 'urn:cbr-ru:dsig:v1.1';
/** Namespace of `SigEnvelope` (the КА envelope of a file). */
export const DSIG_ENV_NAMESPACE = 'urn:cbr-ru:dsig:env:v1.1';
/** XML Schema instance namespace (attributes dropped by normalization). */
export const XSI_NAMESPACE = 'http://www.w3.org/2001/XMLSchema-instance';

/** Identity of an ED: EDNo + EDDate + EDAuthor is unique per author and date (schema type EDRefID). */
export interface EdIdentity {
  /** 1..999999999, decimal digits without leading zeros. */
  edNo: string;
  /** YYYY-MM-DD. */
  edDate: string;
  /** УИС of the author, 10 digits. */
  edAuthor: string;
}

/** A bank (schema BankRU). */
export interface Bank {
  /** БИК, 9 digits (поле 11 / 14). */
  bic: string;
  /** Correspondent account, 20 characters (поле 12 / 15). */
  correspAcc?: string;
}

/** Payer or payee (schema PayerRU / PayeeRU). */
export interface Party {
  /** Name, 1..160 characters of the text set (поле 8 / 16). */
  name: string;
  /** Account, 20 characters (поле 9 / 17). */
  personalAcc?: string;
  /** ИНН: 10 or 12 digits, or "0" where the rules allow (поле 60 / 61). */
  inn?: string;
  /** КПП: 9 characters, or "0" (поле 102 / 103). */
  kpp?: string;
  bank: Bank;
}

/** Budget payment requisites (schema DepartmentalInfo, поля 101, 104–110). */
export interface DepartmentalInfo {
  /** Поле 101: status of the drawer, 2 digits. */
  drawerStatus?: string;
  /** Поле 104: КБК, 20 characters or "0". */
  cbc?: string;
  /** Поле 105: ОКТМО (8 or 11 digits) or "0". The schema calls it OKATO. */
  okato?: string;
  /** Поле 106: basis of the payment, 2 characters or "0". */
  paytReason?: string;
  /** Поле 107: tax period (10 characters, e.g. "МС.03.2025"), a customs code (8 digits) or "0". */
  taxPeriod?: string;
  /** Поле 108: document number, up to 15 characters, or "0". */
  docNo?: string;
  /** Поле 109: document date DD.MM.YYYY, or "0". */
  docDate?: string;
  /** Поле 110 (no longer used by tax payments, kept for others). */
  taxPaytKind?: string;
}

/** Reference to an ED (schema EDRefID), e.g. InitialED. */
export type EdRef = EdIdentity;

/** Schema Session: a settlement session. */
export interface Session {
  sessionId?: string;
  settlementTime?: string;
  sessionType?: string;
}

/** Schema SettleNotEarlier: a choice of session or time. */
export type SettleNotEarlier = { sessionId: string } | { settlementTime: string };

/** Schema SettleNotLater. */
export interface SettleNotLater {
  settlementTime: string;
}

/** Schema SettlementCondition (one of three scheme parameter sets). */
export interface SettlementCondition {
  conditionCode: string;
  liquidityReservation?: { confirmationMessageAuthor?: string; cancelIfNotReserved: string };
  /** Schema CoverFundsSchemeParameters; CoverSum carries two required amounts, Min and Max (kopecks). */
  coverFunds?: { participantToBeNotified?: string; coverSum?: { min: string; max: string } };
  rcp?: { beginProcessingDate: string; endProcessingDate: string; clearingCircuit?: string };
}

/** Schema ProcessingDetails: filled in by the Bank of Russia. */
export interface ProcessingDetails {
  businessScenario?: string;
  debitDate?: string;
  creditDate?: string;
  session?: Session;
}

/** Schema IndirectParticipantInfoType (2024). */
export interface IndirectParticipantInfo {
  ipBicPayer?: string;
  ipBicPayee?: string;
}

/** Schema Me2MeDetailsType (2024). */
export interface Me2MeDetails {
  me2Me: string;
  paymentCategory: string;
}

/**
 * A payment order as the back office sends it to formation (the gateway's JSON form).
 * It is everything of an ED101 that the payer decides; formation adds the ED identity.
 */
export interface PaymentOrder {
  /** Поле 3: document number, 1..6 digits, not all zeros. */
  accDocNo: string;
  /** Поле 4: document date, YYYY-MM-DD. */
  accDocDate: string;
  /** Поле 7: amount in kopecks, digits, > 0, at most 18 digits. */
  sum: string;
  /** Поле 18: "01" for a payment order. */
  transKind: string;
  /** Поле 21: очередность, "0".."5". */
  priority: string;
  /** "02" non-urgent, "05" urgent. */
  systemCode: string;
  /** 2 digits, required since 2024.4.0. */
  paymentPrecedence: string;
  /** Поле 5: вид платежа, 1 digit. */
  paytKind?: string;
  /** Поле 22: УИН / «Код», 1..25 characters. */
  paymentId?: string;
  /** Поле 20. */
  codePurpose?: string;
  /** Поле 23. */
  resField?: string;
  /** 2024: operation identifier, 1..32 characters. */
  operationId?: string;
  /** Поле 62. */
  receiptDate?: string;
  /** Поле 63. */
  fileDate?: string;
  /** Поле 71. */
  chargeOffDate?: string;
  reqSettlementDate?: string;
  settleNotEarlier?: SettleNotEarlier;
  settleNotLater?: SettleNotLater;
  payer: Party;
  payee: Party;
  indirectParticipantInfo?: IndirectParticipantInfo;
  participantBusinessScenario?: string;
  settlementCondition?: SettlementCondition;
  /** Поле 24, 1..210 characters of the text set. */
  purpose: string;
  departmentalInfo?: DepartmentalInfo;
  /** Поля 203–205: the ED this one replaces or refers to. */
  initialEd?: EdRef;
  me2MeDetails?: Me2MeDetails;
}

/** A ЗК carried in an ED: `dsig:SigValue`, base64 of a detached CMS, with an optional 2-digit SigId. */
export interface SigValue {
  /** Base64 text exactly as found or to be written (no re-encoding of an existing ЗК). */
  value: string;
  sigId?: string;
}

/** ED101 — платёжное поручение: the order plus the ED identity and what the Bank of Russia adds. */
export interface Ed101 extends PaymentOrder, EdIdentity {
  kind: 'ED101';
  /** УИС of the receiver, 10 digits. */
  edReceiver?: string;
  processingDetails?: ProcessingDetails;
  /** ЗК already on the ED, in document order (the first ones are formation's). */
  sigValues?: SigValue[];
}

/** PacketEPD — a packet of EDs (here: ED101) with its own identity. */
export interface PacketEpd extends EdIdentity {
  kind: 'PacketEPD';
  edReceiver?: string;
  /** Number of EDs in the packet; must equal eds.length. */
  edQuantity: string;
  /** Total of the EDs' Sum, kopecks. */
  sum: string;
  systemCode: string;
  session?: Session;
  eds: Ed101[];
  sigValues?: SigValue[];
}

/** ED201 — result of control by the Bank of Russia (schema ED201: ESID + Annotation, …). */
export interface Ed201 extends EdIdentity {
  kind: 'ED201';
  edReceiver?: string;
  /** 4 digits; the result code. */
  ctrlCode: string;
  /** Time of the control, `YYYY-MM-DDThh:mm:ssZ`. */
  ctrlTime: string;
  /** Required by the schema: the explanation of the result, 1..150 characters. */
  annotation: string;
  errorDiagnostic?: string;
  msgId?: string;
  /** The ED this answers. */
  edRefId?: EdRef;
  sigValues?: SigValue[];
}

/** ED206 — confirmation of a debit or credit (schema ED206: ESID + AccDoc, EDRefID, ProcessingDetails?). */
export interface Ed206 extends EdIdentity {
  kind: 'ED206';
  edReceiver?: string;
  sum: string;
  transDate: string;
  /** Required by the schema, `hh:mm:ss`. */
  transTime: string;
  /** "1" debit, "2" credit. */
  dc: string;
  bicCorr: string;
  acc?: string;
  corrAcc?: string;
  /** 1 digit. */
  vdkCode?: string;
  systemCode?: string;
  /** УИС of the actual receiver, 10 digits. */
  actualReceiver?: string;
  vdkSum?: string;
  accDoc: { accDocNo: string; accDocDate: string };
  /** Required by the schema: the ED confirmed. */
  edRefId: EdRef;
  /** Schema ED206ProcessingDetails (same fields as ProcessingDetails). */
  processingDetails?: ProcessingDetails;
  sigValues?: SigValue[];
}

/** One TransInfo entry of an ED211 statement (schema TransInfo). */
export interface Ed211TransInfo {
  dc: string;
  sum: string;
  transKind: string;
  /** 1 digit. */
  turnoverKind: string;
  /** Document number and date are two independent optional attributes in the schema. */
  accDocNo?: string;
  accDocDate?: string;
  payerPersonalAcc: string;
  payeePersonalAcc?: string;
  bicCorr: string;
  /** Up to 9 characters. */
  cashDocNo?: string;
  /** Required by the schema. */
  edRefId: EdRef;
}

/** Schema PartInfo: the part of a message split into several. */
export interface PartInfo {
  partNo: string;
  partQuantity: string;
  partAggregateId: string;
}

/** Schema FPSInfo of an ED211 (fast payment system liquidity). */
export interface Ed211FpsInfo {
  fpsLiquidity: string;
  enterBalance: string;
  currentBalance: string;
  fpsCreditSum?: string;
  fpsDebetSum?: string;
}

/** ED211 — account statement (schema ED211: ESIDWithPartInfo + TransInfo*, FPSInfo?). */
export interface Ed211 extends EdIdentity {
  kind: 'ED211';
  edReceiver?: string;
  abstractDate: string;
  /** 1 digit, required by the schema. */
  abstractKind: string;
  acc: string;
  bic: string;
  /** Required by the schema, `hh:mm:ss`. */
  endTime: string;
  beginTime?: string;
  lastMovetDate?: string;
  inquirySession?: string;
  enterBal?: string;
  /** Required by the schema; may be negative. */
  outBal: string;
  debetSum?: string;
  creditSum?: string;
  reservedSum?: string;
  creditLimitSum?: string;
  arrestSum?: string;
  partInfo?: PartInfo;
  initialEd?: EdRef;
  /** May be empty (no movement). */
  transInfo: Ed211TransInfo[];
  fpsInfo?: Ed211FpsInfo;
  sigValues?: SigValue[];
}

/** Every ED the package parses. */
export type AnyEd = Ed101 | PacketEpd | Ed201 | Ed206 | Ed211;
