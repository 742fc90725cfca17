import type { Party, PaymentOrder, SettlementCondition } from '../model.js';
import type { FieldError } from '../result.js';
import { checkAccount } from './account.js';
import { checkAmount, checkNonNegativeAmount } from './amount.js';
import { checkBic } from './bic.js';
import { checkBudgetRules, checkDepartmentalInfo } from './budget.js';
import {
  CLEARING_CIRCUITS,
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
  INDICATOR_VALUES,
  ME2ME_VALUES,
  PARTICIPANT_BUSINESS_SCENARIOS,
  PAYMENT_CATEGORIES,
} from './codes-fields.js';
import { checkDate, checkTime } from './date.js';
import { joinPath } from './field-error.js';
import { checkIdentity } from './identity.js';
import { checkInn, checkKpp } from './inn.js';
import type { Loose } from './loose.js';
import { checkPaymentId } from './payment-id.js';
import { checkText, TEXT_MAX } from './text.js';

type Check = (value: string, path: string) => FieldError[];

/** Runs `check` on `value` when it is present (a missing required field is the shape check's to report). */
function opt(errors: FieldError[], value: string | undefined, path: string, check: Check): void {
  if (value !== undefined) errors.push(...check(value, path));
}

function checkParty(party: Loose<Party>, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const at = (key: string) => joinPath(path, key);
  const bic = party.bank?.bic;
  opt(errors, party.name, at('name'), (v, p) => checkText(v, p, TEXT_MAX.name));
  opt(errors, party.personalAcc, at('personalAcc'), (v, p) => checkAccount(v, bic, p, 'personal'));
  opt(errors, party.inn, at('inn'), checkInn);
  opt(errors, party.kpp, at('kpp'), checkKpp);
  opt(errors, bic, at('bank.bic'), checkBic);
  opt(errors, party.bank?.correspAcc, at('bank.correspAcc'), (v, p) => checkAccount(v, bic, p, 'corresp'));
  return errors;
}

function checkSettlementCondition(cond: Loose<SettlementCondition>, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const at = (key: string) => joinPath(path, key);
  opt(errors, cond.conditionCode, at('conditionCode'), (v, p) => checkCode(v, CONDITION_CODES, p));
  const { liquidityReservation: lr, coverFunds: cf, rcp } = cond;
  if (lr !== undefined) {
    opt(errors, lr.confirmationMessageAuthor, at('liquidityReservation.confirmationMessageAuthor'), checkUis);
    opt(errors, lr.cancelIfNotReserved, at('liquidityReservation.cancelIfNotReserved'), (v, p) =>
      checkCode(v, INDICATOR_VALUES, p),
    );
  }
  if (cf !== undefined) {
    opt(errors, cf.participantToBeNotified, at('coverFunds.participantToBeNotified'), checkUis);
    opt(errors, cf.coverSum?.min, at('coverFunds.coverSum.min'), checkNonNegativeAmount);
    opt(errors, cf.coverSum?.max, at('coverFunds.coverSum.max'), checkNonNegativeAmount);
  }
  if (rcp !== undefined) {
    opt(errors, rcp.beginProcessingDate, at('rcp.beginProcessingDate'), checkDate);
    opt(errors, rcp.endProcessingDate, at('rcp.endProcessingDate'), checkDate);
    opt(errors, rcp.clearingCircuit, at('rcp.clearingCircuit'), (v, p) => checkCode(v, CLEARING_CIRCUITS, p));
  }
  return errors;
}

/**
 * Checks every requisite of a payment order (or of an ED101, which extends it) that is present:
 * formats, checksums, control keys, codes, texts, and the budget payment rules. Paths are the
 * model's field names under `prefix`. The order may be partial (see {@link Loose}).
 */
export function checkOrderRequisites(order: Loose<PaymentOrder>, prefix = ''): FieldError[] {
  const errors: FieldError[] = [];
  const at = (key: string) => joinPath(prefix, key);
  opt(errors, order.accDocNo, at('accDocNo'), checkAccDocNo);
  opt(errors, order.accDocDate, at('accDocDate'), checkDate);
  opt(errors, order.sum, at('sum'), checkAmount);
  opt(errors, order.transKind, at('transKind'), checkTransKind);
  opt(errors, order.priority, at('priority'), checkPriority);
  opt(errors, order.systemCode, at('systemCode'), checkSystemCode);
  opt(errors, order.paymentPrecedence, at('paymentPrecedence'), checkPaymentPrecedence);
  opt(errors, order.paytKind, at('paytKind'), checkPaytKind);
  opt(errors, order.paymentId, at('paymentId'), checkPaymentId);
  opt(errors, order.codePurpose, at('codePurpose'), (v, p) => checkText(v, p, TEXT_MAX.code35));
  opt(errors, order.resField, at('resField'), (v, p) => checkText(v, p, TEXT_MAX.code35));
  opt(errors, order.operationId, at('operationId'), (v, p) => checkText(v, p, TEXT_MAX.operationId));
  opt(errors, order.receiptDate, at('receiptDate'), checkDate);
  opt(errors, order.fileDate, at('fileDate'), checkDate);
  opt(errors, order.chargeOffDate, at('chargeOffDate'), checkDate);
  opt(errors, order.reqSettlementDate, at('reqSettlementDate'), checkDate);

  const early = order.settleNotEarlier;
  if (early !== undefined) {
    if ('sessionId' in early) opt(errors, early.sessionId, at('settleNotEarlier.sessionId'), checkSessionId);
    if ('settlementTime' in early) opt(errors, early.settlementTime, at('settleNotEarlier.settlementTime'), checkTime);
  }
  opt(errors, order.settleNotLater?.settlementTime, at('settleNotLater.settlementTime'), checkTime);

  if (order.payer !== undefined) errors.push(...checkParty(order.payer, at('payer')));
  if (order.payee !== undefined) errors.push(...checkParty(order.payee, at('payee')));

  const ipi = order.indirectParticipantInfo;
  opt(errors, ipi?.ipBicPayer, at('indirectParticipantInfo.ipBicPayer'), checkBic);
  opt(errors, ipi?.ipBicPayee, at('indirectParticipantInfo.ipBicPayee'), checkBic);
  opt(errors, order.participantBusinessScenario, at('participantBusinessScenario'), (v, p) =>
    checkCode(v, PARTICIPANT_BUSINESS_SCENARIOS, p),
  );
  if (order.settlementCondition !== undefined) {
    errors.push(...checkSettlementCondition(order.settlementCondition, at('settlementCondition')));
  }
  opt(errors, order.purpose, at('purpose'), (v, p) => checkText(v, p, TEXT_MAX.purpose));
  if (order.departmentalInfo !== undefined) {
    errors.push(...checkDepartmentalInfo(order.departmentalInfo, at('departmentalInfo')));
  }
  errors.push(...checkBudgetRules(order, prefix));
  if (order.initialEd !== undefined) errors.push(...checkIdentity(order.initialEd, at('initialEd')));
  const me2me = order.me2MeDetails;
  opt(errors, me2me?.me2Me, at('me2MeDetails.me2Me'), (v, p) => checkCode(v, ME2ME_VALUES, p));
  opt(errors, me2me?.paymentCategory, at('me2MeDetails.paymentCategory'), (v, p) =>
    checkCode(v, PAYMENT_CATEGORIES, p),
  );
  return errors;
}
