// Route schemas of the incident API (802-П п. 19–19.5): validation of what comes in, the shape of what goes
// out (fastify serializes by these, so nothing unlisted leaves), and the OpenAPI document.

const ERROR = { $ref: 'PlatformError#' } as const;
const NULLABLE_STRING = { type: ['string', 'null'] } as const;
const UUID = { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } as const;
const PERSON_ID = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' } as const;
const BASE64 = { type: 'string', minLength: 4, maxLength: 262_144, pattern: '^[A-Za-z0-9+/\\s]+={0,2}\\s*$' } as const;
const CERTIFICATE_FACTS = {
  type: 'object',
  required: ['serial', 'issuer', 'thumbprint'],
  properties: { serial: { type: 'string' }, issuer: { type: 'string' }, thumbprint: { type: 'string' } },
} as const;

/** A registered authorised person (802-П п. 19.3). */
export const PERSON_VIEW = {
  type: 'object',
  required: [
    'id',
    'fullName',
    'position',
    'phone',
    'fax',
    'email',
    'certificate',
    'active',
    'serverSigning',
    'createdBy',
    'updatedBy',
    'createdAt',
    'updatedAt',
  ],
  properties: {
    id: { type: 'string' },
    fullName: { type: 'string' },
    position: { type: 'string' },
    phone: { type: 'string' },
    fax: NULLABLE_STRING,
    email: { type: 'string' },
    certificate: {
      type: 'object',
      required: ['serial', 'issuer', 'subject', 'thumbprint', 'notAfter'],
      properties: {
        serial: { type: 'string' },
        issuer: { type: 'string' },
        subject: { type: 'string' },
        thumbprint: { type: 'string' },
        notAfter: { type: 'string' },
      },
    },
    active: { type: 'boolean' },
    serverSigning: { type: 'boolean', description: 'The server holds a key for the person and can sign for them.' },
    createdBy: { type: 'string' },
    updatedBy: { type: 'string' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const REQUEST_VIEW = {
  type: 'object',
  required: [
    'id',
    'kind',
    'status',
    'personId',
    'signedOn',
    'signer',
    'documentSha256',
    'signatureSha256',
    'attempts',
    'lastError',
    'lastAttemptAt',
    'resendRequired',
    'reserveCopy',
    'answer',
    'createdAt',
  ],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['suspend', 'resume'] },
    status: { type: 'string', enum: ['pending', 'needs-resend', 'answered', 'refused'] },
    personId: { type: 'string' },
    signedOn: { type: 'string', enum: ['server', 'client'] },
    signer: CERTIFICATE_FACTS,
    documentSha256: { type: 'string' },
    signatureSha256: { type: 'string' },
    attempts: { type: 'integer' },
    lastError: NULLABLE_STRING,
    lastAttemptAt: NULLABLE_STRING,
    resendRequired: { type: 'boolean' },
    reserveCopy: {
      type: ['object', 'null'],
      required: ['at', 'sha256', 'size', 'url'],
      properties: {
        at: { type: 'string' },
        sha256: { type: 'string' },
        size: { type: 'integer' },
        url: { type: 'string' },
      },
    },
    answer: {
      type: ['object', 'null'],
      required: ['decision', 'code', 'at'],
      properties: {
        decision: { type: 'string', enum: ['accepted', 'refused'] },
        code: NULLABLE_STRING,
        at: { type: 'string' },
      },
    },
    createdAt: { type: 'string' },
  },
} as const;

/** One incident with its requests. */
export const INCIDENT_VIEW = {
  type: 'object',
  required: [
    'id',
    'state',
    'reason',
    'personId',
    'requestedBy',
    'suspendedAt',
    'annulled',
    'cbrSuspendedAt',
    'resumeRequestedBy',
    'resumePersonId',
    'resumeRequestedAt',
    'resumedAt',
    'resendRequired',
    'requests',
  ],
  properties: {
    id: { type: 'string' },
    state: { type: 'string', enum: ['suspending', 'suspended', 'resuming', 'resumed'] },
    reason: { type: 'string' },
    personId: { type: 'string' },
    requestedBy: { type: 'string' },
    suspendedAt: {
      type: 'string',
      description: 'The moment the suspension took effect: nothing left transport after it.',
    },
    annulled: { type: 'integer', description: 'Messages annulled by this incident (never delivered).' },
    cbrSuspendedAt: NULLABLE_STRING,
    resumeRequestedBy: NULLABLE_STRING,
    resumePersonId: NULLABLE_STRING,
    resumeRequestedAt: NULLABLE_STRING,
    resumedAt: NULLABLE_STRING,
    resendRequired: {
      type: 'boolean',
      description: 'A request went by the reserve channel and must be sent again through the main one (802-П п. 19.1).',
    },
    requests: { type: 'array', items: REQUEST_VIEW },
  },
} as const;

const PRESIGNED = {
  documentBase64: {
    ...BASE64,
    description: 'The request document from POST /v1/incidents/requests/draft, exactly as the person signed it.',
  },
  signatureBase64: {
    ...BASE64,
    description: "The person's detached CMS SignedData (DER, base64) over the document's bytes.",
  },
} as const;

/** POST /v1/incidents/suspend. */
export const SUSPEND_SCHEMA = {
  tags: ['incidents'],
  summary: 'Suspend the exchange at once for an incident and ask the Bank of Russia to suspend it (802-П п. 19)',
  description:
    'Verifies the request signed by the authorised person (signed here with a configured key, or posted signed), ' +
    'then in one step: no message leaves transport any more, every message not yet delivered is annulled, formation ' +
    'refuses new orders (503 EXCHANGE_SUSPENDED); then sends the request through the main channel. 200 when the Bank ' +
    'of Russia answered, 202 when the request waits (reserve copy made, re-sent automatically).',
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['personId'],
    properties: {
      reason: { type: 'string', minLength: 1, maxLength: 1000 },
      personId: PERSON_ID,
      ...PRESIGNED,
    },
  },
  response: { 200: INCIDENT_VIEW, 202: INCIDENT_VIEW, 409: ERROR, 422: ERROR },
} as const;

