import { createErrorFactory, defineErrorCatalog } from '@twincontour/platform';

/**
 * Every code the formation service produces (STYLE.md, Errors: one catalog per package, each code with
 * a status and an operator action). `docs/errors.md` is kept in step with this by `errors.test.ts`.
 * Platform codes (`PLT_*`, `AUTH_*`, `QUE_*`, `CFG_*`) and the field codes of `validatePaymentOrder`
 * (`UFEBS_*`, inside `details`) are documented by their packages.
 */
export const FORMATION_CODES = defineErrorCatalog({
  FRM_ORDER_INVALID: {
    status: 422,
    meaning: 'The payment order failed requisite control; `details` lists every field error (UFEBS_* codes).',
    action: 'Correct every listed field in the back office and post the order again; nothing was stored.',
  },
  FRM_IDEMPOTENCY_CONFLICT: {
    status: 409,
    meaning: 'The Idempotency-Key was already used by this caller with a different order body.',
    action: 'Use a new key for a new order; repeat a request only with exactly the same body.',
  },
  FRM_ORDER_NOT_FOUND: {
    status: 404,
    meaning: 'No payment order has this id.',
    action: 'Check the id returned by POST /v1/payment-orders.',
  },
  FRM_CURSOR_INVALID: {
    status: 400,
    meaning: 'The list cursor is not one this service issued.',
    action: 'Pass `nextCursor` from the previous page unchanged, or start again without a cursor.',
  },
  FRM_ED_FORMING_FAILED: {
    status: 500,
    meaning: 'The ED101 could not be written from an order that passed requisite control (a fault, not the order).',
    action: 'Report the request id; the log has the writer code. Nothing was stored.',
  },
  FRM_SIGNATURE_FAILED: {
    status: 503,
    meaning: "Formation's ЗК could not be made or did not verify against the trust store; nothing was stored.",
    action: 'Check the formation key, certificate validity and revocation (GET /ready); post the order again.',
  },
  FRM_EDNO_EXHAUSTED: {
    status: 503,
    meaning: 'All 999999999 EDNo of this EDAuthor and operating date are used.',
    action: 'Post again on the next operating date; investigate the volume.',
  },
  FRM_BACKPRESSURE: {
    status: 503,
    meaning:
      'Too many accepted orders have not reached the Bank of Russia yet (control, transport or the channel is down or slow); the order was not stored.',
    action:
      'Post the same order again (same Idempotency-Key) after Retry-After seconds; operators: see formation_backlog_orders and which contour is down.',
  },
  EXCHANGE_SUSPENDED: {
    status: 503,
    meaning:
      'The exchange with the Bank of Russia is suspended for an information-security incident (802-П п. 19); no new order is accepted, nothing was stored.',
    action:
      'Post the order again after Retry-After once the exchange runs again (operators: `twincontour incident status`); orders annulled by the suspension must be sent as new orders.',
  },
  FRM_SIGNER_UNUSABLE: {
    status: 503,
    meaning:
      "Formation's signing certificate is not valid for the formation contour now (expired, revoked, untrusted).",
    action: 'Renew or re-issue the formation certificate (802-П п. 13) and restart; /ready names this check.',
  },
  FRM_STATUS_ORDER_UNKNOWN: {
    status: 500,
    meaning: 'A c2f status message names an order formation does not have; it is refused, not retried.',
    action: 'Raise a security alert: compare with the control contour log for the message id.',
  },
  FRM_STATUS_ED_MISMATCH: {
    status: 500,
    meaning: "A c2f status message carries an ED identity that is not the order's; it is refused, not retried.",
    action: 'Raise a security alert: the control contour reported on another ED under this order id.',
  },
  FRM_STATUS_EARLY: {
    status: 500,
    meaning:
      'A c2f status arrived before the stage it follows (e.g. executed before accepted-by-cbr); it is retried with back-off so stages are recorded in order, and recorded anyway on its last attempt.',
    action: 'None while it resolves itself; many of them mean a stalled queue upstream: look at control and transport.',
  },
  FRM_STATUS_STAGE_NOT_ALLOWED: {
    status: 500,
    meaning:
      "A c2f status message claims one of formation's own stages (accepted, formed, signed-by-formation, rejected-by-formation).",
    action: 'Raise a security alert: only formation records its own stages; the message was refused, not retried.',
  },
  FRM_WEBHOOK_URL_INVALID: {
    status: 422,
    meaning:
      'The webhook URL is not an absolute http(s) URL of at most 2048 characters, or carries a user or password.',
    action: 'Give the receiver as http(s)://host[:port]/path; it authenticates deliveries by their signature.',
  },
  FRM_WEBHOOK_NOT_FOUND: {
    status: 404,
    meaning: 'The calling identity has no webhook subscription with this id (those of other identities are not shown).',
    action: 'List your subscriptions with GET /v1/webhooks; only the identity that made one can remove it.',
  },
  FRM_WEBHOOK_LIMIT: {
    status: 409,
    meaning: 'The calling identity already has the largest number of webhook subscriptions (20).',
    action: 'Remove a subscription you no longer use, or narrow one with a stage filter, then try again.',
  },
  FRM_WEBHOOK_DELIVERY_FAILED: {
    status: 500,
    meaning:
      'A webhook receiver did not answer 2xx in time (status, timeout or network error); the delivery is retried.',
    action:
      'Check the receiver (log has subscription and delivery ids); it gets the delivery, then the later stages, once it answers 2xx.',
  },
  FRM_WEBHOOK_SECRET_UNREADABLE: {
    status: 500,
    meaning:
      "A subscription's sealed secret does not open under TWINCONTOUR_WEBHOOK_KEY, so its deliveries cannot be signed.",
    action:
      'Restore the key the secret was sealed with (deliveries resume), or have the owner make a new subscription.',
  },
});

/** A formation code. */
export type FormationCode = keyof typeof FORMATION_CODES;

/** Makes the `AppError` of a formation code (status from the catalog). */
export const formationError = createErrorFactory(FORMATION_CODES);
