import { type AuditLog, authFailedEvent, registerAuditRoutes } from '@twincontour/audit';
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
import { type createControlMetrics, registerControlMetrics } from './metrics.js';
import { controlsRoutes } from './routes/controls/index.js';
import { sourceDocumentsRoutes } from './routes/source-documents/index.js';

/** What {@link buildApp} is built from (main.ts and tests pass the real things). */
export interface AppDeps {
  logger: Logger;
  /** TWINCONTOUR_IDENTITIES; identities of any contour but `control` are refused (802-П прил. 1.1). */
  identities: IdentityRegistry;
  pool: Pool;
  readiness?: Readonly<Record<string, ReadinessCheck>>;
  bodyLimit?: number;
  metricsPublic?: boolean;
  /** Per-identity rate limit of the authenticated routes (main.ts: `serviceRateLimit(config)`); none when absent. */
  rateLimit?: ServiceAppOptions['rateLimit'];
  /** Worker metrics and scrape-time gauges to register on the app's registry. */
  metrics?: ReturnType<typeof createControlMetrics>;
  gauges?: Parameters<typeof registerControlMetrics>[2];
  /** Called after a new primary document committed. */
  onSourceStored?: () => void;
  /** Also told of every refused request (each is recorded as `auth.failed` in the audit log first). */
  onAuthFailure?: (event: AuthFailureEvent) => void;
  /** The service's audit log (DESIGN.md, Audit log): refused logins here; read by security officers. */
  audit: AuditLog;
  /** TWINCONTOUR_AUDIT_CHECKPOINT_MS, written into audit exports. */
  auditCheckpointMs?: number;
}

/**
 * Builds the control service's HTTP app — it never listens (main.ts does). Platform base (auth by role
 * and contour `control`, errors, /health, /ready, /metrics, /openapi.json) plus the routes of
 * primary documents and control decisions.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = await buildServiceApp({
    service: 'control',
    logger: deps.logger,
    auth: {
      contour: 'control',
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
    openapi: { description: 'TwinContour control contour (802-П прил. 1.4): primary documents and control decisions.' },
  });
  if (deps.metrics) registerControlMetrics(app.metricsRegistry, deps.metrics, deps.gauges ?? {});
  await app.register(sourceDocumentsRoutes, { pool: deps.pool, onStored: deps.onSourceStored });
  await app.register(controlsRoutes, { pool: deps.pool });
  // GET /v1/audit/events, GET /v1/audit/export, POST /v1/audit/verify: security officers only.
  registerAuditRoutes(app, {
    audit: deps.audit,
    ...(deps.auditCheckpointMs === undefined ? {} : { checkpointIntervalMs: deps.auditCheckpointMs }),
  });
  return app;
}
