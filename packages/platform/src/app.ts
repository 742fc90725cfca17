import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { fastifyRateLimit } from '@fastify/rate-limit';
import { fastifySwagger } from '@fastify/swagger';
import {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  type FastifyServerOptions,
  fastify,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { type AuthOptions, installAuth, type Role, SECURITY_SCHEMES } from './auth.js';
import { errorHandler, notFoundHandler, platformError, toErrorAnswer } from './errors.js';
import { installJsonBodyParser } from './json-body.js';
import type { FieldError } from './result.js';
import { buildRouteValidator } from './validation.js';

/** A readiness check: resolves when the dependency answers; rejects (or passes the signal's abort) when not. */
export type ReadinessCheck = (signal: AbortSignal) => Promise<unknown>;

/** Options of {@link buildServiceApp}. */
export interface ServiceAppOptions {
  /** Service name: OpenAPI title and metric label. */
  service: string;
  /** The service's pino logger (see `createLogger`). */
  logger: Logger;
  /** Authentication: contour, identity registry, failure callback. */
  auth: AuthOptions;
  /** Named readiness checks run by `/ready` (e.g. `{ postgres: pgReadiness(pool), redis: redisReadiness(r) }`). */
  readiness?: Readonly<Record<string, ReadinessCheck>>;
  /** Time each readiness check may take; default 2000 ms. */
  readinessTimeoutMs?: number;
  /** Largest accepted body in bytes; default 1 MiB. */
  bodyLimit?: number;
  /**
   * `@fastify/rate-limit` defaults. Off for every route unless `global: true` or `perIdentity` is given; a
   * route opts in (or sets its own limit) with `config: { rateLimit: { max, timeWindow } }`. Callers are keyed
   * by identity, or address when anonymous. Exceeding answers 429 `PLT_RATE_LIMITED` with `Retry-After`.
   */
  rateLimit?: {
    global?: boolean;
    max?: number;
    timeWindow?: number | string;
    /**
     * One budget per identity over every authenticated route without a `config.rateLimit` of its own
     * (routes added later are covered without opting in); public routes are never limited. `machineMax`
     * applies to the machine roles (`backoffice`, `service`: the back office posts payments at the bank's
     * volume), `max` to people's roles (operators, security officers, ops).
     */
    perIdentity?: RateLimitSettings;
  };
  /** OpenAPI `info`. */
  openapi?: { version?: string; description?: string };
  /**
   * `/metrics`: behind auth for `roles` (default `ops`, `service`) unless `public: true` — metrics reveal
   * volumes and error rates, which is operational data of a payment system. Prometheus can send
   * `authorization: { type: ApiKey, credentials_file: … }`.
   */
  metrics?: { public?: boolean; roles?: readonly Role[]; defaultMetrics?: boolean };
  /** HTTPS (and mTLS with `requestCert: true` + `ca`). Without it the app speaks plain HTTP. */
  https?: HttpsServerOptions;
  /** fastify `trustProxy` (only behind a known reverse proxy). */
  trustProxy?: FastifyServerOptions['trustProxy'];
}

/** A per-identity request budget (see `ServiceAppOptions.rateLimit.perIdentity` and {@link serviceRateLimit}). */
export interface RateLimitSettings {
  /** Requests per window of an identity with a people's role. */
  max: number;
  /** Requests per window of an identity with a machine role (`backoffice`, `service`). */
  machineMax: number;
  /** The window, in milliseconds. */
  timeWindowMs: number;
}

/** Roles of systems rather than people: their budget is `machineMax`. */
const MACHINE_ROLES: ReadonlySet<Role> = new Set<Role>(['backoffice', 'service']);

/** One route as declared, with its authentication: what {@link FastifyInstance.routeTable} lists. */
export interface DeclaredRoute {
  readonly method: string;
  /** The route template (`/v1/payment-orders/:id`). */
  readonly url: string;
  /** True for routes without authentication (health, readiness, OpenAPI). */
  readonly public: boolean;
  /** Roles allowed; empty for a public route. */
  readonly roles: readonly Role[];
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's own Prometheus registry; services register their metrics here. */
    metricsRegistry: Registry;
    /**
     * Every route of the app as declared (HEAD twins of GET routes included), recorded when it is added, so a
     * table-driven authorization test enumerates the routes themselves and no route escapes it.
     */
    routeTable: readonly DeclaredRoute[];
  }
}

