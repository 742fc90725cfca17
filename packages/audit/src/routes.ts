import { Readable } from 'node:stream';
import { createCollectedGauge } from '@twincontour/platform';
import type { FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { exportAudit } from './export.js';
import { DEFAULT_LIMIT, filterClause, MAX_LIMIT } from './store.js';
import { AUDIT_EVENT_TYPES, type AuditEventType, type AuditLog, type AuditQuery, type AuditResult } from './types.js';

/** Options of {@link registerAuditRoutes}. */
export interface AuditRoutesOptions {
  audit: AuditLog;
  /** The log's checkpoint interval, written into export headers (offline verifiers assume it before the first checkpoint). */
  checkpointIntervalMs?: number | undefined;
  /** Most verifications and exports per security officer per minute (each reads the whole chain). Default 10. */
  heavyRequestsPerMinute?: number | undefined;
}

/** Only security officers read the audit log (issue 6; 802-П п. 14). */
const ROLES = ['security-officer'] as const;
const ERROR = { $ref: 'PlatformError#' } as const;
const ERRORS = { 400: ERROR, 401: ERROR, 403: ERROR, 429: ERROR } as const;
const TAGS = ['audit'];

const NULLABLE_STRING = { type: ['string', 'null'] } as const;

/** JSON Schema of an {@link AuditEvent} (response serialization and the OpenAPI document). */
export const AUDIT_EVENT_SCHEMA = {
  type: 'object',
  required: [
    'seq',
    'id',
    'at',
    'contour',
    'service',
    'type',
    'actor',
    'result',
    'reason',
    'orderId',
    'messageId',
    'ed',
    'digest',
    'certificate',
    'details',
    'prevHash',
    'hash',
  ],
  properties: {
    seq: { type: 'string', description: 'Position in the chain, 1, 2, 3 … without gaps' },
    id: { type: 'string', format: 'uuid' },
    at: { type: 'string', format: 'date-time' },
    contour: { type: 'string' },
    service: { type: 'string' },
    type: { type: 'string', enum: [...AUDIT_EVENT_TYPES] },
    actor: { type: 'string' },
    result: { type: 'string', enum: ['pass', 'fail', 'info'] },
    reason: NULLABLE_STRING,
    orderId: NULLABLE_STRING,
    messageId: NULLABLE_STRING,
    ed: {
      type: ['object', 'null'],
      required: ['edNo', 'edDate', 'edAuthor'],
      properties: { edNo: { type: 'string' }, edDate: { type: 'string' }, edAuthor: { type: 'string' } },
    },
    digest: NULLABLE_STRING,
    certificate: {
      type: ['object', 'null'],
      required: ['serial', 'issuer', 'thumbprint'],
      properties: { serial: { type: 'string' }, issuer: { type: 'string' }, thumbprint: { type: 'string' } },
    },
    details: { type: ['object', 'null'], additionalProperties: true },
    prevHash: { type: 'string' },
    hash: { type: 'string' },
  },
} as const;

const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string' },
    seq: { type: 'string' },
    eventId: { type: 'string' },
    checkpointNo: { type: 'string' },
    message: { type: 'string' },
  },
} as const;

/** JSON Schema of an {@link AuditVerification}. */
export const AUDIT_VERIFICATION_SCHEMA = {
  type: 'object',
  required: ['ok', 'contour', 'events', 'checkpoints', 'problems'],
  properties: {
    ok: { type: 'boolean' },
    contour: { type: 'string' },
    events: { type: 'integer' },
    checkpoints: { type: 'integer' },
    firstBroken: PROBLEM_SCHEMA,
    problems: { type: 'array', items: PROBLEM_SCHEMA },
  },
} as const;

// No NUL: PostgreSQL refuses it in text, which would answer 500 instead of 400.
const ID = { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^\\u0000]+$' } as const;

/** Filters shared by the list and the export. */
const FILTER_PROPERTIES = {
  from: { type: 'string', format: 'date-time', description: 'Events at or after (ISO 8601)' },
  to: { type: 'string', format: 'date-time', description: 'Events before (ISO 8601)' },
  type: { type: 'string', enum: [...AUDIT_EVENT_TYPES] },
  orderId: ID,
  messageId: ID,
  certificate: {
    type: 'string',
    pattern: '^[0-9A-Fa-f:]{1,200}$',
    description: 'Certificate SHA-256 thumbprint (hex, colons allowed) or serial number (hex)',
  },
  result: { type: 'string', enum: ['pass', 'fail', 'info'] },
} as const;

interface FilterQuerystring {
  from?: string;
  to?: string;
  type?: AuditEventType;
  orderId?: string;
  messageId?: string;
  certificate?: string;
  result?: AuditResult;
}

function toQuery(q: FilterQuerystring): AuditQuery {
  const query: AuditQuery = {};
  if (q.from !== undefined) query.from = new Date(q.from);
  if (q.to !== undefined) query.to = new Date(q.to);
  if (q.type !== undefined) query.type = q.type;
  if (q.orderId !== undefined) query.orderId = q.orderId;
  if (q.messageId !== undefined) query.messageId = q.messageId;
  if (q.certificate !== undefined) query.certificate = q.certificate;
  if (q.result !== undefined) query.result = q.result;
  return query;
}

