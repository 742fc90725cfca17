import type { OrderStage, Pool } from '@twincontour/platform';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { createSubscription, deleteSubscription, listSubscriptions } from '../../adapters/webhook-store.js';
import { checkWebhookUrl } from '../../domain/webhooks.js';
import { formationError } from '../../errors.js';
import { CREATE_WEBHOOK_SCHEMA, DELETE_WEBHOOK_SCHEMA, LIST_WEBHOOKS_SCHEMA } from './schemas.js';

/** Most subscriptions one identity may hold: each adds a delivery row to every stage transaction. */
export const MAX_SUBSCRIPTIONS_PER_IDENTITY = 20;

/** What the webhook routes need. */
export interface WebhookRoutesOptions {
  pool: Pool;
  /** Seals the subscription secrets at rest (TWINCONTOUR_WEBHOOK_KEY, 32 bytes). */
  webhookKey: Uint8Array;
}

const URL_PROBLEMS = {
  'too-long': 'is longer than 2048 characters',
  'not-a-url': 'is not an absolute URL',
  scheme: 'must use http or https',
  credentials: 'must not carry a user name or password',
} as const;

function identityOf(request: FastifyRequest): string {
  const identity = request.identity;
  if (!identity) throw new Error('an authenticated route ran without an identity');
  return identity.id;
}

/**
 * POST/GET /v1/webhooks and DELETE /v1/webhooks/:id (4600-У п. 2.2.3: the back office is told each
 * stage). A subscription belongs to the identity that made it: another identity neither sees nor
 * removes it (404, not 403, so ids of others are not confirmed).
 */
export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (app: FastifyInstance, options) => {
  const { pool, webhookKey } = options;

  app.post<{ Body: { url: string; stages?: OrderStage[]; description?: string } }>(
    '/v1/webhooks',
    { config: { roles: ['backoffice'] }, schema: CREATE_WEBHOOK_SCHEMA },
    async (request, reply) => {
      const ownerId = identityOf(request);
      const { url, stages, description } = request.body;
      const checked = checkWebhookUrl(url);
      if (!checked.ok) {
        throw formationError('FRM_WEBHOOK_URL_INVALID', `url ${URL_PROBLEMS[checked.problem]}`, [
          { code: 'FRM_WEBHOOK_URL_INVALID', path: 'url', message: URL_PROBLEMS[checked.problem] },
        ]);
      }
      const created = await createSubscription(
        pool,
        webhookKey,
        {
          ownerId,
          url: checked.value,
          ...(stages === undefined ? {} : { stages }),
          ...(description === undefined ? {} : { description }),
        },
        MAX_SUBSCRIPTIONS_PER_IDENTITY,
      );
      if (!created) throw formationError('FRM_WEBHOOK_LIMIT');
      // Ids only: the secret is in the answer and nowhere else, the URL may carry a receiver's token.
      request.log.info(
        { event: 'webhook-subscribed', subscriptionId: created.id, stages: created.stages },
        'webhook subscription created',
      );
      void reply.code(201);
      return created;
    },
  );

  app.get('/v1/webhooks', { config: { roles: ['backoffice'] }, schema: LIST_WEBHOOKS_SCHEMA }, async (request) => ({
    items: await listSubscriptions(pool, identityOf(request)),
  }));

  app.delete<{ Params: { id: string } }>(
    '/v1/webhooks/:id',
    { config: { roles: ['backoffice'] }, schema: DELETE_WEBHOOK_SCHEMA },
    async (request, reply) => {
      const removed = await deleteSubscription(pool, identityOf(request), request.params.id);
      if (!removed) throw formationError('FRM_WEBHOOK_NOT_FOUND');
      request.log.info(
        { event: 'webhook-unsubscribed', subscriptionId: request.params.id, droppedPending: removed.droppedPending },
        removed.droppedPending > 0
          ? 'webhook subscription removed; its undelivered stages were dropped'
          : 'webhook subscription removed',
      );
      return reply.code(204).send();
    },
  );
};
