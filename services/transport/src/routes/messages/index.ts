import type { Pool } from '@twincontour/platform';
import type { FastifyPluginAsync } from 'fastify';
import { findMessageView } from '../../adapters/message-repository.js';
import { transportError } from '../../errors.js';

const ED_REF = {
  type: 'object',
  required: ['edNo', 'edDate', 'edAuthor'],
  properties: { edNo: { type: 'string' }, edDate: { type: 'string' }, edAuthor: { type: 'string' } },
} as const;

/** Route schemas of GET /v1/messages/:orderId. */
export const GET_MESSAGE_SCHEMA = {
  tags: ['messages'],
  summary: 'Delivery state of an order’s ED, its times, the Bank of Russia’s answers and the archive entries',
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['orderId'],
    properties: { orderId: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._-]+$' } },
  },
  response: {
    200: {
      type: 'object',
      required: [
        'orderId',
        'messageId',
        'ed',
        'state',
        'channel',
        'attempts',
        'receivedAt',
        'updatedAt',
        'answers',
        'archive',
      ],
      properties: {
        orderId: { type: 'string' },
        messageId: { type: 'string' },
        ed: ED_REF,
        state: { type: 'string', enum: ['delivering', 'sent', 'rejected', 'annulled'] },
        channel: { type: 'string' },
        fileName: { type: 'string' },
        reference: { type: 'string' },
        code: { type: 'string' },
        reason: { type: 'string' },
        envelopeSha256: { type: 'string' },
        wireSha256: { type: 'string' },
        attempts: { type: 'integer' },
        cbrStage: { type: 'string' },
        cbrCode: { type: 'string' },
        cbrReason: { type: 'string' },
        receivedAt: { type: 'string' },
        sentAt: { type: 'string' },
        updatedAt: { type: 'string' },
        answers: {
          type: 'array',
          items: {
            type: 'object',
            required: ['kind', 'ed', 'stage', 'receivedAt'],
            properties: {
              kind: { type: 'string' },
              ed: ED_REF,
              stage: { type: 'string' },
              ctrlCode: { type: 'string' },
              annotation: { type: 'string' },
              code: { type: 'string' },
              receivedAt: { type: 'string' },
            },
          },
        },
        archive: {
          type: 'array',
          items: {
            type: 'object',
            required: ['direction', 'kind', 'sha256', 'size', 'at'],
            properties: {
              direction: { type: 'string' },
              kind: { type: 'string' },
              sha256: { type: 'string' },
              size: { type: 'integer' },
              code: { type: 'string' },
              at: { type: 'string' },
            },
          },
        },
      },
    },
    404: { $ref: 'PlatformError#' },
  },
} as const;

/** `GET /v1/messages/:orderId` (ops, security-officer): delivery state, times, answers, archive digests. */
export const messagesRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, options) => {
  app.get<{ Params: { orderId: string } }>(
    '/v1/messages/:orderId',
    { config: { roles: ['ops', 'security-officer'] }, schema: GET_MESSAGE_SCHEMA },
    async (request) => {
      const view = await findMessageView(options.pool, request.params.orderId);
      if (!view) throw transportError('TRN_MESSAGE_NOT_FOUND');
      return view;
    },
  );
};
