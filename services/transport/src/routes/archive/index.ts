import {
  type ArchiveRecordMeta,
  type ArchiveTrust,
  type AuditLog,
  archiveError,
  listArchived,
  MAX_ARCHIVE_PAGE,
  readArchivedRecord,
  verifyArchived,
} from '@twincontour/audit';
import type { Pool } from '@twincontour/platform';
import type { FastifyPluginAsync } from 'fastify';

/** Options of {@link archiveRoutes}. */
export interface ArchiveRoutesOptions {
  pool: Pool;
  /** Whom re-verification trusts (the anchors and pins of the service's trust folder). */
  trust: ArchiveTrust;
  /** Each re-verification is an `archive.verified` event. */
  audit: Pick<AuditLog, 'record'>;
}

const ERROR = { $ref: 'PlatformError#' } as const;
const TAGS = ['archive'];
/**
 * Listing shows what was archived (digests, sizes, times) and no message bytes: operations staff see the
 * same in GET /v1/messages. The bytes and their re-verification are the security officer's (issue 6).
 */
const LIST_ROLES = ['ops', 'security-officer'] as const;
const RECORD_ROLES = ['security-officer'] as const;

const ED_REF = {
  type: 'object',
  required: ['edNo', 'edDate', 'edAuthor'],
  properties: { edNo: { type: 'string' }, edDate: { type: 'string' }, edAuthor: { type: 'string' } },
} as const;

const SHA256 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;

/** JSON Schema of a record's metadata (list items; GET adds `bytesBase64`). */
export const ARCHIVE_RECORD_SCHEMA = {
  type: 'object',
  required: [
    'id',
    'direction',
    'kind',
    'channel',
    'sha256',
    'size',
    'at',
    'signingTime',
    'retainUntil',
    'chain',
    'crls',
  ],
  properties: {
    id: { type: 'string', description: 'The record id (decimal); answers name their record by it' },
    direction: { type: 'string', enum: ['out', 'in'] },
    kind: {
      type: 'string',
      description:
        '`envelope` (КА + ЗК, verifiable), `enveloped-data` (wire bytes only), `incident-request` or `incident-answer` (802-П п. 19: the body with the document and its detached signature, verifiable)',
    },
    orderId: { type: 'string' },
    ed: ED_REF,
    channel: { type: 'string' },
    sourceRef: { type: 'string' },
    sha256: SHA256,
    size: { type: 'integer' },
    code: { type: 'string', description: 'TRN_* (INC_* for an incident answer) code of input transport refused' },
    reason: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    signingTime: {
      type: 'string',
      format: 'date-time',
      description: 'When transport sent or received it: the time re-verification judges the certificates at',
    },
    retainUntil: { type: 'string', format: 'date-time', description: 'Deletion is refused before (802-П п. 11)' },
    chain: { type: 'array', items: SHA256, description: 'SHA-256 of the stored certificates' },
    crls: { type: 'array', items: SHA256, description: 'SHA-256 of the stored CRLs in use when archived' },
  },
} as const;

const SIGNER_SCHEMA = {
  type: 'object',
  required: ['role', 'index', 'contour', 'result'],
  properties: {
    role: { type: 'string', enum: ['ka', 'zk', 'detached'] },
    index: { type: 'integer' },
    contour: { type: 'string' },
    serial: { type: 'string' },
    issuer: { type: 'string' },
    subject: { type: 'string' },
    thumbprint: { type: 'string' },
    result: { type: 'string', enum: ['valid', 'invalid'] },
    code: { type: 'string' },
    message: { type: 'string' },
    claimedSigningTime: { type: 'string', format: 'date-time' },
  },
} as const;

/** JSON Schema of an {@link ArchiveVerification}. */
export const ARCHIVE_VERIFICATION_SCHEMA = {
  type: 'object',
  required: ['ok', 'id', 'direction', 'kind', 'signingTime', 'signers', 'evidence', 'verifiedAt'],
  properties: {
    ok: { type: 'boolean' },
    id: { type: 'string' },
    direction: { type: 'string', enum: ['out', 'in'] },
    kind: { type: 'string' },
    signingTime: { type: 'string', format: 'date-time' },
    signers: { type: 'array', items: SIGNER_SCHEMA },
    code: { type: 'string', description: 'ARC_* code when not ok' },
    reason: { type: 'string' },
    sibling: { type: 'string', description: 'For ARC_WIRE_ONLY: the envelope record to verify instead' },
    evidence: {
      type: 'object',
      required: ['certificates', 'crls'],
      properties: {
        certificates: { type: 'integer' },
        crls: {
          type: 'array',
          items: {
            type: 'object',
            required: ['sha256', 'issuer', 'thisUpdate'],
            properties: { sha256: SHA256, issuer: { type: 'string' }, thisUpdate: { type: 'string' } },
          },
        },
      },
    },
    verifiedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const ID_PARAMS = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,18}$' } },
} as const;

