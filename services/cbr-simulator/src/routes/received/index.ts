import type { Pool } from '@twincontour/platform';
import type { FastifyPluginAsync } from 'fastify';
import { countReceived, listReceived } from '../../adapters/repository.js';

const CHECK = {
  type: 'object',
  required: ['ok'],
  properties: { ok: { type: 'boolean' }, code: { type: 'string' }, message: { type: 'string' } },
} as const;

/** Route schemas of GET /v1/received. */
export const LIST_RECEIVED_SCHEMA = {
  tags: ['received'],
  summary: 'Envelopes the simulated Bank of Russia received, oldest first, with their checks and answer CtrlCode',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      after: { type: 'string', pattern: '^(0|[1-9][0-9]{0,17})$' },
      limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['items', 'next'],
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            required: ['id', 'seq', 'channel', 'ed', 'sha256', 'path', 'receivedAt', 'state', 'checks', 'ctrlCode'],
            properties: {
              id: { type: 'string' },
              seq: { type: 'integer' },
              channel: { type: 'string', enum: ['https', 'folder'] },
              ref: { type: ['string', 'null'] },
              ed: {
                type: ['object', 'null'],
                required: ['edNo', 'edDate', 'edAuthor'],
                properties: {
                  edNo: { type: 'string' },
                  edDate: { type: 'string' },
                  edAuthor: { type: 'string' },
                  kind: { type: ['string', 'null'] },
                },
              },
              sha256: { type: ['string', 'null'] },
              wireSha256: { type: 'string' },
              path: { type: 'string' },
              receivedAt: { type: 'string' },
              executedAt: { type: ['string', 'null'] },
              state: { type: 'string', enum: ['accepted', 'executed', 'rejected', 'unreadable', 'annulled'] },
              checks: {
                type: 'object',
                properties: { decrypt: CHECK, ka: CHECK, zk: CHECK, xsd: CHECK, duplicate: CHECK },
              },
              ctrlCode: { type: ['string', 'null'] },
            },
          },
        },
        next: { type: 'string' },
      },
    },
  },
} as const;

/** Route schemas of GET /v1/received/count. */
export const COUNT_RECEIVED_SCHEMA = {
  tags: ['received'],
  summary: 'How many envelopes were received: all, by state and by answer CtrlCode',
  response: {
    200: {
      type: 'object',
      required: ['total', 'accepted', 'rejected', 'unreadable', 'executed', 'annulled', 'byCtrlCode'],
      properties: {
        total: { type: 'integer' },
        accepted: { type: 'integer' },
        rejected: { type: 'integer' },
        unreadable: { type: 'integer' },
        executed: { type: 'integer' },
        annulled: { type: 'integer' },
        byCtrlCode: { type: 'object', additionalProperties: { type: 'integer' } },
      },
    },
  },
} as const;

/** `GET /v1/received` and `GET /v1/received/count` (role ops): what the simulator received. */
export const receivedRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, options) => {
  app.get<{ Querystring: { after?: string; limit?: string } }>(
    '/v1/received',
    { config: { roles: ['ops'] }, schema: LIST_RECEIVED_SCHEMA },
    async (request) => {
      const after = Number(request.query.after ?? '0');
      const limit = Math.min(Number(request.query.limit ?? '100'), 1000);
      const items = await listReceived(options.pool, after, limit);
      return { items, next: String(items.length > 0 ? items[items.length - 1]?.seq : after) };
    },
  );
  app.get('/v1/received/count', { config: { roles: ['ops'] }, schema: COUNT_RECEIVED_SCHEMA }, async () =>
    countReceived(options.pool),
  );
};
