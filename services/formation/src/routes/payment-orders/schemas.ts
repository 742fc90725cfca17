import { ORDER_STAGES } from '@twincontour/platform';
import { PAYMENT_ORDER_JSON_SCHEMA } from '@twincontour/ufebs';

/** Idempotency-Key (services.md): 1..128 characters of [A-Za-z0-9._:-]. */
export const IDEMPOTENCY_KEY_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';

const ED_REF = {
  type: 'object',
  required: ['edNo', 'edDate', 'edAuthor'],
  additionalProperties: false,
  properties: {
    edNo: { type: 'string', description: 'EDNo, unique per EDAuthor and EDDate' },
    edDate: { type: 'string', description: 'EDDate: the Moscow operating date of acceptance' },
    edAuthor: { type: 'string', description: "EDAuthor: the bank's УИС" },
  },
} as const;

const DIFF = {
  type: 'array',
  description: 'Every requisite that differs between the ED and the primary document (802-П прил. 1.4).',
  items: {
    type: 'object',
    required: ['field', 'ed', 'source'],
    additionalProperties: false,
    properties: {
      field: { type: 'string' },
      ed: { type: ['string', 'null'] },
      source: { type: ['string', 'null'] },
    },
  },
} as const;

const STAGE = { type: 'string', enum: [...ORDER_STAGES] } as const;

/** The order view (services.md): the answer of POST and GET. */
export const ORDER_VIEW_SCHEMA = {
  type: 'object',
  required: ['id', 'status', 'ed', 'createdAt', 'updatedAt', 'stages'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    status: { ...STAGE, description: 'The furthest stage reached; refusals are terminal.' },
    ed: { anyOf: [ED_REF, { type: 'null' }] },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    code: { type: 'string', description: 'Reason code of the status stage (a refusal)' },
    reason: { type: 'string' },
    diff: DIFF,
    stages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['stage', 'at'],
        additionalProperties: false,
        properties: {
          stage: STAGE,
          at: { type: 'string', format: 'date-time' },
          code: { type: 'string' },
          reason: { type: 'string' },
          diff: DIFF,
        },
      },
    },
  },
} as const;

const ERROR = { $ref: 'PlatformError#' } as const;
const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,100}$' } },
} as const;

/** POST /v1/payment-orders. */
export const CREATE_SCHEMA = {
  tags: ['payment-orders'],
  summary: 'Accept a payment order: requisite control, ED101, formation ЗК, hand-over to control',
  description:
    'The body is checked in full by the requisite control (every field error at once, 422 FRM_ORDER_INVALID, ' +
    'UFEBS_* codes in details); the JSON Schema below documents it. A repeat with the same Idempotency-Key ' +
    'and body answers 200 with header Idempotent-Replayed: true; another body under the key answers 409.',
  headers: {
    type: 'object',
    required: ['idempotency-key'],
    properties: { 'idempotency-key': { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN } },
  },
  body: PAYMENT_ORDER_JSON_SCHEMA,
  response: {
    200: { ...ORDER_VIEW_SCHEMA, description: 'A repeat of an accepted request (Idempotent-Replayed: true)' },
    201: { ...ORDER_VIEW_SCHEMA, description: 'Accepted, formed, signed by formation, handed to control' },
    400: ERROR,
    401: ERROR,
    403: ERROR,
    409: ERROR,
    422: ERROR,
    500: ERROR,
    503: ERROR,
  },
} as const;

/** GET /v1/payment-orders/:id. */
export const GET_SCHEMA = {
  tags: ['payment-orders'],
  summary: 'A payment order with every stage it passed',
  params: ID_PARAMS,
  response: { 200: ORDER_VIEW_SCHEMA, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR },
} as const;

/** Largest page of the list. */
export const MAX_PAGE = 100;

/** GET /v1/payment-orders. */
export const LIST_SCHEMA = {
  tags: ['payment-orders'],
  summary: 'Payment orders, newest first, with filters and cursor pagination',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      status: STAGE,
      from: { type: 'string', format: 'date-time', description: 'createdAt at or after' },
      to: { type: 'string', format: 'date-time', description: 'createdAt before' },
      limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 20 },
      cursor: { type: 'string', minLength: 1, maxLength: 64, description: 'nextCursor of the previous page' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['items', 'nextCursor'],
      additionalProperties: false,
      properties: {
        items: { type: 'array', items: ORDER_VIEW_SCHEMA },
        nextCursor: { type: ['string', 'null'] },
      },
    },
    400: ERROR,
    401: ERROR,
    403: ERROR,
  },
} as const;