/** An incoming `X-Request-Id` is kept only when it is short and plain, so it cannot forge log lines. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The shared schema of every error answer, for routes' `response` sections: `{ $ref: 'PlatformError#' }`. */
export const ERROR_BODY_SCHEMA = Object.freeze({
  $id: 'PlatformError',
  type: 'object',
  required: ['statusCode', 'code', 'error', 'message', 'requestId'],
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    error: { type: 'string' },
    message: { type: 'string' },
    requestId: { type: 'string' },
    details: {
      type: 'array',
      items: {
        type: 'object',
        required: ['code', 'path', 'message'],
        properties: { code: { type: 'string' }, path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
});

/**
 * Answers what node's HTTP parser refuses before any route runs (a malformed request line, both
 * Content-Length and Transfer-Encoding, a bad chunk size, headers over 16 KiB, a request too slow to
 * arrive) in the common error body with a catalogued code, then closes the connection — the same as
 * fastify's default, which answers in a body of its own.
 */
function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'PLT_HEADERS_TOO_LARGE'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'PLT_REQUEST_TIMEOUT'
        : 'PLT_BAD_REQUEST';
  if (socket.writable) {
    const answer = toErrorAnswer(platformError(code, 'the request is not valid HTTP/1.1'), randomUUID());
    const body = JSON.stringify(answer.body);
    socket.write(
      `HTTP/1.1 ${answer.statusCode} ${STATUS_CODES[answer.statusCode] ?? 'Error'}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** Runs one check with a deadline; resolves to `undefined` on success or a short error class on failure. */
async function runCheck(
  check: ReadinessCheck,
  timeoutMs: number,
  log: FastifyBaseLogger,
  name: string,
): Promise<string | undefined> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve('timeout');
    }, timeoutMs);
  });
  try {
    return await Promise.race([check(controller.signal).then(() => undefined), timeout]);
  } catch (error) {
    log.warn({ err: error, check: name }, 'readiness check failed');
    // Only the error class reaches the client: a message could name hosts, users or addresses.
    return (error as { code?: unknown }).code !== undefined ? String((error as { code: unknown }).code) : 'error';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Builds a service's fastify instance — it never listens (`runService` does, in `main.ts`; tests use
 * `app.inject`). The instance has:
 *
 * - request ids (`X-Request-Id` kept when safe, else a UUID; echoed in the answer) and the given logger;
 * - the common error body for every error, 404 `PLT_NOT_FOUND`, strict validation listing every field;
 * - authentication on every route except those with `config.public` (see `installAuth`);
 * - `/health` (alive), `/ready` (readiness checks, 503 `PLT_NOT_READY` naming each failing one),
 *   `/metrics` (Prometheus, per-app registry, HTTP counter and duration histogram), `/openapi.json`;
 * - `@fastify/rate-limit`, off unless a route asks for it.
 *
 * Register routes after awaiting this function, so their schemas reach the OpenAPI document.
 */
export async function buildServiceApp(options: ServiceAppOptions): Promise<FastifyInstance> {
  const fastifyOptions: FastifyServerOptions & { https?: HttpsServerOptions } = {
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    // fastify's typings describe the compiler as taking a bare schema; at run time it receives
    // `{ schema, httpPart, … }`, which is what buildRouteValidator takes.
    schemaController: { compilersFactory: { buildValidator: buildRouteValidator as never } },
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
    // Longer than any id a route's schema allows (their maxLength decides), short enough to bound the router.
    routerOptions: { maxParamLength: 256 },
    // A URL the router cannot decode (`%ZZ`, overlong UTF-8) or a parameter past maxParamLength answers in the
    // common error body with a catalogued code, not fastify's own body.
    frameworkErrors: (error, request, reply) => {
      const code = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'PLT_URL_TOO_LONG' : 'PLT_BAD_REQUEST';
      errorHandler(platformError(code, error.message), request, reply);
    },
    clientErrorHandler,
  };
  if (options.https) fastifyOptions.https = options.https;
  const app = fastify(fastifyOptions) as unknown as FastifyInstance;

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  installJsonBodyParser(app);
  app.addSchema(ERROR_BODY_SCHEMA);
  // While the app closes, answers in flight tell the client to drop the connection: a keep-alive
  // connection left open would hold app.close() (and the shutdown) until its idle timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    if (closing) void reply.header('connection', 'close');
  });

  // Auth first: its onRoute check must see every route registered after it.
  installAuth(app, options.auth);
  const routeTable: DeclaredRoute[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as { roles?: readonly Role[]; public?: boolean };
    for (const method of [route.method].flat()) {
      routeTable.push(
        Object.freeze({
          method: String(method),
          url: route.url,
          public: config.public === true,
          roles: Object.freeze(config.public === true ? [] : [...(config.roles ?? [])]),
        }),
      );
    }
  });

  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.metrics?.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route template, method and status.',
    labelNames: ['route', 'method', 'status_code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route template, method and status.',
    labelNames: ['route', 'method', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.decorate('metricsRegistry', registry);
  app.addHook('onResponse', async (request, reply) => {
    // Route templates, never raw URLs, so ids in paths do not explode the label set.
    const route = request.is404 ? 'not_found' : (request.routeOptions.url ?? 'unknown');
    const labels = { route, method: request.method, status_code: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: options.service,
        version: options.openapi?.version ?? '0.1.0',
        ...(options.openapi?.description ? { description: options.openapi.description } : {}),
      },
      components: { securitySchemes: { ...SECURITY_SCHEMES } as never },
    },
  });

  const perIdentity = options.rateLimit?.perIdentity;
  await app.register(fastifyRateLimit, {
    global: (options.rateLimit?.global ?? false) || perIdentity !== undefined,
    ...(perIdentity
      ? {
          max: (request: FastifyRequest) =>
            request.identity && MACHINE_ROLES.has(request.identity.role) ? perIdentity.machineMax : perIdentity.max,
          timeWindow: perIdentity.timeWindowMs,
          // Public routes (health, readiness, OpenAPI) carry no identity and are never limited: an
          // orchestrator's probes must not be refused because someone floods from the same address.
          allowList: (request: FastifyRequest) => request.identity === null,
        }
      : { max: options.rateLimit?.max ?? 100, timeWindow: options.rateLimit?.timeWindow ?? 60_000 }),
    keyGenerator: (request) => (request.identity ? `id:${request.identity.id}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      platformError('PLT_RATE_LIMITED', `rate limit exceeded, retry in ${context.after}`),
  });

  app.get(
    '/health',
    { config: { public: true }, schema: { tags: ['platform'], summary: 'Process alive' } },
    async () => ({
      status: 'ok',
    }),
  );

  const checks = Object.entries(options.readiness ?? {});
  const readinessTimeoutMs = options.readinessTimeoutMs ?? 2000;
  app.get(
    '/ready',
    { config: { public: true }, schema: { tags: ['platform'], summary: 'Dependencies answer' } },
    async (request) => {
      const results = await Promise.all(
        checks.map(
          async ([name, check]) => [name, await runCheck(check, readinessTimeoutMs, request.log, name)] as const,
        ),
      );
      const failed: FieldError[] = results
        .filter(([, error]) => error !== undefined)
        .map(([name, error]) => ({ code: 'PLT_CHECK_FAILED', path: name, message: error ?? 'error' }));
      if (failed.length > 0) {
        throw platformError('PLT_NOT_READY', `not ready: ${failed.map((f) => f.path).join(', ')}`, failed);
      }
      return { status: 'ready', checks: Object.fromEntries(results.map(([name]) => [name, 'ok'])) };
    },
  );

  const metricsConfig = options.metrics?.public
    ? { public: true }
    : { roles: options.metrics?.roles ?? (['ops', 'service'] as const) };
  app.get(
    '/metrics',
    { config: metricsConfig, schema: { tags: ['platform'], summary: 'Prometheus metrics' } },
    async (_request, reply) => {
      void reply.type(registry.contentType);
      return registry.metrics();
    },
  );

  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  return app;
}
