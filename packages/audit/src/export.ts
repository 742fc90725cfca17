import type { CertificateValidator } from '@twincontour/crypto';
import type { Pool } from '@twincontour/platform';
import { eventHash } from './hash.js';
import {
  CHECKPOINT_COLUMNS,
  type CheckpointRow,
  EVENT_COLUMNS,
  type EventRow,
  filterClause,
  isUnfiltered,
  rowToCheckpoint,
  rowToEvent,
} from './store.js';
import type { AuditCheckpoint, AuditEvent, AuditProblem, AuditQuery, AuditVerification } from './types.js';
import {
  ChainChecker,
  CheckpointChecker,
  DEFAULT_CHECKPOINT_GRACE_MS,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  missingCheckpoint,
  type UncoveredEvent,
  verification,
} from './verify.js';

/** Name in the header line of every export, so a verifier knows what it holds. */
export const EXPORT_FORMAT = 'twincontour-audit-export';

/** The first line of an NDJSON export. */
export interface ExportHeader {
  kind: 'header';
  format: typeof EXPORT_FORMAT;
  version: 1;
  contour: string;
  service: string;
  /** ISO 8601: the snapshot's time; offline verification measures overdue checkpoints against it. */
  exportedAt: string;
  /** True when unfiltered: every event from seq 1 and every checkpoint, enough to verify offline. */
  full: boolean;
  /** The filters of a partial export (dates as ISO 8601). */
  filter?: Record<string, string>;
  /** The interval a verifier assumes before the first checkpoint (checkpoints carry their own). */
  checkpointIntervalMs: number;
}

/** An event line: the event, and when it joined the chain (not hashed; for the missing-checkpoint check). */
export type ExportEventLine = { kind: 'event' } & AuditEvent & { chainedAt: string };
/** A checkpoint line. */
export type ExportCheckpointLine = { kind: 'checkpoint' } & AuditCheckpoint;

/** Options of {@link exportAudit}. */
export interface ExportOptions {
  contour: string;
  service: string;
  format: 'ndjson' | 'csv';
  /** Filters (cursor and limit are ignored: an export is every matching event). */
  query?: AuditQuery;
  checkpointIntervalMs?: number;
}

/** CSV columns, one per field of an event (ed and certificate flattened, details as JSON). */
export const CSV_COLUMNS = [
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
  'edNo',
  'edDate',
  'edAuthor',
  'digest',
  'certSerial',
  'certIssuer',
  'certThumbprint',
  'details',
  'prevHash',
  'hash',
] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF, or starts or ends with
 * a space, inner quotes doubled. Values are written exactly: no `'` is put before `=`, `+`, `-`, `@`
 * (spreadsheet formula guards alter the data an auditor compares); open the file as text.
 */
export function csvField(value: string | null): string {
  if (value === null) return '';
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV record of an event, without the line end. */
export function csvRecord(e: AuditEvent): string {
  const values: (string | null)[] = [
    e.seq,
    e.id,
    e.at,
    e.contour,
    e.service,
    e.type,
    e.actor,
    e.result,
    e.reason,
    e.orderId,
    e.messageId,
    e.ed?.edNo ?? null,
    e.ed?.edDate ?? null,
    e.ed?.edAuthor ?? null,
    e.digest,
    e.certificate?.serial ?? null,
    e.certificate?.issuer ?? null,
    e.certificate?.thumbprint ?? null,
    e.details === null ? null : JSON.stringify(e.details),
    e.prevHash,
    e.hash,
  ];
  return values.map(csvField).join(',');
}

const PAGE = 1000;

function filterDescription(query: AuditQuery): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (key === 'cursor' || key === 'limit' || value === undefined) continue;
    out[key] = value instanceof Date ? value.toISOString() : String(value);
  }
  return out;
}

/**
 * The export as chunks of text, read page by page in one REPEATABLE READ READ ONLY transaction (one
 * snapshot, however long the download). NDJSON: a header line, every matching event in seq order and,
 * when unfiltered, every checkpoint in number order. CSV: a header row and one record per event, CRLF.
 * Filter errors (AUDIT_BAD_RANGE) are thrown before the first chunk.
 */
