import {
  type AuthFailureEvent,
  buildServiceApp,
  type IdentityRegistry,
  type Pool,
  type ReadinessCheck,
} from '@twincontour/platform';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type createTransportMetrics, registerTransportMetrics } from './metrics.js';
import { messagesRoutes } from './routes/messages/index.js';

/** What {@link buildApp} is built from (main.ts and tests pass the real things). */
export interface AppDeps {
  logger: Logger;
  /** TWINCONTOUR_IDENTITIES; identities of any contour but `transport` are refused (802-П прил. 1.1). */
  identities: IdentityRegistry;
  pool: Pool;
  readiness?: Readonly<Record<string, ReadinessCheck>>;
  bodyLimit?: number;
  metricsPublic?: boolean;
  /** Worker metrics and scrape-time gauges to register on the app's registry. */
  metrics?: ReturnType<typeof createTransportMetrics>;
  gauges?: Parameters<typeof registerTransportMetrics>[2];
  onAuthFailure?: (event: AuthFailureEvent) => void;
}

/**
 * Builds the transport service's HTTP app — it never listens (main.ts does). Platform base (auth by role
 * and contour `transport`, errors, /health, /ready, /metrics, /openapi.json) plus the messages route.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = await buildServiceApp({
    service: 'transport',
    logger: deps.logger,
    auth: {
      contour: 'transport',
      registry: deps.identities,
      onAuthFailure:
        deps.onAuthFailure ?? ((event) => deps.logger.warn({ event: 'security', auth: event }, 'access refused')),
    },
    ...(deps.readiness ? { readiness: deps.readiness } : {}),
    ...(deps.bodyLimit === undefined ? {} : { bodyLimit: deps.bodyLimit }),
    metrics: { public: deps.metricsPublic ?? false },
    openapi: {
      description:
        'TwinContour transport (802-П пп. 10, 14.3): verifies both contours’ signatures again, delivers to the Bank of Russia, takes its answers.',
    },
  });
  if (deps.metrics) registerTransportMetrics(app.metricsRegistry, deps.metrics, deps.gauges ?? {});
  await app.register(messagesRoutes, { pool: deps.pool });
  return app;
}
