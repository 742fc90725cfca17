import type { Ed101, PaymentOrder, ProcessingDetails } from '../model.js';
import type { FieldError, Result } from '../result.js';
import { BUSINESS_SCENARIOS, checkCode, checkSessionId, checkUis, SESSION_TYPES } from './codes-fields.js';
import { checkDate, checkTime } from './date.js';
import { fieldError } from './field-error.js';
import { checkIdentity } from './identity.js';
import type { Loose } from './loose.js';
import { checkOrderRequisites } from './order.js';
import { PAYMENT_ORDER_SHAPE } from './order-shape.js';
import { checkShape } from './shape.js';

export { accountKeyValid, checkAccount, isTreasuryAccount, withAccountKey } from './account.js';
export { checkAmount } from './amount.js';
export { checkBic, isBankOfRussiaUnitBic, isValidBic } from './bic.js';
export { checkBudgetRules, checkDepartmentalInfo, isBudgetPayment } from './budget.js';
export { VALIDATION_CODES, type ValidationCode } from './codes.js';
export { checkDate, isCalendarDate, isIsoDate, isRuDate } from './date.js';
export { validateEdIdentity } from './identity.js';
export { checkInn, checkKpp, completeInn, innChecksumValid } from './inn.js';
export { PAYMENT_ORDER_SHAPE } from './order-shape.js';
export { checkPaymentId, uinControlDigit } from './payment-id.js';
export { checkText } from './text.js';

/** At most this many field errors are reported for one input; a flood means it is not an order at all. */
export const MAX_REPORTED_ERRORS = 200;

function capped(errors: FieldError[]): FieldError[] {
  if (errors.length <= MAX_REPORTED_ERRORS) return errors;
  return [
    ...errors.slice(0, MAX_REPORTED_ERRORS),
    fieldError('UFEBS_TOO_MANY_ERRORS', '', `${errors.length - MAX_REPORTED_ERRORS} more errors were not reported`),
  ];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Validates a payment order as received (any JSON value): first its shape — unknown fields refused,
 * types, required fields — then every requisite (formats, control keys, checksums, codes, texts,
 * budget rules). All failures are reported at once with dotted paths (`payer.bank.bic`,
 * `departmentalInfo.cbc`). Never throws on any input.
 *
 * On success the value is a fresh, deeply frozen copy of the order.
 */
export function validatePaymentOrder(order: unknown): Result<PaymentOrder> {
  const shape = checkShape(order, PAYMENT_ORDER_SHAPE);
  const errors = [...shape.errors];
  if (shape.value !== undefined) {
    // The shape check kept only well-typed known fields, so the requisite checks see what they expect.
    errors.push(...checkOrderRequisites(shape.value as Loose<PaymentOrder>));
  }
  if (errors.length > 0) {
    return {
      ok: false,
      code: 'UFEBS_ORDER_INVALID',
      message: `the payment order has ${errors.length} field error(s)`,
      errors: capped(errors),
    };
  }
  return { ok: true, value: deepFreeze(shape.value as PaymentOrder) };
}

function checkProcessingDetails(details: Loose<ProcessingDetails>): FieldError[] {
  const errors: FieldError[] = [];
  if (details.businessScenario !== undefined) {
    errors.push(...checkCode(details.businessScenario, BUSINESS_SCENARIOS, 'processingDetails.businessScenario'));
  }
  if (details.debitDate !== undefined) errors.push(...checkDate(details.debitDate, 'processingDetails.debitDate'));
  if (details.creditDate !== undefined) errors.push(...checkDate(details.creditDate, 'processingDetails.creditDate'));
  const session = details.session;
  if (session !== undefined) {
    // Schema Session: a choice of SessionID or SettlementTime, plus an optional SessionType.
    if ((session.sessionId === undefined) === (session.settlementTime === undefined)) {
      errors.push(
        fieldError('UFEBS_CHOICE', 'processingDetails.session', 'must hold exactly one of sessionId, settlementTime'),
      );
    }
    if (session.sessionId !== undefined) {
      errors.push(...checkSessionId(session.sessionId, 'processingDetails.session.sessionId'));
    }
    if (session.settlementTime !== undefined) {
      errors.push(...checkTime(session.settlementTime, 'processingDetails.session.settlementTime'));
    }
    if (session.sessionType !== undefined) {
      errors.push(...checkCode(session.sessionType, SESSION_TYPES, 'processingDetails.session.sessionType'));
    }
  }
  return errors;
}

/**
 * Validates an ED101 model: the ED identity (EDNo, EDDate, EDAuthor), EDReceiver, the fields the
 * Bank of Russia adds (ProcessingDetails), and every requisite of the payment order it carries, with
 * the same checks and paths as {@link validatePaymentOrder}. Returns every field error (empty: valid).
 * Signatures (`sigValues`) are the XML side's concern and are not looked at.
 */
export function validateEd101(ed: Ed101): FieldError[] {
  const errors = [...checkIdentity(ed, ''), ...checkOrderRequisites(ed)];
  if (ed.edReceiver !== undefined) errors.push(...checkUis(ed.edReceiver, 'edReceiver'));
  if (ed.processingDetails !== undefined) errors.push(...checkProcessingDetails(ed.processingDetails));
  return capped(errors);
}
