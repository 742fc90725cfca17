import { createErrorFactory, defineErrorCatalog } from '@twincontour/platform';

/**
 * Every `TRN_*` code the transport service produces (STYLE.md, Errors). `docs/errors.md` is kept in step
 * with this catalog by `errors.test.ts`, which also checks that every code literal in the sources is
 * listed. Refusal codes travel to control in the t2c status (`code`); their status is the one they would
 * answer with over HTTP.
 */
export const TRANSPORT_CODES = defineErrorCatalog({
  // HTTP.
  TRN_MESSAGE_NOT_FOUND: {
    status: 404,
    meaning: 'Transport has no message for this order id.',
    action: 'Check the order id; the ED may not have reached transport yet (see control and the c2t queue).',
  },

  // Refusals of an ED from control (802-П п. 14.3), sent back as stage rejected-by-transport; nothing is delivered.
  TRN_BAD_PAYLOAD: {
    status: 422,
    meaning: 'The c2t job does not match the boundary contract (`reason` starts with QUE_BAD_PAYLOAD).',
    action: 'Security incident until explained: only control writes c2t; compare with control’s outbox.',
  },
  TRN_KA_INVALID: {
    status: 422,
    meaning:
      'The КА envelope does not verify, or was not made by a control-contour certificate; `reason` starts with the SIG_* code.',
    action:
      'Security incident until explained: compare the envelope with control’s copy; check control’s certificate and the CRL.',
  },
  TRN_ZK_INVALID: {
    status: 422,
    meaning:
      'The ЗК of the ED do not verify, or are not formation’s then control’s (two different certificates); `reason` starts with the SIG_* code.',
    action:
      'Security incident until explained: the ED was altered or signed by the wrong contour; check TWINCONTOUR_SIG_MODE.',
  },
  TRN_ED_INVALID: {
    status: 422,
    meaning:
      'The enclosed ED cannot be parsed, is not an ED101, fails a requisite check, or its identity differs from the payload.',
    action: 'Look at `reason` (UFEBS_* codes); formation and control let through an ED they should have refused.',
  },
  TRN_DUPLICATE_ED: {
    status: 422,
    meaning: 'Another order was already delivered with the same ED identity (EDNo, EDDate, EDAuthor).',
    action: 'Check formation’s EDNo allocation and control’s duplicate check; the ED is never sent twice.',
  },

  // Answers from the Bank of Russia (ED201, ED206): refused, archived, logged as security events; no status changes.
  TRN_ANSWER_DECRYPT_FAILED: {
    status: 422,
    meaning: 'An answer from the peer does not open with transport’s key (`reason` starts with the ENC_* code).',
    action: 'Check that the peer encrypts to transport’s current certificate; the bytes are in the archive.',
  },
  TRN_ANSWER_SIGNATURE_INVALID: {
    status: 422,
    meaning:
      'An answer’s КА or ЗК does not verify, or was not made by a Bank of Russia (cbr) certificate; `reason` starts with the SIG_* code.',
    action:
      'Security incident: the answer is not from the Bank of Russia or was altered; the bytes are in the archive.',
  },
  TRN_ANSWER_INVALID: {
    status: 422,
    meaning: 'An answer is not a readable ED201 or ED206.',
    action: 'Look at `reason` (UFEBS_* codes) and the archived bytes; tell the Bank of Russia if it persists.',
  },
  TRN_ANSWER_UNMATCHED: {
    status: 422,
    meaning: 'An answer refers (EDRefID) to no ED transport delivered.',
    action: 'Security alert: compare with the Bank of Russia; the answer is archived and nothing changed.',
  },

  // Inside the process (logs, job failures, start-up).
  TRN_DELIVERY_FAILED: {
    status: 500,
    meaning: 'The channel did not take the ED (peer unreachable or answering an error, folder not writable); retried.',
    action:
      'Check the channel (TWINCONTOUR_PEER_URL, the АРМ folders); the ED stays in state delivering and is retried.',
  },
  TRN_DELIVERY_CONFLICT: {
    status: 500,
    meaning: 'The pickup folder already holds a different file under the ED’s file name.',
    action: 'Investigate the АРМ folder: someone else wrote there; nothing was overwritten.',
  },
  TRN_DELIVERY_BUSY: {
    status: 500,
    meaning: 'Another worker is delivering the same ED right now; the job is retried later.',
    action: 'None if it clears; a lasting one means a stuck worker (lease of 60 s).',
  },
  TRN_ORDER_CONFLICT: {
    status: 500,
    meaning: 'A second, different c2t message for an order transport already holds (another ED or message id).',
    action: 'Investigate control: the first message stands and nothing else is delivered.',
  },
  TRN_ANSWER_FETCH_FAILED: {
    status: 500,
    meaning: 'Answers could not be fetched from the peer or read from the incoming folder; retried at the next poll.',
    action: 'Check the channel (TWINCONTOUR_PEER_URL, TWINCONTOUR_ARM_IN_DIR).',
  },
  TRN_KEYS_UNAVAILABLE: {
    status: 500,
    meaning:
      'The transport key, its certificate, the peer certificate or CA, or the trust store could not be loaded at start-up.',
    action: 'Check TWINCONTOUR_PKI_DIR or the key files, TWINCONTOUR_PEER_* files and TWINCONTOUR_TRUST_DIR.',
  },

  // Incident suspension (802-П п. 19–19.5): the incident API, the authorised-person registry, the requests.
  EXCHANGE_SUSPENDED: {
    status: 503,
    meaning:
      'The exchange with the Bank of Russia is suspended for an incident (802-П п. 19); as the `code` of an `annulled` status: the message was not delivered and never will be.',
    action:
      'Back office: send a new order once the exchange runs again (GET /v1/incidents, `twincontour incident status`).',
  },
  INC_PERSON_UNKNOWN: {
    status: 422,
    meaning: 'The request names no active authorised person of the registry (802-П п. 19.3).',
    action: 'Name a registered person (GET /v1/incidents/persons); register one first with POST /v1/incidents/persons.',
  },
  INC_PERSON_NOT_FOUND: {
    status: 404,
    meaning: 'The registry has no authorised person with this id.',
    action: 'List the registry with GET /v1/incidents/persons.',
  },
  INC_PERSON_EXISTS: {
    status: 409,
    meaning: 'An authorised person with this id, or an active one with this certificate, is already registered.',
    action: 'Change the existing entry with PUT /v1/incidents/persons/:id, or choose another id.',
  },
  INC_PERSON_CERT_INVALID: {
    status: 422,
    meaning:
      'The certificate is not a valid, trusted, unrevoked signing certificate of contour authorised-person; `message` has the SIG_* code.',
    action: 'Issue the person a certificate of the authorised-person contour from the trusted CA and register it.',
  },
  INC_PERSON_KEY_UNAVAILABLE: {
    status: 422,
    meaning: 'No request signed by the person was given, and the server holds no key for the person.',
    action:
      'Have the person sign the request (POST /v1/incidents/requests/draft, then post documentBase64 and signatureBase64), or configure TWINCONTOUR_AUTHORISED_PERSON_KEYS.',
  },
  INC_BAD_SIGNATURE: {
    status: 422,
    meaning:
      "The request's signature does not verify, or was not made with the registered certificate of the person it names; `message` has the SIG_* code. Nothing was done.",
    action: 'Security event: check who signed; the person signs with the key of the certificate in the registry.',
  },
  INC_BAD_DOCUMENT: {
    status: 422,
    meaning:
      'The posted request document is not one this gateway drafts: unreadable, of another kind, participant, person, incident, or older than 15 minutes.',
    action: 'Draft a fresh one with POST /v1/incidents/requests/draft, have it signed, and post it unchanged.',
  },
  INC_ALREADY_SUSPENDED: {
    status: 409,
    meaning: 'The exchange is already suspended (or suspending, or resuming) for an incident.',
    action: 'See GET /v1/incidents; resume it first with POST /v1/incidents/resume when the cause is removed.',
  },
  INC_NOT_SUSPENDED: {
    status: 409,
    meaning: 'There is no suspension to cancel: the exchange runs, or the cancellation is already on its way.',
    action: 'See GET /v1/incidents for the current state.',
  },
  INC_NOT_FOUND: {
    status: 404,
    meaning: 'No incident (or no request of it) has this id, or the request has no reserve copy.',
    action: 'List incidents and their requests with GET /v1/incidents.',
  },
  INC_CHANNEL_FAILED: {
    status: 502,
    meaning:
      'The main channel did not take an incident request (peer unreachable, timeout, an error status, or an answer that does not verify); the reserve copy is made and the request is sent again.',
    action:
      'Send the reserve copy (GET …/pdf) by fax or e-mail now (802-П п. 19.4) and check the channel; the gateway re-sends through the main channel by itself.',
  },
  INC_REFUSED_BY_CBR: {
    status: 502,
    meaning:
      "The Bank of Russia answered that it does not take the request (802-П п. 19.5); the request's `answer.code` has its reason.",
    action: 'Check the signature and the requisites of the person with the Bank of Russia, then send a new request.',
  },
});

/** A code of {@link TRANSPORT_CODES}. */
export type TransportCode = keyof typeof TRANSPORT_CODES;

/** The transport service's HTTP error factory (status and default message from the catalog). */
export const transportError = createErrorFactory(TRANSPORT_CODES);
