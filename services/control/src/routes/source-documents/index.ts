import type { Pool } from '@twincontour/platform';
import { withTransaction } from '@twincontour/platform';
import { validatePaymentOrder } from '@twincontour/ufebs';
import type { FastifyPluginAsync } from 'fastify';
import { findSourceById, type StoredSource, storeSource } from '../../adapters/source-repository.js';
import { controlError } from '../../errors.js';
import { GET_SOURCE_SCHEMA, POST_SOURCE_SCHEMA } from './schemas.js';

/** Options of {@link sourceDocumentsRoutes}. */
export interface SourceDocumentsRoutesOptions {
  pool: Pool;
  /** Called after a new document committed (wakes the EDs waiting for it). */
  onStored?: (() => void) | undefined;
}

function receipt(source: StoredSource) {
  return { id: source.id, key: source.key, receivedAt: source.receivedAt.toISOString() };
}

/**
 * Primary documents (802-П прил. 1.4: control checks the ED against the primary document, which
 * reaches control on its own path, not through formation).
 *
 * - `POST /v1/source-documents` (backoffice of the control contour): validated like an order
 *   (422 CTL_SOURCE_INVALID with every field error); 201 with id, key and time; the same document again
 *   answers 200 with the same receipt and `Idempotent-Replayed: true`; another document under the
 *   same key is 409 CTL_SOURCE_CONFLICT — a primary document is never replaced.
 * - `GET /v1/source-documents/:id` (control-operator, security-officer).
 */
export const sourceDocumentsRoutes: FastifyPluginAsync<SourceDocumentsRoutesOptions> = async (app, options) => {
  const { pool } = options;

  app.post(
    '/v1/source-documents',
    { config: { roles: ['backoffice'] }, schema: POST_SOURCE_SCHEMA },
    async (request, reply) => {
      const order = validatePaymentOrder(request.body);
      if (!order.ok) throw controlError('CTL_SOURCE_INVALID', order.message, order.errors ?? []);
      const outcome = await withTransaction(pool, (client) => storeSource(client, order.value, 'push'));
      if (outcome.kind === 'conflict') {
        throw controlError('CTL_SOURCE_CONFLICT', 'another primary document is stored under the same key');
      }
      if (outcome.kind === 'same') {
        void reply.header('idempotent-replayed', 'true');
        return reply.code(200).send(receipt(outcome.source));
      }
      request.log.info({ sourceId: outcome.source.id }, 'primary document stored');
      options.onStored?.();
      return reply.code(201).send(receipt(outcome.source));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/source-documents/:id',
    { config: { roles: ['control-operator', 'security-officer'] }, schema: GET_SOURCE_SCHEMA },
    async (request) => {
      const source = await findSourceById(pool, request.params.id);
      if (!source) throw controlError('CTL_SOURCE_NOT_FOUND');
      return { ...receipt(source), origin: source.origin, document: source.document };
    },
  );
};