export async function* exportAudit(pool: Pool, options: ExportOptions): AsyncGenerator<string> {
  const query = options.query ?? {};
  const params: unknown[] = [];
  const where = filterClause(query, params);
  const full = isUnfiltered(query);
  const client = await pool.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    try {
      const exportedAt = (await client.query<{ now: Date }>('select now()')).rows[0]?.now ?? new Date();
      if (options.format === 'csv') {
        yield `${CSV_COLUMNS.join(',')}\r\n`;
      } else {
        const header: ExportHeader = {
          kind: 'header',
          format: EXPORT_FORMAT,
          version: 1,
          contour: options.contour,
          service: options.service,
          exportedAt: exportedAt.toISOString(),
          full,
          ...(full ? {} : { filter: filterDescription(query) }),
          checkpointIntervalMs: options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
        };
        yield `${JSON.stringify(header)}\n`;
      }
      let after = '0';
      for (;;) {
        const page = await client.query<EventRow>(
          `select ${EVENT_COLUMNS} from audit_events where ${where} and seq > $${params.length + 1}
            order by seq limit $${params.length + 2}`,
          [...params, after, PAGE],
        );
        if (page.rows.length > 0) {
          yield page.rows
            .map((row) => {
              const event = rowToEvent(row);
              if (options.format === 'csv') return `${csvRecord(event)}\r\n`;
              const line: ExportEventLine = { kind: 'event', ...event, chainedAt: row.chained_at.toISOString() };
              return `${JSON.stringify(line)}\n`;
            })
            .join('');
        }
        const last = page.rows.at(-1);
        if (!last || page.rows.length < PAGE) break;
        after = last.seq;
      }
      if (options.format === 'ndjson' && full) {
        let afterNo = '0';
        for (;;) {
          const page = await client.query<CheckpointRow>(
            `select ${CHECKPOINT_COLUMNS} from audit_checkpoints where no > $1 order by no limit $2`,
            [afterNo, PAGE],
          );
          if (page.rows.length > 0) {
            yield page.rows
              .map((row) => `${JSON.stringify({ kind: 'checkpoint', ...rowToCheckpoint(row) })}\n`)
              .join('');
          }
          const last = page.rows.at(-1);
          if (!last || page.rows.length < PAGE) break;
          afterNo = last.no;
        }
      }
    } finally {
      await client.query('rollback');
    }
  } finally {
    client.release();
  }
}

/** Options of {@link verifyExport}. */
export interface VerifyExportOptions {
  /** The contour the export must be of (the header is not signed; pin it when you know it). */
  contour?: string | undefined;
  /** Overrides the header's interval for logs without checkpoints. */
  checkpointIntervalMs?: number | undefined;
  checkpointGraceMs?: number | undefined;
  /** "Now" of the missing-checkpoint check. Default: the header's exportedAt. */
  now?: Date | undefined;
}

const SEQ = /^[1-9][0-9]{0,18}$/;

const str = (v: unknown): v is string => typeof v === 'string';
const strOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isEventLine(v: Record<string, unknown>): v is Record<string, unknown> & ExportEventLine {
  const ed = v.ed;
  const cert = v.certificate;
  return (
    str(v.seq) &&
    SEQ.test(v.seq) &&
    str(v.id) &&
    str(v.at) &&
    str(v.contour) &&
    str(v.service) &&
    str(v.type) &&
    str(v.actor) &&
    str(v.result) &&
    strOrNull(v.reason) &&
    strOrNull(v.orderId) &&
    strOrNull(v.messageId) &&
    (ed === null || (obj(ed) && str(ed.edNo) && str(ed.edDate) && str(ed.edAuthor))) &&
    strOrNull(v.digest) &&
    (cert === null || (obj(cert) && str(cert.serial) && str(cert.issuer) && str(cert.thumbprint))) &&
    (v.details === null || obj(v.details)) &&
    str(v.prevHash) &&
    str(v.hash) &&
    (v.chainedAt === undefined || (str(v.chainedAt) && !Number.isNaN(Date.parse(v.chainedAt))))
  );
}

function isCheckpointLine(v: Record<string, unknown>): v is Record<string, unknown> & ExportCheckpointLine {
  return (
    str(v.no) &&
    SEQ.test(v.no) &&
    str(v.seq) &&
    SEQ.test(v.seq) &&
    str(v.headHash) &&
    str(v.prevCheckpointHash) &&
    str(v.at) &&
    !Number.isNaN(Date.parse(v.at)) &&
    str(v.contour) &&
    str(v.signatureBase64) &&
    str(v.hash) &&
    (v.intervalMs === undefined || (typeof v.intervalMs === 'number' && Number.isSafeInteger(v.intervalMs)))
  );
}

function isHeader(v: Record<string, unknown>): v is Record<string, unknown> & ExportHeader {
  return (
    v.kind === 'header' &&
    v.format === EXPORT_FORMAT &&
    v.version === 1 &&
    str(v.contour) &&
    str(v.service) &&
    str(v.exportedAt) &&
    !Number.isNaN(Date.parse(v.exportedAt)) &&
    typeof v.full === 'boolean' &&
    typeof v.checkpointIntervalMs === 'number' &&
    v.checkpointIntervalMs > 0
  );
}

async function* linesOf(input: string | Iterable<string> | AsyncIterable<string>): AsyncGenerator<string> {
  if (typeof input === 'string') {
    for (const line of input.split('\n')) yield line;
    return;
  }
  for await (const line of input as AsyncIterable<string>) yield line;
}

