import type { AuditLog } from '@twincontour/audit';
import { auditCertificate } from '@twincontour/audit';
import { type CertificateValidator, describeCertificate, type Signer } from '@twincontour/crypto';
import { buildRouteValidator, type OrderStage, type Pool, type Role } from '@twincontour/platform';
import { validatePaymentOrder } from '@twincontour/ufebs';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Backlog } from '../../adapters/backlog.js';
import type { ExchangeGate } from '../../adapters/exchange-state.js';
import type { FormationMetrics } from '../../adapters/metrics.js';
import { acceptOrder, findOrderView, listOrderViews } from '../../adapters/order-store.js';
import { zkSelfCheckFailedEvent } from '../../domain/audit-events.js';
import { requestDigest } from '../../domain/canonical.js';
import { formSignedEd } from '../../domain/form-ed.js';
import type { OrderView } from '../../domain/order-view.js';
import { formationError } from '../../errors.js';
import { CREATE_SCHEMA, GET_SCHEMA, LIST_SCHEMA } from './schemas.js';

/** What the payment-orders routes need. */
export interface PaymentOrderRoutesOptions {
  pool: Pool;
  signer: Signer;
  /** The trust store: formation's own ЗК is verified against it before the hand-over. */
  validator: CertificateValidator;
  edAuthor: string;
  sigId?: string;
  metrics: FormationMetrics;
  clock: () => Date;
  /** The service's audit log: every ЗК made, and a failed check of formation's own ЗК. */
  audit: AuditLog;
  /** Orders in flight towards the Bank of Russia: the backpressure bound. */
  backlog: Backlog;
  /** Retry-After of a FRM_BACKPRESSURE answer, seconds. */
  retryAfterSeconds: number;
  /** The exchange state transport reports (802-П п. 19); absent, the exchange is taken as running. */
  exchange?: ExchangeGate;
}

/** Retry-After of an EXCHANGE_SUSPENDED answer: a suspension lasts until the cause is removed, so no hurry. */
const EXCHANGE_RETRY_AFTER_S = 60;

/** Who may read orders: the back office that posted them, formation's operators, security officers. */
const READERS: readonly Role[] = ['backoffice', 'formation-operator', 'security-officer'];

/**
 * The body is checked by validatePaymentOrder, not by the route's JSON Schema: the validator checks
 * the same shape and every requisite (control keys, checksums, calendar dates, budget rules) and lists
 * every field error in one 422 answer, whereas schema validation would stop at a 400 for format errors
 * and hide the rest. The schema stays on the route for the OpenAPI document. Headers, params and the
 * query string are validated by the platform's validator as usual.
 */
function bodyByRequisiteControl(): never {
  const platformValidator = buildRouteValidator({});
  return ((part: { schema: Record<string, unknown>; httpPart?: string }) =>
    part.httpPart === 'body' ? () => true : platformValidator(part)) as never;
}

const CURSOR = /^seq:([1-9][0-9]{0,17})$/;

