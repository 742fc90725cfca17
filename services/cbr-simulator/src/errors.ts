import { defineErrorCatalog } from '@twincontour/platform';

/**
 * Every `SIM_*` code the Bank of Russia simulator produces (STYLE.md, Errors). `docs/errors.md` is kept in
 * step with this catalog by `errors.test.ts`, which also checks that every code literal in the sources is
 * listed. The results of the Bank of Russia's control are not errors: they are ED201 CtrlCodes (README.md).
 */
export const SIMULATOR_CODES = defineErrorCatalog({
  // The mTLS intake (POST /v1/exchange, GET /v1/exchange/answers) and the ops API.
  SIM_BAD_REQUEST: {
    status: 400,
    meaning: 'A query parameter or header of the exchange is malformed (`after`, `limit`, `X-Ed-Ref`).',
    action: 'Send `after` and `limit` as decimal numbers and `X-Ed-Ref` as `<EDAuthor>-<EDDate>-<EDNo>`.',
  },
  SIM_CLIENT_FORBIDDEN: {
    status: 403,
    meaning:
      "The TLS client certificate chains to the CA but is not the participant's registered transport certificate.",
    action: 'Connect with the transport key and certificate (802-П п. 14.3: the mutually authenticated channel).',
  },
  SIM_NOT_FOUND: {
    status: 404,
    meaning: 'The intake has no such route.',
    action: 'Use POST /v1/exchange or GET /v1/exchange/answers.',
  },
  SIM_METHOD_NOT_ALLOWED: {
    status: 405,
    meaning: 'The route exists but not with this method.',
    action: 'POST envelopes to /v1/exchange; GET answers from /v1/exchange/answers.',
  },
  SIM_BODY_TOO_LARGE: {
    status: 413,
    meaning: 'The posted envelope is larger than TWINCONTOUR_HTTP_BODY_LIMIT.',
    action: 'Send one ED (or one packet) per request; raise the limit only for large packets.',
  },
  SIM_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    meaning: 'The body is not `application/cms` (a CMS EnvelopedData).',
    action: 'Encrypt the envelope to the cbr certificate and send it with `Content-Type: application/cms`.',
  },
  SIM_ENVELOPE_UNREADABLE: {
    status: 422,
    meaning: 'The body is not a CMS EnvelopedData that opens with the cbr key; it is kept, nothing is answered.',
    action: 'Encrypt to the cbr certificate the simulator uses (TWINCONTOUR_PEER_CERT_FILE of transport).',
  },
  SIM_EXCHANGE_SUSPENDED: {
    status: 409,
    meaning:
      'The exchange with the participant is suspended for an incident (802-П п. 19): no envelope is taken until a cancellation request is accepted.',
    action: 'Send the cancellation request (POST /v1/exchange/incident, kind resume) once the cause is removed.',
  },
  SIM_INCIDENT_BAD_SIGNATURE: {
    status: 422,
    meaning:
      "An incident request's signature does not verify or is not an authorised person's (contour authorised-person, trusted, unrevoked); not taken (802-П п. 19.5).",
    action: 'Sign the request with the registered key of an authorised person; the signed answer says why.',
  },
  SIM_INCIDENT_BAD_DOCUMENT: {
    status: 422,
    meaning:
      'An incident request document is not the request posted (another id or kind), or the person it names is not the one who signed it; not taken.',
    action: 'Send the document exactly as the authorised person signed it, naming that person.',
  },
  SIM_INTERNAL: {
    status: 500,
    meaning: 'The simulator failed (its database, its store folder); the log has the details under the request id.',
    action: 'Check PostgreSQL and TWINCONTOUR_SIM_STORE_DIR; the participant may retry with the same X-Ed-Ref.',
  },

  // Inside the process (logs, start-up).
  SIM_FOLDER_FAILED: {
    status: 500,
    meaning:
      'A file of the pickup folder could not be taken, or an answer could not be written to the incoming folder.',
    action: 'Check TWINCONTOUR_ARM_OUT_DIR / TWINCONTOUR_ARM_IN_DIR and their permissions; it is retried each poll.',
  },
  SIM_KEYS_UNAVAILABLE: {
    status: 500,
    meaning:
      'The cbr key, its certificate, the participant certificate, the client CA or the trust store could not be loaded.',
    action: 'Check TWINCONTOUR_PKI_DIR or the cbr key files, TWINCONTOUR_TRUST_DIR and the certificate files.',
  },
});

/** A code of {@link SIMULATOR_CODES}. */
export type SimulatorCode = keyof typeof SIMULATOR_CODES;
