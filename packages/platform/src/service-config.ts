import type { RateLimitSettings } from './app.js';
import { identityRecordSchema } from './auth.js';
import { cfg } from './config-schema.js';

/**
 * Settings every service has, to spread into its own schema:
 * `cfg.object({ ...SERVICE_CONFIG_PROPERTIES, TWINCONTOUR_F2C_REDIS_URL: cfg.string({ secret: true }) })`.
 */
export const SERVICE_CONFIG_PROPERTIES = Object.freeze({
  /** pino level. */
  TWINCONTOUR_LOG_LEVEL: cfg.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  /** Address the HTTP server binds. */
  TWINCONTOUR_HTTP_HOST: cfg.string({ default: '0.0.0.0' }),
  /** Port of the HTTP server. */
  TWINCONTOUR_HTTP_PORT: cfg.integer({ minimum: 1, maximum: 65535, default: 8080 }),
  /** Largest request body in bytes. */
  TWINCONTOUR_HTTP_BODY_LIMIT: cfg.integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1024 * 1024 }),
  /** The service's own PostgreSQL (may carry a password: a secret, or `…_FILE`). */
  TWINCONTOUR_DATABASE_URL: cfg.string({ secret: true, pattern: '^postgres(ql)?://' }),
  /** The identity registry: JSON list of `{ id, role, contour, keySha256?, certSha256? }` (or `…_FILE`). */
  TWINCONTOUR_IDENTITIES: cfg.array(identityRecordSchema, { secret: true, default: [] }),
  /** Serve `/metrics` without authentication (only where the scrape network is trusted). */
  TWINCONTOUR_METRICS_PUBLIC: cfg.boolean({ default: false }),
  /**
   * Requests per window of one identity with a people's role (operators, security officers, ops) over every
   * authenticated route: far above what a person or an ops tool does, low enough to stop a stolen key
   * scraping the back-office data. Exceeding answers 429 PLT_RATE_LIMITED with Retry-After.
   */
  TWINCONTOUR_RATE_LIMIT_MAX: cfg.integer({ minimum: 1, maximum: 100_000_000, default: 600 }),
  /**
   * Requests per window of one identity with a machine role (`backoffice`, `service`): the back office posts
   * payments at the bank's volume (shared/QUEUES.md: peaks of several hundred a second), so 60 000 a minute.
   */
  TWINCONTOUR_RATE_LIMIT_MACHINE_MAX: cfg.integer({ minimum: 1, maximum: 100_000_000, default: 60_000 }),
  /** The rate-limit window, milliseconds. */
  TWINCONTOUR_RATE_LIMIT_WINDOW_MS: cfg.integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),
});

/** The rate-limit settings of a service's configuration, for `buildServiceApp({ rateLimit })`. */
export function serviceRateLimit(config: {
  readonly TWINCONTOUR_RATE_LIMIT_MAX: number;
  readonly TWINCONTOUR_RATE_LIMIT_MACHINE_MAX: number;
  readonly TWINCONTOUR_RATE_LIMIT_WINDOW_MS: number;
}): { perIdentity: RateLimitSettings } {
  return {
    perIdentity: {
      max: config.TWINCONTOUR_RATE_LIMIT_MAX,
      machineMax: config.TWINCONTOUR_RATE_LIMIT_MACHINE_MAX,
      timeWindowMs: config.TWINCONTOUR_RATE_LIMIT_WINDOW_MS,
    },
  };
}