function encodeCursor(seq: string): string {
  return Buffer.from(`seq:${seq}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  return CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'))?.[1];
}

function replay(reply: FastifyReply, view: OrderView): OrderView {
  void reply.code(200).header('idempotent-replayed', 'true');
  return view;
}

/** POST /v1/payment-orders, GET /v1/payment-orders/:id, GET /v1/payment-orders. */
export const paymentOrderRoutes: FastifyPluginAsync<PaymentOrderRoutesOptions> = async (
  app: FastifyInstance,
  options,
) => {
  const { pool, metrics, clock } = options;
  const described = describeCertificate(options.signer.certificate);
  if (!described.ok) throw new Error(`formation certificate unreadable: ${described.code}`);
  const signerCertificate = auditCertificate(described.value)!;

  app.post(
    '/v1/payment-orders',
    {
      config: { roles: ['backoffice'] },
      schema: CREATE_SCHEMA,
      validatorCompiler: bodyByRequisiteControl(),
    },
    async (request, reply) => {
      const identity = request.identity;
      if (!identity) throw new Error('an authenticated route ran without an identity');
      const key = String(request.headers['idempotency-key']);
      const requestSha256 = requestDigest(request.body);
      const log = request.log.child({ idempotencyKey: key, requestSha256 });

      // A used key answers for its order whatever the new body holds (the key is bound to its first body).
      const earlier = await pool.query<{ request_sha256: string; order_id: string }>(
        'select request_sha256, order_id from idempotency_keys where client_id = $1 and key = $2',
        [identity.id, key],
      );
      const bound = earlier.rows[0];
      if (bound) {
        if (bound.request_sha256 !== requestSha256) {
          metrics.orders.inc({ outcome: 'conflict' });
          throw formationError('FRM_IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was used with another order');
        }
        const view = await findOrderView(pool, bound.order_id);
        if (view) {
          metrics.orders.inc({ outcome: 'replayed' });
          return replay(reply, view);
        }
      }

      // 802-П п. 19: while the exchange with the Bank of Russia is suspended for an incident, no new order is
      // taken (transport would annul it anyway); a replay of an order already accepted is answered above.
      const exchange = await options.exchange?.current();
      if (exchange && exchange.state !== 'running') {
        metrics.orders.inc({ outcome: 'suspended' });
        log.warn({ event: 'incident', exchange: exchange.state, incidentId: exchange.incidentId }, 'order refused');
        void reply.header('retry-after', String(EXCHANGE_RETRY_AFTER_S));
        throw formationError(
          'EXCHANGE_SUSPENDED',
          `the exchange with the Bank of Russia is ${exchange.state} for an incident (802-П п. 19); send the order once it runs again`,
        );
      }

      // 802-П прил. 1.3: requisite control before anything is formed, signed or stored.
      const checked = validatePaymentOrder(request.body);
      if (!checked.ok) {
        const errors = checked.errors ?? [];
        metrics.orders.inc({ outcome: 'invalid' });
        for (const e of errors) metrics.requisiteFailures.inc({ code: e.code });
        log.info(
          { event: 'order-refused', codes: [...new Set(errors.map((e) => e.code))] },
          'requisite control failed',
        );
        throw formationError('FRM_ORDER_INVALID', checked.message, errors);
      }

      // Backpressure: while control, transport or the Bank of Russia channel is down, accepted orders pile up
      // in flight; past the bound a new order is refused before anything is formed or stored, and the back
      // office retries it (same Idempotency-Key) after Retry-After. Nothing already accepted is dropped.
      const admission = await options.backlog.admit();
      if (!admission.ok) {
        metrics.orders.inc({ outcome: 'backpressure' });
        log.warn({ event: 'backpressure', backlog: admission.backlog, limit: admission.limit }, 'order refused');
        void reply.header('retry-after', String(options.retryAfterSeconds));
        throw formationError('FRM_BACKPRESSURE', `${admission.backlog} orders are on their way; retry later`);
      }

      const outcome = await acceptOrder(
        pool,
        {
          clientId: identity.id,
          idempotencyKey: key,
          requestSha256,
          order: checked.value,
          edAuthor: options.edAuthor,
          form: (edIdentity, at) =>
            formSignedEd(checked.value, edIdentity, {
              signer: options.signer,
              validator: options.validator,
              signingTime: at,
              ...(options.sigId === undefined ? {} : { sigId: options.sigId }),
            }),
          audit: { log: options.audit, certificate: signerCertificate, sigId: options.sigId },
        },
        clock,
      );
      switch (outcome.kind) {
        case 'created': {
          const { view } = outcome;
          options.backlog.accepted();
          metrics.orders.inc({ outcome: 'created' });
          const accepted = Date.parse(view.createdAt);
          for (const stage of view.stages) {
            metrics.stageLatency.observe({ stage: stage.stage }, Math.max(0, (Date.parse(stage.at) - accepted) / 1000));
          }
          log.info(
            { event: 'order-accepted', orderId: view.id, ed: view.ed, edSha256: outcome.edSha256 },
            'order accepted, ED formed and signed',
          );
          void reply.code(201);
          return view;
        }
        case 'replayed':
          metrics.orders.inc({ outcome: 'replayed' });
          return replay(reply, outcome.view);
        case 'conflict':
          metrics.orders.inc({ outcome: 'conflict' });
          throw formationError('FRM_IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was used with another order');
        case 'edno-exhausted':
          metrics.orders.inc({ outcome: 'refused' });
          log.error({ edDate: outcome.edDate }, 'EDNo exhausted');
          throw formationError('FRM_EDNO_EXHAUSTED');
        case 'form-failed': {
          const { failure } = outcome;
          metrics.orders.inc({ outcome: 'refused' });
          if (failure.stage === 'sign') {
            metrics.signatureFailures.inc({ code: failure.code });
            // The ЗК was made but failed formation's own check (certificate expired, revoked, untrusted): the
            // order's transaction rolled back, so the event is recorded on its own.
            if (failure.signedSha256 !== undefined) {
              await options.audit.record(
                zkSelfCheckFailedEvent(
                  failure.code,
                  auditCertificate(failure.certificate) ?? signerCertificate,
                  failure.signedSha256,
                  identity.id,
                ),
              );
            }
            log.error({ code: failure.code, reason: failure.message }, 'formation ЗК failed');
            throw formationError('FRM_SIGNATURE_FAILED', `formation could not sign the ED (${failure.code})`);
          }
          log.error({ code: failure.code, reason: failure.message }, 'ED101 could not be written');
          throw formationError('FRM_ED_FORMING_FAILED');
        }
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/payment-orders/:id',
    { config: { roles: READERS }, schema: GET_SCHEMA },
    async (request) => {
      const view = await findOrderView(pool, request.params.id);
      if (!view) throw formationError('FRM_ORDER_NOT_FOUND');
      return view;
    },
  );

  app.get<{ Querystring: { status?: OrderStage; from?: string; to?: string; limit: number; cursor?: string } }>(
    '/v1/payment-orders',
    { config: { roles: READERS }, schema: LIST_SCHEMA },
    async (request) => {
      const { status, from, to, limit, cursor } = request.query;
      let beforeSeq: string | undefined;
      if (cursor !== undefined) {
        beforeSeq = decodeCursor(cursor);
        if (beforeSeq === undefined) throw formationError('FRM_CURSOR_INVALID');
      }
      const page = await listOrderViews(pool, {
        limit,
        ...(status === undefined ? {} : { status }),
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        ...(beforeSeq === undefined ? {} : { beforeSeq }),
      });
      return { items: page.items, nextCursor: page.lastSeq === null ? null : encodeCursor(page.lastSeq) };
    },
  );
};
