import type { CertificateValidator, Signer } from '@twincontour/crypto';
import {
  type AuthFailureEvent,
  buildServiceApp,
  type IdentityRegistry,
  type Pool,
  pgReadiness,
  redisReadiness,
} from '@twincontour/platform';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
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
  /** Default `() => new Date()`. */
  clock?: () => Date;
  /** Refused requests, for the audit log (default: the platform's warn log line only). */
  onAuthFailure?: (event: AuthFailureEvent) => void | Promise<void>;
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
      ...(deps.onAuthFailure ? { onAuthFailure: deps.onAuthFailure } : {}),
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
  await app.register(paymentOrderRoutes, {
    pool: deps.pool,
    signer: deps.signer,
    validator: deps.trustStore,
    edAuthor: deps.edAuthor,
    ...(deps.sigId === undefined ? {} : { sigId: deps.sigId }),
    metrics,
    clock: deps.clock ?? (() => new Date()),
  });
  await app.register(webhookRoutes, { pool: deps.pool, webhookKey: deps.webhookKey });
  return app;
}
