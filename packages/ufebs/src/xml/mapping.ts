/**
 * Pure mapping between the back office's payment order and the ED101 that carries it: formation
 * adds the ED identity; control takes the order back out of the ED to compare it with the primary
 * document (802-П прил. 1.4). Only the order's own fields cross over — never the ЗК, the ED
 * identity or what the Bank of Russia adds (ProcessingDetails).
 */
import type { Ed101, EdIdentity, PaymentOrder } from '../model.js';

/**
 * Every property of PaymentOrder. The mapped type makes a property added to the model but not
 * here (or misspelt here) a compile error.
 */
const ORDER_FIELDS: { readonly [K in keyof PaymentOrder]-?: true } = {
  accDocNo: true,
  accDocDate: true,
  sum: true,
  transKind: true,
  priority: true,
  systemCode: true,
  paymentPrecedence: true,
  paytKind: true,
  paymentId: true,
  codePurpose: true,
  resField: true,
  operationId: true,
  receiptDate: true,
  fileDate: true,
  chargeOffDate: true,
  reqSettlementDate: true,
  settleNotEarlier: true,
  settleNotLater: true,
  payer: true,
  payee: true,
  indirectParticipantInfo: true,
  participantBusinessScenario: true,
  settlementCondition: true,
  purpose: true,
  departmentalInfo: true,
  initialEd: true,
  me2MeDetails: true,
};
const ORDER_KEYS = Object.keys(ORDER_FIELDS) as (keyof PaymentOrder)[];

function pickOrder(source: PaymentOrder): PaymentOrder {
  const order: Partial<Record<keyof PaymentOrder, unknown>> = {};
  for (const key of ORDER_KEYS) {
    if (source[key] !== undefined) order[key] = structuredClone(source[key]);
  }
  return order as PaymentOrder;
}

/**
 * The payment order an ED101 carries: its requisites without the ED identity, the receiver, the
 * Bank of Russia's ProcessingDetails and the ЗК. Nested objects are copies.
 */
export function edToOrder(ed: Ed101): PaymentOrder {
  return pickOrder(ed);
}

/**
 * The ED101 for a payment order, with the ED identity formation assigns (and the receiver, if
 * any). Carries no ЗК: formation signs the normalized ED and adds its `sigValues` afterwards.
 */
export function orderToEd101(order: PaymentOrder, identity: EdIdentity & { edReceiver?: string }): Ed101 {
  return {
    kind: 'ED101',
    edNo: identity.edNo,
    edDate: identity.edDate,
    edAuthor: identity.edAuthor,
    ...(identity.edReceiver === undefined ? {} : { edReceiver: identity.edReceiver }),
    ...pickOrder(order),
  };
}