/**
 * Verifies an NDJSON export offline, with the same checks as a verification in the database: the chain
 * (from seq 1, no gaps, links, recomputed hashes), every checkpoint (numbers, links, head hash against
 * the exported event at its seq, CMS signature by a certificate of the contour as of its time) and an
 * overdue checkpoint as of the export time. A filtered export (`full: false`) gets each event's own hash
 * checked and AUDIT_EXPORT_PARTIAL. Lines that are not export lines are AUDIT_EXPORT_MALFORMED.
 *
 * `input` is the whole text or its lines (e.g. `readline` over a file); the event hashes are kept in
 * memory by seq, so the checkpoints, which follow the events, can be matched.
 */
export async function verifyExport(
  input: string | Iterable<string> | AsyncIterable<string>,
  validator: CertificateValidator,
  options: VerifyExportOptions = {},
): Promise<AuditVerification> {
  const problems: AuditProblem[] = [];
  const malformed = (lineNo: number, message: string) =>
    problems.push({ code: 'AUDIT_EXPORT_MALFORMED', message: `line ${lineNo}: ${message}` });
  let header: ExportHeader | undefined;
  const chain = new ChainChecker();
  const hashes = new Map<string, { hash: string; id: string; since: Date }>();
  const checkpointLines: ExportCheckpointLine[] = [];
  let partialEvents = 0;
  let lineNo = 0;
  for await (const raw of linesOf(input)) {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      malformed(lineNo, 'is not JSON');
      continue;
    }
    if (!obj(value)) {
      malformed(lineNo, 'is not a JSON object');
      continue;
    }
    if (!header) {
      if (!isHeader(value)) {
        malformed(lineNo, 'the first line must be the export header');
        break;
      }
      header = value;
      if (options.contour !== undefined && header.contour !== options.contour) {
        malformed(lineNo, `the export is of contour ${header.contour}, not ${options.contour}`);
        break;
      }
      if (!header.full) {
        problems.push({
          code: 'AUDIT_EXPORT_PARTIAL',
          message: `the export is filtered (${JSON.stringify(header.filter ?? {})}): the chain and checkpoints cannot be verified`,
        });
      }
      continue;
    }
    if (value.kind === 'event') {
      if (!isEventLine(value)) {
        malformed(lineNo, 'an event line lacks a field or has one of the wrong type');
        continue;
      }
      if (header.full) {
        chain.push(value);
        hashes.set(value.seq, {
          hash: value.hash,
          id: value.id,
          since: new Date(value.chainedAt ?? value.at),
        });
      } else {
        partialEvents++;
        if (eventHash(value.prevHash, value) !== value.hash) {
          problems.push({
            code: 'AUDIT_HASH_MISMATCH',
            seq: value.seq,
            eventId: value.id,
            message: `event ${value.id} at seq ${value.seq} no longer gives its stored hash: its content was changed`,
          });
        }
      }
    } else if (value.kind === 'checkpoint') {
      if (!isCheckpointLine(value)) {
        malformed(lineNo, 'a checkpoint line lacks a field or has one of the wrong type');
        continue;
      }
      checkpointLines.push(value);
    } else {
      malformed(lineNo, `unknown kind ${JSON.stringify(value.kind)}`);
    }
  }
  const contour = header?.contour ?? options.contour ?? 'unknown';
  if (!header) {
    if (problems.length === 0) malformed(0, 'the export is empty');
    return verification(contour, 0, 0, problems);
  }
  if (!header.full) return verification(contour, partialEvents, 0, problems);

  problems.unshift(...chain.problems);
  const checkpoints = new CheckpointChecker(contour, validator);
  for (const c of checkpointLines.sort((a, b) => (BigInt(a.no) < BigInt(b.no) ? -1 : 1))) {
    const { kind: _kind, ...checkpoint } = c;
    const covered = hashes.get(checkpoint.seq);
    await checkpoints.push(checkpoint, covered ? { hash: covered.hash } : undefined);
  }
  problems.push(...checkpoints.problems);
  let uncovered: UncoveredEvent | undefined;
  const lastSeq = BigInt(checkpoints.last?.seq ?? '0');
  for (const [seq, e] of hashes) {
    if (BigInt(seq) > lastSeq && (!uncovered || BigInt(seq) < BigInt(uncovered.seq))) {
      uncovered = { seq, id: e.id, since: e.since };
    }
  }
  const missing = missingCheckpoint(uncovered, checkpoints.last, {
    intervalMs: options.checkpointIntervalMs ?? header.checkpointIntervalMs,
    graceMs: options.checkpointGraceMs ?? DEFAULT_CHECKPOINT_GRACE_MS,
    now: options.now ?? new Date(header.exportedAt),
  });
  if (missing) problems.push(missing);
  return verification(contour, chain.events, checkpoints.checkpoints, problems);
}
