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
import type { IncidentDesk } from './incidents.js';
import { incidentRoutes } from './routes/incidents/index.js';
import { receivedRoutes } from './routes/received/index.js';

/** The contour of the simulator's own identities (TWINCONTOUR_IDENTITIES entries use `"contour": "cbr"`). */
export const SIMULATOR_CONTOUR = 'cbr';

/** What {@link buildApp} is built from (main.ts and tests pass the real things). */
export interface AppDeps {
  logger: Logger;
  /** TWINCONTOUR_IDENTITIES; only identities of contour `cbr` are accepted. */
  identities: IdentityRegistry;
  pool: Pool;
  readiness?: Readonly<Record<string, ReadinessCheck>>;
  bodyLimit?: number;
  metricsPublic?: boolean;
  /** Per-identity rate limit of the authenticated routes (main.ts: `serviceRateLimit(config)`); none when absent. */
  rateLimit?: ServiceAppOptions['rateLimit'];
  onAuthFailure?: (event: AuthFailureEvent) => void;
  /** The incident desk (802-П п. 19): GET /v1/incidents shows the suspension and the requests, when given. */
  incidents?: IncidentDesk;
}

/**
 * Builds the simulator's ops/test API — it never listens (main.ts does). Platform base (auth, errors,
 * /health, /ready, /metrics, /openapi.json) plus what was received. The exchange itself is the separate
 * mTLS server (adapters/mtls-server.ts).
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = await buildServiceApp({
    service: 'cbr-simulator',
    logger: deps.logger,
    auth: {
      contour: SIMULATOR_CONTOUR,
      registry: deps.identities,
      onAuthFailure:
        deps.onAuthFailure ?? ((event) => deps.logger.warn({ event: 'security', auth: event }, 'access refused')),
    },
    ...(deps.readiness ? { readiness: deps.readiness } : {}),
    ...(deps.bodyLimit === undefined ? {} : { bodyLimit: deps.bodyLimit }),
    ...(deps.rateLimit === undefined ? {} : { rateLimit: deps.rateLimit }),
    metrics: { public: deps.metricsPublic ?? false },
    openapi: {
      description:
        'A SIMULATOR of the Bank of Russia for the TwinContour demo and end-to-end tests — not the Bank of Russia ' +
        'and not part of the gateway. It receives envelopes over mTLS or from the АРМ КБР-Н pickup folder, checks ' +
        'them (КА, ЗК, official XSD, duplicates) and answers with signed ED201 and ED206. This API shows what it received.',
    },
  });
  await app.register(receivedRoutes, { pool: deps.pool });
  if (deps.incidents) await app.register(incidentRoutes, { incidents: deps.incidents });
  return app;
}
