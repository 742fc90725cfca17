import { type ArchiveTrust, type AuditLog, authFailedEvent, registerAuditRoutes } from '@twincontour/audit';
import {
  type AuthFailureEvent,
  buildServiceApp,
  type IdentityRegistry,
  type Pool,
  type ReadinessCheck,
  type ServiceAppOptions,
} from '@twincontour/platform';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type createTransportMetrics, registerTransportMetrics } from './metrics.js';
import { archiveRoutes } from './routes/archive/index.js';
import { incidentRoutes } from './routes/incidents/index.js';
import { messagesRoutes } from './routes/messages/index.js';
import type { IncidentService } from './workers/incident-service.js';

/** What {@link buildApp} is built from (main.ts and tests pass the real things). */
export interface AppDeps {
  logger: Logger;
  /** TWINCONTOUR_IDENTITIES; identities of any contour but `transport` are refused (802-П прил. 1.1). */
  identities: IdentityRegistry;
  pool: Pool;
  readiness?: Readonly<Record<string, ReadinessCheck>>;
  bodyLimit?: number;
  metricsPublic?: boolean;
  /** Per-identity rate limit of the authenticated routes (main.ts: `serviceRateLimit(config)`); none when absent. */
  rateLimit?: ServiceAppOptions['rateLimit'];
  /** Worker metrics and scrape-time gauges to register on the app's registry. */
  metrics?: ReturnType<typeof createTransportMetrics>;
  gauges?: Parameters<typeof registerTransportMetrics>[2];
  /** Also told of every refused request (each is recorded as `auth.failed` in the audit log first). */
  onAuthFailure?: (event: AuthFailureEvent) => void;
  /** The service's audit log (DESIGN.md, Audit log): refused logins here; read by security officers. */
  audit: AuditLog;
  /** Whom archive re-verification trusts: the anchors and pins of the trust folder (802-П п. 11). */
  archiveTrust: ArchiveTrust;
  /** TWINCONTOUR_AUDIT_CHECKPOINT_MS, written into audit exports. */
  auditCheckpointMs?: number;
  /** Incident suspension (802-П п. 19): the /v1/incidents routes and their metrics, when given. */
  incidents?: IncidentService;
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
      // A refused request is an audit event (issue 6: failed logins), never with the key.
      onAuthFailure: async (event) => {
        await deps.audit.record(authFailedEvent(event));
        if (deps.onAuthFailure) deps.onAuthFailure(event);
        else deps.logger.warn({ event: 'security', auth: event }, 'access refused');
      },
    },
    ...(deps.readiness ? { readiness: deps.readiness } : {}),
    ...(deps.bodyLimit === undefined ? {} : { bodyLimit: deps.bodyLimit }),
    ...(deps.rateLimit === undefined ? {} : { rateLimit: deps.rateLimit }),
    metrics: { public: deps.metricsPublic ?? false },
    openapi: {
      description:
        'TwinContour transport (802-П пп. 10, 14.3): verifies both contours’ signatures again, delivers to the Bank of Russia, takes its answers.',
    },
  });
  if (deps.metrics) registerTransportMetrics(app.metricsRegistry, deps.metrics, deps.gauges ?? {});
  await app.register(messagesRoutes, { pool: deps.pool });
  // GET /v1/archive, GET /v1/archive/:id, POST /v1/archive/:id/verify (802-П п. 11).
  await app.register(archiveRoutes, { pool: deps.pool, trust: deps.archiveTrust, audit: deps.audit });
  if (deps.incidents) await app.register(incidentRoutes, { incidents: deps.incidents });
  // GET /v1/audit/events, GET /v1/audit/export, POST /v1/audit/verify: security officers only.
  registerAuditRoutes(app, {
    audit: deps.audit,
    ...(deps.auditCheckpointMs === undefined ? {} : { checkpointIntervalMs: deps.auditCheckpointMs }),
  });
  return app;
}
