import { createErrorFactory, defineErrorCatalog } from '@twincontour/platform';

/**
 * Every `CTL_*` code the control service produces (STYLE.md, Errors). `docs/errors.md` is kept in step
 * with this catalog by `errors.test.ts`, which also checks that every code literal in the sources is
 * listed. Refusal codes travel to formation in the c2f status (`code`) and to the security webhook;
 * their status is the one they would answer with over HTTP.
 */
export const CONTROL_CODES = defineErrorCatalog({
  // HTTP: primary documents and decisions.
  CTL_SOURCE_INVALID: {
    status: 422,
    meaning: 'The primary document fails the requisite checks; `details` lists every field error.',
    action: 'Correct every listed field in the back office and post the document again.',
  },
  CTL_SOURCE_CONFLICT: {
    status: 409,
    meaning:
      'Another primary document is already stored under the same key (payer account, payer BIC, document number and date).',
    action: 'A primary document is never replaced: check the back office for a reused document number.',
  },
  CTL_SOURCE_NOT_FOUND: {
    status: 404,
    meaning: 'No primary document has this id.',
    action: 'Check the id returned when the document was posted.',
  },
  CTL_CONTROL_NOT_FOUND: {
    status: 404,
    meaning: 'Control has no decision, and no waiting ED, for this order id.',
    action: 'Check the order id; the ED may not have reached control yet (see formation and the f2c queue).',
  },

  // Refusals of an ED (802-П прил. 1.4), sent to formation as stage rejected-by-control.
  CTL_SIGNATURE_INVALID: {
    status: 422,
    meaning:
      "Formation's ЗК does not verify, or does not come from a formation-contour certificate; `reason` starts with the SIG_* code.",
    action:
      'Security incident until explained: compare the ED with formation’s copy; check formation’s key, certificate and the CRL.',
  },
  CTL_ED_INVALID: {
    status: 422,
    meaning:
      'The ED cannot be parsed, is not an ED101, fails a requisite check, or its identity differs from the payload.',
    action: 'Look at `reason` (UFEBS_* codes); formation produced an ED it should have refused.',
  },
  CTL_SOURCE_MISSING: {
    status: 422,
    meaning: 'No primary document with the ED’s key arrived (nor could be pulled) within the wait.',
    action: 'Post the primary document to control, then have the order formed again; check the back-office feed.',
  },
  CTL_MISMATCH: {
    status: 422,
    meaning: 'The ED differs from its primary document; `diff` lists every differing requisite with both values.',
    action: 'Security incident until explained: the ED was altered between the back office and control.',
  },
  CTL_DUPLICATE_ED: {
    status: 422,
    meaning: 'An ED with the same EDNo, EDDate and EDAuthor was already decided by control.',
    action: 'Check formation’s EDNo allocation; a repeated ED identity is never sent twice.',
  },
  CTL_DUPLICATE_PAYMENT: {
    status: 422,
    meaning:
      'Another ED with the same payer and payee accounts, sum, document number and date was controlled within the window.',
    action: 'Confirm with the back office whether the payment is really meant twice; if so, give it a new document.',
  },

  // Inside the process (logs, job failures, start-up).
  CTL_ORDER_DECIDED: {
    status: 500,
    meaning: 'A second, different message for an order control already decided (the f2c message id is per order).',
    action: 'Investigate formation: it reused an order id; the first decision stands.',
  },
  CTL_UNEXPECTED_STATUS: {
    status: 500,
    meaning: 'A t2c status names an order control never handed to transport, or a stage transport does not own.',
    action: 'Security alert: compare transport’s and control’s records for the order.',
  },
  CTL_PULL_FAILED: {
    status: 500,
    meaning: 'The back office answered the pull of a primary document with neither 200 nor 404, or not in time.',
    action: 'Check TWINCONTOUR_SOURCE_PULL_URL and the back office; the ED keeps waiting and is asked for again.',
  },
  CTL_ALERT_DELIVERY_FAILED: {
    status: 500,
    meaning: 'A security alert could not be delivered to the webhook; it stays in PostgreSQL and is retried.',
    action: 'Check TWINCONTOUR_SECURITY_WEBHOOK_URL and the receiver; nothing is lost meanwhile.',
  },
  CTL_KEYS_UNAVAILABLE: {
    status: 500,
    meaning: 'The control key, its certificate or the trust store could not be loaded at start-up.',
    action: 'Check TWINCONTOUR_PKI_DIR or the key, certificate and passphrase files, and TWINCONTOUR_TRUST_DIR.',
  },
});

/** A code of {@link CONTROL_CODES}. */
export type ControlCode = keyof typeof CONTROL_CODES;

/** The control service's HTTP error factory (status and default message from the catalog). */
export const controlError = createErrorFactory(CONTROL_CODES);