/** POST /v1/incidents/resume. */
export const RESUME_SCHEMA = {
  tags: ['incidents'],
  summary: 'Ask the Bank of Russia to cancel the suspension; the exchange resumes on its positive answer',
  body: {
    type: 'object',
    additionalProperties: false,
    properties: { personId: PERSON_ID, ...PRESIGNED },
  },
  response: { 200: INCIDENT_VIEW, 202: INCIDENT_VIEW, 409: ERROR, 422: ERROR },
} as const;

/** POST /v1/incidents/requests/draft. */
export const DRAFT_SCHEMA = {
  tags: ['incidents'],
  summary: 'The request document for the authorised person to sign with their own tool (detached CMS)',
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['kind', 'personId'],
    properties: {
      kind: { type: 'string', enum: ['suspend', 'resume'] },
      personId: PERSON_ID,
      reason: { type: 'string', minLength: 1, maxLength: 1000 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['document', 'documentBase64'],
      properties: { document: { type: 'object', additionalProperties: true }, documentBase64: { type: 'string' } },
    },
    409: ERROR,
    422: ERROR,
  },
} as const;

/** GET /v1/incidents. */
export const STATUS_SCHEMA = {
  tags: ['incidents'],
  summary: 'The exchange state, the current incident and the history, with every request',
  response: {
    200: {
      type: 'object',
      required: ['exchange', 'resendRequired', 'awaitingResend', 'current', 'incidents'],
      properties: {
        exchange: {
          type: 'object',
          required: ['state', 'since', 'incidentId'],
          properties: {
            state: { type: 'string', enum: ['running', 'suspending', 'suspended', 'resuming'] },
            since: { type: 'string' },
            incidentId: NULLABLE_STRING,
          },
        },
        resendRequired: { type: 'boolean' },
        awaitingResend: { type: 'integer' },
        current: { anyOf: [INCIDENT_VIEW, { type: 'null' }] },
        incidents: { type: 'array', items: INCIDENT_VIEW },
      },
    },
  },
} as const;

/** GET /v1/incidents/:id. */
export const INCIDENT_SCHEMA = {
  tags: ['incidents'],
  summary: 'One incident with its requests',
  params: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: UUID } },
  response: { 200: INCIDENT_VIEW, 404: ERROR },
} as const;

/** GET /v1/incidents/:id/requests/:requestId/pdf. */
export const PDF_SCHEMA = {
  tags: ['incidents'],
  summary: 'The printable copy of a request for the reserve channel (fax, e-mail; 802-П п. 19.4)',
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'requestId'],
    properties: { id: UUID, requestId: UUID },
  },
  response: { 404: ERROR },
} as const;

const PERSON_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['fullName', 'position', 'phone', 'email', 'certificatePem'],
  properties: {
    fullName: { type: 'string', minLength: 1, maxLength: 300 },
    position: { type: 'string', minLength: 1, maxLength: 300 },
    phone: { type: 'string', minLength: 1, maxLength: 64 },
    fax: { type: ['string', 'null'], minLength: 1, maxLength: 64 },
    email: { type: 'string', minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' },
    certificatePem: {
      type: 'string',
      minLength: 100,
      maxLength: 65_536,
      description: 'The certificate the person signs requests with (PEM), contour authorised-person.',
    },
  },
} as const;

/** GET /v1/incidents/persons. */
export const LIST_PERSONS_SCHEMA = {
  tags: ['incidents'],
  summary: 'The registry of authorised persons (802-П п. 19.3)',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { all: { type: 'boolean', description: 'Include removed (inactive) persons.' } },
  },
  response: {
    200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: PERSON_VIEW } } },
  },
} as const;

/** POST /v1/incidents/persons. */
export const ADD_PERSON_SCHEMA = {
  tags: ['incidents'],
  summary: 'Register an authorised person',
  body: {
    ...PERSON_BODY,
    required: ['id', ...PERSON_BODY.required],
    properties: { id: PERSON_ID, ...PERSON_BODY.properties },
  },
  response: { 201: PERSON_VIEW, 409: ERROR, 422: ERROR },
} as const;

const PERSON_PARAMS = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: PERSON_ID },
} as const;

/** PUT /v1/incidents/persons/:id. */
export const CHANGE_PERSON_SCHEMA = {
  tags: ['incidents'],
  summary: "Change an authorised person's requisites or certificate",
  params: PERSON_PARAMS,
  body: PERSON_BODY,
  response: { 200: PERSON_VIEW, 404: ERROR, 409: ERROR, 422: ERROR },
} as const;

/** DELETE /v1/incidents/persons/:id. */
export const REMOVE_PERSON_SCHEMA = {
  tags: ['incidents'],
  summary: 'Remove an authorised person from the active registry (kept for the requests that name them)',
  params: PERSON_PARAMS,
  response: { 200: PERSON_VIEW, 404: ERROR },
} as const;
