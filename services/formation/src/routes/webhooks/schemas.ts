import { ORDER_STAGES } from '@twincontour/platform';
import { MAX_WEBHOOK_URL_LENGTH } from '../../domain/webhooks.js';

const STAGES = {
  type: 'array',
  minItems: 1,
  maxItems: ORDER_STAGES.length,
  uniqueItems: true,
  items: { type: 'string', enum: [...ORDER_STAGES] },
  description: 'Stages delivered (ORDER_STAGES order); every stage when omitted.',
} as const;

const VIEW_PROPERTIES = {
  id: { type: 'string' },
  url: { type: 'string' },
  stages: STAGES,
  description: { type: 'string' },
  createdAt: { type: 'string', format: 'date-time' },
} as const;

/** A subscription as GET shows it: never the secret. */
export const SUBSCRIPTION_VIEW_SCHEMA = {
  type: 'object',
  required: ['id', 'url', 'stages', 'createdAt'],
  additionalProperties: false,
  properties: VIEW_PROPERTIES,
} as const;

const ERROR = { $ref: 'PlatformError#' } as const;

/** POST /v1/webhooks. */
export const CREATE_WEBHOOK_SCHEMA = {
  tags: ['webhooks'],
  summary: 'Subscribe to the stages of payment orders (4600-У п. 2.2.3); the answer holds the signing secret once',
  description:
    'Each stage an order reaches is POSTed to `url` as `{ event: "order.stage", deliveryId, orderId, ed, stage, at, ' +
    'code?, reason?, diff? }` with headers X-TwinContour-Delivery and X-TwinContour-Signature ' +
    '(`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`), retried until the receiver answers 2xx; ' +
    "one order's stages reach one subscription in the order they were recorded.",
  body: {
    type: 'object',
    required: ['url'],
    additionalProperties: false,
    properties: {
      url: { type: 'string', minLength: 1, maxLength: MAX_WEBHOOK_URL_LENGTH, description: 'http or https' },
      stages: STAGES,
      description: { type: 'string', minLength: 1, maxLength: 200 },
    },
  },
  response: {
    201: {
      type: 'object',
      required: ['id', 'url', 'stages', 'secret', 'createdAt'],
      additionalProperties: false,
      properties: {
        ...VIEW_PROPERTIES,
        secret: {
          type: 'string',
          description: 'HMAC key of the signatures (32 random bytes, base64url); shown only in this answer.',
        },
      },
    },
    400: ERROR,
    401: ERROR,
    403: ERROR,
    409: ERROR,
    422: ERROR,
  },
} as const;

/** GET /v1/webhooks. */
export const LIST_WEBHOOKS_SCHEMA = {
  tags: ['webhooks'],
  summary: "The calling identity's webhook subscriptions (without secrets)",
  response: {
    200: {
      type: 'object',
      required: ['items'],
      additionalProperties: false,
      properties: { items: { type: 'array', items: SUBSCRIPTION_VIEW_SCHEMA } },
    },
    401: ERROR,
    403: ERROR,
  },
} as const;

/** DELETE /v1/webhooks/:id. */
export const DELETE_WEBHOOK_SCHEMA = {
  tags: ['webhooks'],
  summary: 'Remove one of your subscriptions; its undelivered stages are dropped',
  params: {
    type: 'object',
    required: ['id'],
    additionalProperties: false,
    properties: { id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,100}$' } },
  },
  response: { 204: { type: 'null', description: 'Removed' }, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR },
} as const;
