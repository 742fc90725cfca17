import type { FastifyPluginAsync } from 'fastify';
import type { IncidentDesk } from '../../incidents.js';

/** Route schema of GET /v1/incidents. */
export const INCIDENTS_SCHEMA = {
  tags: ['incidents'],
  summary: 'The suspension of the exchange with the participant (802-П п. 19) and every request received',
  response: {
    200: {
      type: 'object',
      required: ['suspension', 'requests'],
      properties: {
        suspension: {
          type: 'object',
          required: ['participant', 'state', 'since', 'requestId'],
          properties: {
            participant: { type: 'string' },
            state: { type: 'string', enum: ['running', 'suspended'] },
            since: { type: ['string', 'null'] },
            requestId: { type: ['string', 'null'] },
          },
        },
        requests: {
          type: 'array',
          items: {
            type: 'object',
            required: ['id', 'kind', 'decision', 'code', 'annulled', 'documentSha256', 'receivedAt'],
            properties: {
              id: { type: 'string' },
              kind: { type: 'string', enum: ['suspend', 'resume'] },
              decision: { type: 'string', enum: ['accepted', 'refused'] },
              code: { type: ['string', 'null'] },
              annulled: { type: 'integer' },
              signerThumbprint: { type: ['string', 'null'] },
              signerSerial: { type: ['string', 'null'] },
              documentSha256: { type: 'string' },
              receivedAt: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const;

/** `GET /v1/incidents` (role ops): whether the exchange with the participant is suspended, and the requests. */
export const incidentRoutes: FastifyPluginAsync<{ incidents: IncidentDesk }> = async (app, options) => {
  app.get('/v1/incidents', { config: { roles: ['ops'] }, schema: INCIDENTS_SCHEMA }, async () =>
    options.incidents.view(),
  );
};
