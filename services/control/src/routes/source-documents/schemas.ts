import { PAYMENT_ORDER_JSON_SCHEMA } from '@twincontour/ufebs';

const KEY = {
  type: 'object',
  required: ['payerAccount', 'payerBic', 'accDocNo', 'accDocDate'],
  properties: {
    payerAccount: { type: 'string' },
    payerBic: { type: 'string' },
    accDocNo: { type: 'string' },
    accDocDate: { type: 'string' },
  },
} as const;

/** The answer to a post: the document's id, its key and when control received it. */
export const SOURCE_RECEIPT_SCHEMA = {
  type: 'object',
  required: ['id', 'key', 'receivedAt'],
  properties: { id: { type: 'string', format: 'uuid' }, key: KEY, receivedAt: { type: 'string' } },
} as const;

/** The body of a post: a PaymentOrder (the same JSON Schema formation uses). `$id` is dropped: one schema per route. */
const { $id: _id, $schema: _schema, ...ORDER_BODY } = PAYMENT_ORDER_JSON_SCHEMA as Record<string, unknown>;
export const SOURCE_BODY_SCHEMA = ORDER_BODY;

/** Route schemas of POST /v1/source-documents. */
export const POST_SOURCE_SCHEMA = {
  tags: ['source-documents'],
  summary: 'Post a primary document (the payment order as the back office holds it)',
  body: SOURCE_BODY_SCHEMA,
  response: {
    200: SOURCE_RECEIPT_SCHEMA,
    201: SOURCE_RECEIPT_SCHEMA,
    400: { $ref: 'PlatformError#' },
    409: { $ref: 'PlatformError#' },
    422: { $ref: 'PlatformError#' },
  },
} as const;

/** Route schemas of GET /v1/source-documents/:id. */
export const GET_SOURCE_SCHEMA = {
  tags: ['source-documents'],
  summary: 'Read a primary document',
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['id'],
    properties: { id: { type: 'string', format: 'uuid' } },
  },
  response: {
    200: {
      type: 'object',
      required: ['id', 'key', 'receivedAt', 'origin', 'document'],
      properties: {
        ...SOURCE_RECEIPT_SCHEMA.properties,
        origin: { type: 'string', enum: ['push', 'pull'] },
        document: SOURCE_BODY_SCHEMA,
      },
    },
    404: { $ref: 'PlatformError#' },
  },
} as const;