function metric<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * The security-officer API of one service's audit log, for the `security-officer` role only:
 *
 * - `GET /v1/audit/events`: filters (time range, type, order, message, certificate, result), in chain
 *   order, cursor pagination (opaque `nextCursor`, `limit` ≤ 1000);
 * - `GET /v1/audit/export?format=ndjson|csv`: the matching events streamed; an unfiltered NDJSON export
 *   also holds every checkpoint and verifies offline (`verifyExport`, `twincontour audit verify --file`);
 * - `POST /v1/audit/verify`: the chain and the checkpoints verified, the first broken link named;
 *   recorded as an `audit.verified` event and counted in `twincontour_audit_verification_failures_total`
 *   when it finds problems.
 *
 * Also registers `twincontour_audit_inbox_backlog` (events recorded, not yet chained) on the app's registry.
 */
export function registerAuditRoutes(app: FastifyInstance, options: AuditRoutesOptions): void {
  const { audit } = options;
  const registry = app.metricsRegistry;
  const failures = metric(
    registry,
    'twincontour_audit_verification_failures_total',
    () =>
      new Counter({
        name: 'twincontour_audit_verification_failures_total',
        help: 'Audit log verifications that found a broken chain or checkpoint, by contour.',
        labelNames: ['contour'] as const,
        registers: [registry],
      }),
  ) as Counter<'contour'>;
  // Shown at 0 from the start, so an alert on increase() has a series to compare with.
  failures.inc({ contour: audit.contour }, 0);
  metric(registry, 'twincontour_audit_inbox_backlog', () =>
    createCollectedGauge(registry, {
      name: 'twincontour_audit_inbox_backlog',
      help: 'Audit events recorded but not yet chained (audit_inbox rows), by contour.',
      labelNames: ['contour'],
      read: async () => {
        const r = await audit.pool.query<{ n: string }>('select count(*) as n from audit_inbox');
        return [{ labels: { contour: audit.contour }, value: Number(r.rows[0]?.n ?? 0) }];
      },
      onError: (error) => app.log.warn({ err: error }, 'audit inbox backlog unavailable'),
    }),
  );
  const heavy = { rateLimit: { max: options.heavyRequestsPerMinute ?? 10, timeWindow: 60_000 } };

  app.get<{ Querystring: FilterQuerystring & { cursor?: string; limit?: number } }>(
    '/v1/audit/events',
    {
      config: { roles: ROLES },
      schema: {
        tags: TAGS,
        summary: 'Audit events in chain order, filtered, with cursor pagination',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...FILTER_PROPERTIES,
            cursor: { type: 'string', minLength: 1, maxLength: 64, description: 'nextCursor of the previous page' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['events'],
            properties: {
              events: { type: 'array', items: AUDIT_EVENT_SCHEMA },
              nextCursor: { type: 'string', description: 'Absent on the last page' },
            },
          },
          ...ERRORS,
        },
      },
    },
    async (request) => {
      const { cursor, limit, ...filters } = request.query;
      const query = toQuery(filters);
      if (cursor !== undefined) query.cursor = cursor;
      if (limit !== undefined) query.limit = limit;
      return audit.query(query);
    },
  );

  app.get<{ Querystring: FilterQuerystring & { format?: 'ndjson' | 'csv' } }>(
    '/v1/audit/export',
    {
      config: { roles: ROLES, ...heavy },
      schema: {
        tags: TAGS,
        summary: 'Export of the audit log (NDJSON with checkpoints when unfiltered, or CSV), streamed',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...FILTER_PROPERTIES, format: { type: 'string', enum: ['ndjson', 'csv'], default: 'ndjson' } },
        },
        response: {
          200: {
            description:
              'NDJSON: a header line, the events in seq order, then (unfiltered) the checkpoints. CSV: a header row and one row per event.',
            content: {
              'application/x-ndjson': { schema: { type: 'string' } },
              'text/csv': { schema: { type: 'string' } },
            },
          },
          ...ERRORS,
        },
      },
    },
    async (request, reply) => {
      const { format = 'ndjson', ...filters } = request.query;
      const query = toQuery(filters);
      // Bad filters answer 400 before the first byte; once streaming, the status is sent.
      filterClause(query, []);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const file = `audit-${audit.contour}-${stamp}.${format}`;
      void reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="${file}"`)
        .header('cache-control', 'no-store');
      return reply.send(
        Readable.from(
          exportAudit(audit.pool, {
            contour: audit.contour,
            service: audit.service,
            format,
            query,
            ...(options.checkpointIntervalMs !== undefined
              ? { checkpointIntervalMs: options.checkpointIntervalMs }
              : {}),
          }),
        ),
      );
    },
  );

  app.post(
    '/v1/audit/verify',
    {
      config: { roles: ROLES, ...heavy },
      schema: {
        tags: TAGS,
        summary: 'Verify the chain and the checkpoints; names the first broken link',
        response: { 200: AUDIT_VERIFICATION_SCHEMA, ...ERRORS },
      },
    },
    async (request) => {
      const result = await audit.verify();
      if (!result.ok) failures.inc({ contour: audit.contour });
      await audit.record({
        type: 'audit.verified',
        actor: request.identity?.id ?? 'anonymous',
        result: result.ok ? 'pass' : 'fail',
        reason: result.firstBroken?.code,
        details: {
          events: result.events,
          checkpoints: result.checkpoints,
          problems: result.problems.length,
          ...(result.firstBroken?.seq ? { firstBrokenSeq: result.firstBroken.seq } : {}),
        },
      });
      if (!result.ok) {
        request.log.warn(
          { audit: { contour: result.contour, firstBroken: result.firstBroken } },
          'audit log verification failed',
        );
      }
      return result;
    },
  );
}
