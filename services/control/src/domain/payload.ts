import {
  type C2tPayload,
  type EdRefPayload,
  type F2cPayload,
  type FieldError,
  type OrderStage,
  parseBoundaryPayload,
  type RequisiteDiff,
  type StatusPayload,
} from '@twincontour/platform';

/** A decoded f2c job: the payload, or why it was refused with what can still be addressed. */
export type DecodedF2c =
  | { ok: true; payload: F2cPayload }
  | {
      ok: false;
      code: 'QUE_BAD_PAYLOAD';
      message: string;
      errors: FieldError[];
      /** Order id and ED identity when they alone are well-formed: the refusal can then reach formation. */
      address?: { orderId: string; ed: EdRefPayload };
    };

const ID = /^[A-Za-z0-9._-]{1,128}$/;
const ED_NO = /^[1-9][0-9]{0,8}$/;
const ED_DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const ED_AUTHOR = /^[0-9]{10}$/;

function addressOf(value: unknown): { orderId: string; ed: EdRefPayload } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { orderId, ed } = value as { orderId?: unknown; ed?: unknown };
  if (typeof orderId !== 'string' || !ID.test(orderId)) return undefined;
  if (typeof ed !== 'object' || ed === null) return undefined;
  const { edNo, edDate, edAuthor } = ed as Record<string, unknown>;
  if (typeof edNo !== 'string' || !ED_NO.test(edNo)) return undefined;
  if (typeof edDate !== 'string' || !ED_DATE.test(edDate)) return undefined;
  if (typeof edAuthor !== 'string' || !ED_AUTHOR.test(edAuthor)) return undefined;
  return { orderId, ed: { edNo, edDate, edAuthor } };
}

/**
 * Checks an f2c job against the boundary contract (boundary.ts): the other contour may be compromised,
 * so nothing is acted on before this passes. Beyond the schema, the message id must be `f2c-<orderId>`
 * as the contract fixes it: the consumer's dedupe key is then one per order. Never throws.
 */
export function decodeF2c(value: unknown): DecodedF2c {
  const parsed = parseBoundaryPayload('f2c', value);
  if (parsed.ok) {
    if (parsed.value.messageId === `f2c-${parsed.value.orderId}`) return { ok: true, payload: parsed.value };
    const errors = [{ code: 'QUE_BAD_PAYLOAD', path: 'payload.messageId', message: 'must be f2c-<orderId>' }];
    return {
      ok: false,
      code: 'QUE_BAD_PAYLOAD',
      message: 'the f2c message id is not f2c-<orderId>',
      errors,
      address: { orderId: parsed.value.orderId, ed: parsed.value.ed },
    };
  }
  const address = addressOf(value);
  return {
    ok: false,
    code: 'QUE_BAD_PAYLOAD',
    message: parsed.message,
    errors: parsed.errors ?? [],
    ...(address ? { address } : {}),
  };
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
