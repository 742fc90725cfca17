import { type AuditLog, authFailedEvent, registerAuditRoutes } from '@twincontour/audit';
import type { CertificateValidator, Signer } from '@twincontour/crypto';
import {
  type AuthFailureEvent,
  buildServiceApp,
  type IdentityRegistry,
  type Pool,
  pgReadiness,
  redisReadiness,
  type ServiceAppOptions,
} from '@twincontour/platform';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createBacklog, registerBacklogMetrics } from './adapters/backlog.js';
import { createExchangeGate } from './adapters/exchange-state.js';
import { type FormationMetrics, registerFormationMetrics } from './adapters/metrics.js';
import { type BoundaryQueues, depthSources } from './adapters/queues.js';
import { paymentOrderRoutes } from './routes/payment-orders/index.js';
import { webhookRoutes } from './routes/webhooks/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The formation service's metrics (the c2f worker updates them too). */
    formationMetrics: FormationMetrics;
  }
}

/** Everything {@link buildApp} needs; `main.ts` builds these from the configuration, tests from fixtures. */
export interface FormationDeps {
  logger: Logger;
  pool: Pool;
  registry: IdentityRegistry;
  /** Formation's signer (802-П прил. 1.1: its own key). */
  signer: Signer;
  /** The trust store: verifies formation's ЗК before the hand-over and backs the `signer` readiness check. */
  trustStore: CertificateValidator;
  queues: BoundaryQueues;
  /** EDAuthor: the bank's УИС. */
  edAuthor: string;
  /** SigId of formation's ЗК, if configured. */
  sigId?: string;
  /** Seals webhook secrets at rest (TWINCONTOUR_WEBHOOK_KEY: 32 bytes). */
  webhookKey: Uint8Array;
  bodyLimit?: number;
  metricsPublic?: boolean;
  /** Per-identity rate limit of the authenticated routes (main.ts: `serviceRateLimit(config)`); none when absent. */
  rateLimit?: ServiceAppOptions['rateLimit'];
  /**
   * Backpressure (TWINCONTOUR_BACKLOG_LIMIT, TWINCONTOUR_BACKLOG_RETRY_AFTER_S): orders in flight from which a
   * new order is answered 503 FRM_BACKPRESSURE; default 10 000 and 30 s. `refreshMs` (default 1000) bounds how
   * often the count is read.
   */
  backlog?: { limit: number; retryAfterSeconds: number; refreshMs?: number };
  /** Default `() => new Date()`. */
  clock?: () => Date;
  /** Also told of every refused request (each is recorded as `auth.failed` in the audit log first). */
  onAuthFailure?: (event: AuthFailureEvent) => void | Promise<void>;
  /** The service's audit log (DESIGN.md, Audit log): ЗК made, refused logins; read by security officers. */
  audit: AuditLog;
  /** TWINCONTOUR_AUDIT_CHECKPOINT_MS, written into audit exports. */
  auditCheckpointMs?: number;
}

/**
 * Builds the formation service (контур формирования, 802-П прил. 1.3): the platform base (auth with
 * contour `formation`, errors, /health, /ready, /metrics, /openapi.json), the payment-order routes and
 * the stage-webhook subscriptions.
 * Never listens (`main.ts` does); tests call `app.inject()`.
 */
export async function buildApp(deps: FormationDeps): Promise<FastifyInstance> {
  const app = await buildServiceApp({
    service: 'formation',
    logger: deps.logger,
    auth: {
      contour: 'formation',
      registry: deps.registry,
      // A refused request is an audit event (issue 6: failed logins), never with the key.
      onAuthFailure: async (event) => {
        await deps.audit.record(authFailedEvent(event));
        await deps.onAuthFailure?.(event);
      },
    },
    readiness: {
      postgres: pgReadiness(deps.pool),
      redis: redisReadiness(deps.queues.redis),
      // The formation certificate must still be valid, trusted and unrevoked (the CRL is refreshed):
      // otherwise every order would fail its own ЗК check.
      signer: async () => {
        const check = deps.trustStore.check(deps.signer.certificate, {
          expectedContour: 'formation',
          usage: 'signing',
        });
        if (!check.ok) throw Object.assign(new Error(check.message), { code: check.code });
      },
    },
    ...(deps.bodyLimit === undefined ? {} : { bodyLimit: deps.bodyLimit }),
    ...(deps.rateLimit === undefined ? {} : { rateLimit: deps.rateLimit }),
    metrics: { public: deps.metricsPublic ?? false },
    openapi: {
      version: '0.1.0',
      description:
        'TwinContour formation contour (802-П прил. 1.3): accepts payment orders, checks requisites, forms the ' +
        'UFEBS ED101, signs it with the formation ЗК and hands it to the control contour.',
    },
  });
  const metrics = registerFormationMetrics(app, depthSources(deps.queues, deps.pool));
  app.decorate('formationMetrics', metrics);
  const backlog = createBacklog({
    db: deps.pool,
    limit: deps.backlog?.limit ?? 10_000,
    ...(deps.backlog?.refreshMs === undefined ? {} : { refreshMs: deps.backlog.refreshMs }),
  });
  registerBacklogMetrics(app.metricsRegistry, backlog, (error) =>
    app.log.warn({ err: error }, 'metrics collection failed'),
  );
  await app.register(paymentOrderRoutes, {
    pool: deps.pool,
    signer: deps.signer,
    validator: deps.trustStore,
    edAuthor: deps.edAuthor,
    ...(deps.sigId === undefined ? {} : { sigId: deps.sigId }),
    metrics,
    clock: deps.clock ?? (() => new Date()),
    audit: deps.audit,
    backlog,
    retryAfterSeconds: deps.backlog?.retryAfterSeconds ?? 30,
    exchange: createExchangeGate(deps.pool),
  });
  await app.register(webhookRoutes, { pool: deps.pool, webhookKey: deps.webhookKey });
  // GET /v1/audit/events, GET /v1/audit/export, POST /v1/audit/verify: security officers only.
  registerAuditRoutes(app, {
    audit: deps.audit,
    ...(deps.auditCheckpointMs === undefined ? {} : { checkpointIntervalMs: deps.auditCheckpointMs }),
  });
  return app;
}
