import type { Queryable } from '@twincontour/platform';
import { auditError } from './errors.js';
import type { AuditCheckpoint, AuditEvent, AuditEventType, AuditQuery, AuditResult } from './types.js';

/** Columns of audit_events in the order every read selects them. */
export const EVENT_COLUMNS =
  'seq, id, at, contour, service, type, actor, result, reason, order_id, message_id, ed_no, ed_date, ed_author, digest, cert_serial, cert_issuer, cert_thumbprint, details, prev_hash, hash, chained_at';

/** A row of audit_events as pg returns it (bigint as string, timestamptz as Date). */
export interface EventRow {
  seq: string;
  id: string;
  at: Date;
  contour: string;
  service: string;
  type: string;
  actor: string;
  result: string;
  reason: string | null;
  order_id: string | null;
  message_id: string | null;
  ed_no: string | null;
  ed_date: string | null;
  ed_author: string | null;
  digest: string | null;
  cert_serial: string | null;
  cert_issuer: string | null;
  cert_thumbprint: string | null;
  details: Record<string, unknown> | null;
  prev_hash: string;
  hash: string;
  chained_at: Date;
}

/** The event a row holds. A half-filled ed or certificate (a superuser edit) is kept half-filled, so its hash breaks. */
export function rowToEvent(row: EventRow): AuditEvent {
  const ed =
    row.ed_no === null && row.ed_date === null && row.ed_author === null
      ? null
      : { edNo: row.ed_no as string, edDate: row.ed_date as string, edAuthor: row.ed_author as string };
  const certificate =
    row.cert_serial === null && row.cert_issuer === null && row.cert_thumbprint === null
      ? null
      : {
          serial: row.cert_serial as string,
          issuer: row.cert_issuer as string,
          thumbprint: row.cert_thumbprint as string,
        };
  return {
    seq: row.seq,
    id: row.id,
    at: row.at.toISOString(),
    contour: row.contour,
    service: row.service,
    type: row.type as AuditEventType,
    actor: row.actor,
    result: row.result as AuditResult,
    reason: row.reason,
    orderId: row.order_id,
    messageId: row.message_id,
    ed,
    digest: row.digest,
    certificate,
    details: row.details,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** Columns of audit_checkpoints in the order every read selects them. */
export const CHECKPOINT_COLUMNS = 'no, seq, head_hash, prev_checkpoint_hash, at, contour, interval_ms, signature, hash';

/** A row of audit_checkpoints as pg returns it. */
export interface CheckpointRow {
  no: string;
  seq: string;
  head_hash: string;
  prev_checkpoint_hash: string;
  at: Date;
  contour: string;
  interval_ms: string;
  signature: Buffer;
  hash: string;
}

/** The checkpoint a row holds. */
export function rowToCheckpoint(row: CheckpointRow): AuditCheckpoint {
  return {
    no: row.no,
    seq: row.seq,
    headHash: row.head_hash,
    prevCheckpointHash: row.prev_checkpoint_hash,
    at: row.at.toISOString(),
    contour: row.contour,
    signatureBase64: row.signature.toString('base64'),
    hash: row.hash,
    intervalMs: Number(row.interval_ms),
  };
}

/** Default page size of {@link queryEvents}. */
export const DEFAULT_LIMIT = 100;
/** Largest page of {@link queryEvents}. */
export const MAX_LIMIT = 1000;

const CURSOR_VERSION = 'v1';
const SEQ = /^[1-9][0-9]{0,18}$/;

/** The opaque cursor of the page after `seq`: base64url of `v1:<seq>`. */
export function encodeCursor(seq: string): string {
  return Buffer.from(`${CURSOR_VERSION}:${seq}`, 'utf8').toString('base64url');
}

/** The seq a cursor points after; `AUDIT_BAD_CURSOR` when it is not one {@link encodeCursor} made. */
export function decodeCursor(cursor: string): string {
  const text = /^[A-Za-z0-9_-]{1,64}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const [version, seq] = text.split(':');
  if (version !== CURSOR_VERSION || seq === undefined || !SEQ.test(seq) || BigInt(seq) > 9223372036854775807n) {
    throw auditError('AUDIT_BAD_CURSOR');
  }
  return seq;
}

/** The WHERE clause and parameters of the filters of a query (cursor and limit excepted). */
export function filterClause(query: AuditQuery, params: unknown[]): string {
  const where: string[] = [];
  const add = (sql: (n: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  for (const [name, time] of [
    ['from', query.from],
    ['to', query.to],
  ] as const) {
    if (time !== undefined && (!(time instanceof Date) || Number.isNaN(time.getTime()))) {
      throw auditError('AUDIT_BAD_TIME', `${name} is not a usable time`);
    }
  }
  if (query.from && query.to && query.from.getTime() >= query.to.getTime()) throw auditError('AUDIT_BAD_RANGE');
  if (query.from) add((p) => `at >= ${p}`, query.from);
  if (query.to) add((p) => `at < ${p}`, query.to);
  if (query.type) add((p) => `type = ${p}`, query.type);
  if (query.orderId) add((p) => `order_id = ${p}`, query.orderId);
  if (query.messageId) add((p) => `message_id = ${p}`, query.messageId);
  if (query.certificate) {
    // A thumbprint may be given with colons and in upper case; a serial as crypto prints it (lower hex).
    const thumbprint = query.certificate.replace(/:/g, '').toLowerCase();
    params.push(thumbprint, query.certificate.toLowerCase());
    where.push(`(cert_thumbprint = $${params.length - 1} or cert_serial = $${params.length})`);
  }
  if (query.result) add((p) => `result = ${p}`, query.result);
  return where.length > 0 ? where.join(' and ') : 'true';
}

/** True when a query has no filter: an export of it holds the whole chain. */
export function isUnfiltered(query: AuditQuery): boolean {
  return !(
    query.from ||
    query.to ||
    query.type ||
    query.orderId ||
    query.messageId ||
    query.certificate ||
    query.result
  );
}

/**
 * One page of events matching the filters, in chain order, after the cursor; `nextCursor` when more
 * may follow. Throws `AUDIT_BAD_CURSOR` / `AUDIT_BAD_RANGE` (AppError, 400) for bad input.
 */
export async function queryEvents(
  db: Queryable,
  query: AuditQuery,
): Promise<{ events: AuditEvent[]; nextCursor?: string | undefined }> {
  const limit = Math.min(Math.max(Math.trunc(query.limit ?? DEFAULT_LIMIT), 1), MAX_LIMIT);
  const params: unknown[] = [];
  let where = filterClause(query, params);
  if (query.cursor !== undefined) {
    params.push(decodeCursor(query.cursor));
    where += ` and seq > $${params.length}`;
  }
  params.push(limit + 1);
  const rows = await db.query<EventRow>(
    `select ${EVENT_COLUMNS} from audit_events where ${where} order by seq limit $${params.length}`,
    params,
  );
  const events = rows.rows.slice(0, limit).map(rowToEvent);
  const last = events.at(-1);
  return rows.rows.length > limit && last ? { events, nextCursor: encodeCursor(last.seq) } : { events };
}