/** A record's metadata as JSON (dates in ISO 8601). */
function metaJson(meta: ArchiveRecordMeta) {
  return {
    ...meta,
    at: meta.at.toISOString(),
    signingTime: meta.signingTime.toISOString(),
    retainUntil: meta.retainUntil.toISOString(),
  };
}

interface ListQuerystring {
  orderId?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

/**
 * The archive (802-П п. 11): `GET /v1/archive` lists records in time order (ops, security-officer; no
 * bytes), `GET /v1/archive/:id` gives one with its bytes, `POST /v1/archive/:id/verify` re-verifies it as
 * of its signing time with the stored chain and CRLs (security-officer).
 */
export const archiveRoutes: FastifyPluginAsync<ArchiveRoutesOptions> = async (app, options) => {
  const { pool, trust, audit } = options;

  app.get<{ Querystring: ListQuerystring }>(
    '/v1/archive',
    {
      config: { roles: [...LIST_ROLES] },
      schema: {
        tags: TAGS,
        summary: 'Archived messages in time order (metadata, no bytes), by order and time range',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            orderId: { type: 'string', minLength: 1, maxLength: 128 },
            from: { type: 'string', format: 'date-time', description: 'Records at or after (ISO 8601)' },
            to: { type: 'string', format: 'date-time', description: 'Records before (ISO 8601)' },
            cursor: { type: 'string', minLength: 1, maxLength: 128, description: '`next` of the previous page' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_ARCHIVE_PAGE, default: 100 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: {
              items: { type: 'array', items: ARCHIVE_RECORD_SCHEMA },
              next: { type: 'string', description: 'Cursor of the next page; absent on the last' },
            },
          },
          400: ERROR,
          401: ERROR,
          403: ERROR,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await listArchived(pool, {
        orderId: q.orderId,
        from: q.from === undefined ? undefined : new Date(q.from),
        to: q.to === undefined ? undefined : new Date(q.to),
        cursor: q.cursor,
        limit: q.limit,
      });
      if (!page.ok)
        throw archiveError(page.code === 'ARC_BAD_RANGE' ? 'ARC_BAD_RANGE' : 'ARC_BAD_CURSOR', page.message);
      return { items: page.value.items.map(metaJson), ...(page.value.next ? { next: page.value.next } : {}) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/archive/:id',
    {
      config: { roles: [...RECORD_ROLES] },
      schema: {
        tags: TAGS,
        summary: 'One archived message: its metadata and its bytes exactly as sent or received (base64)',
        params: ID_PARAMS,
        response: {
          200: {
            ...ARCHIVE_RECORD_SCHEMA,
            required: [...ARCHIVE_RECORD_SCHEMA.required, 'bytesBase64'],
            properties: { ...ARCHIVE_RECORD_SCHEMA.properties, bytesBase64: { type: 'string' } },
          },
          401: ERROR,
          403: ERROR,
          404: ERROR,
        },
      },
    },
    async (request) => {
      const found = await readArchivedRecord(pool, request.params.id);
      if (!found.ok) throw archiveError('ARC_NOT_FOUND', found.message);
      const { bytes, certificates: _c, crlBlobs: _b, laterCrls: _l, sibling: _s, ...meta } = found.value;
      return { ...metaJson(meta), bytesBase64: Buffer.from(bytes).toString('base64') };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/archive/:id/verify',
    {
      config: { roles: [...RECORD_ROLES] },
      schema: {
        tags: TAGS,
        summary:
          'Re-verify an archived message as of its signing time with the stored certificate chain and CRLs (802-П п. 11)',
        params: ID_PARAMS,
        response: { 200: ARCHIVE_VERIFICATION_SCHEMA, 401: ERROR, 403: ERROR, 404: ERROR },
      },
    },
    async (request) => {
      const found = await readArchivedRecord(pool, request.params.id);
      if (!found.ok) throw archiveError('ARC_NOT_FOUND', found.message);
      const record = found.value;
      const result = await verifyArchived(record, trust);
      await audit.record({
        type: 'archive.verified',
        actor: request.identity?.id ?? 'anonymous',
        result: result.ok ? 'pass' : 'fail',
        reason: result.code,
        orderId: record.orderId,
        ed: record.ed,
        digest: record.sha256,
        details: {
          archiveId: record.id,
          kind: record.kind,
          direction: record.direction,
          signingTime: result.signingTime,
        },
      });
      return result;
    },
  );
};
