import type { Pool } from '@twincontour/platform';
import type { FastifyPluginAsync } from 'fastify';
import { findDecisionView } from '../../adapters/decision-repository.js';
import { controlError } from '../../errors.js';

const ED_REF = {
  type: ['object', 'null'],
  required: ['edNo', 'edDate', 'edAuthor'],
  properties: { edNo: { type: 'string' }, edDate: { type: 'string' }, edAuthor: { type: 'string' } },
} as const;

/** Route schemas of GET /v1/controls/:orderId. */
export const GET_CONTROL_SCHEMA = {
  tags: ['controls'],
  summary: "Control's decision about an order (or its ED still waiting for the primary document)",
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['orderId'],
    properties: { orderId: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._-]+$' } },
  },
  response: {
    200: {
      type: 'object',
      required: ['orderId', 'status', 'ed', 'receivedAt'],
      properties: {
        orderId: { type: 'string' },
        status: { type: 'string', enum: ['controlled', 'rejected', 'waiting'] },
        ed: ED_REF,
        code: { type: 'string' },
        reason: { type: 'string' },
        diff: {
          type: 'array',
          items: {
            type: 'object',
            required: ['field', 'ed', 'source'],
            properties: {
              field: { type: 'string' },
              ed: { type: ['string', 'null'] },
              source: { type: ['string', 'null'] },
            },
          },
        },
        sourceDocumentId: { type: 'string' },
        receivedAt: { type: 'string' },
        decidedAt: { type: 'string' },
        deadlineAt: { type: 'string' },
      },
    },
    404: { $ref: 'PlatformError#' },
  },
} as const;

/** `GET /v1/controls/:orderId` (control-operator, security-officer): status, code, diff and times. */
export const controlsRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, options) => {
  app.get<{ Params: { orderId: string } }>(
    '/v1/controls/:orderId',
    { config: { roles: ['control-operator', 'security-officer'] }, schema: GET_CONTROL_SCHEMA },
    async (request) => {
      const view = await findDecisionView(options.pool, request.params.orderId);
      if (!view) throw controlError('CTL_CONTROL_NOT_FOUND');
      return view;
    },
  );
};
