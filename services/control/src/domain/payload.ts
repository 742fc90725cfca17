import {
  type C2tPayload,
  type DecodedHandOver,
  decodeHandOver,
  type EdRefPayload,
  type OrderStage,
  type RequisiteDiff,
  type StatusPayload,
} from '@twincontour/platform';

/** A decoded f2c job (the contract check lives in platform's boundary.ts). */
export type DecodedF2c = DecodedHandOver<'f2c'>;

/** Checks an f2c job against the boundary contract, message id `f2c-<orderId>` included. Never throws. */
export function decodeF2c(value: unknown): DecodedF2c {
  return decodeHandOver('f2c', value);
}

/** Largest diff a status carries (boundary schema `maxItems`). */
const MAX_DIFF = 200;
/** Longest reason a status carries (boundary schema `maxLength`). */
const MAX_REASON = 2000;

/** Shortens a reason to what the boundary contract accepts. */
export function boundedReason(reason: string): string {
  return reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
}

/** A c2f status payload, message id `c2f-<orderId>-<stage>` (one message per stage of one order). */
export function statusPayload(
  orderId: string,
  ed: EdRefPayload,
  stage: OrderStage,
  at: Date,
  refusal?: { code: string; reason: string; diff?: readonly RequisiteDiff[] },
): StatusPayload {
  const payload: StatusPayload = {
    type: 'order.status',
    version: 1,
    messageId: `c2f-${orderId}-${stage}`,
    orderId,
    ed: { edNo: ed.edNo, edDate: ed.edDate, edAuthor: ed.edAuthor },
    stage,
    at: at.toISOString(),
  };
  if (refusal) {
    payload.code = refusal.code;
    payload.reason = boundedReason(refusal.reason);
    if (refusal.diff && refusal.diff.length > 0) payload.diff = refusal.diff.slice(0, MAX_DIFF);
  }
  return payload;
}

/** The c2t payload: the КА envelope for transport, message id `c2t-<orderId>`. */
export function c2tPayload(orderId: string, ed: EdRefPayload, envelope: Uint8Array, at: Date): C2tPayload {
  return {
    type: 'ed.controlled',
    version: 1,
    messageId: `c2t-${orderId}`,
    orderId,
    ed: { edNo: ed.edNo, edDate: ed.edDate, edAuthor: ed.edAuthor },
    envelopeBase64: Buffer.from(envelope).toString('base64'),
    controlledAt: at.toISOString(),
  };
}
