import type { CrlSnapshot } from '@twincontour/crypto';
import { createPool, fail, ok, type Pool, type Queryable, type Result } from '@twincontour/platform';
import { decodeArchiveCursor, encodeArchiveCursor } from './cursor.js';
import { certificatesInRecord, createFactsCache, sha256Hex } from './evidence.js';
import type {
  ArchiveBlob,
  ArchiveCrlBlob,
  ArchiveDirection,
  ArchivedRecord,
  ArchiveEdRef,
  ArchiveRecordMeta,
} from './types.js';

/**
 * SQL over transport's archive tables (services/transport/migrations/0002_archive.sql). The writer is
 * transport; the readers are transport's API and the CLI.
 */

/** The least retention 802-П п. 11 allows, in years (the table's check constraint says the same). */
export const MIN_RETAIN_YEARS = 5;

/** What is appended: a message exactly as sent or received, and the material that verifies it. */
export interface ArchiveAppend {
  direction: ArchiveDirection;
  kind: string;
  orderId?: string | undefined;
  ed?: ArchiveEdRef | undefined;
  channel: string;
  sourceRef?: string | undefined;
  bytes: Uint8Array;
  /** SHA-256 of `bytes` when the caller has it already (checked against the bytes). */
  sha256?: string | undefined;
  code?: string | undefined;
  reason?: string | undefined;
  /** When transport sent or received it: the partition key and the trusted signing time. */
  at: Date;
  /** Years to keep it (at least {@link MIN_RETAIN_YEARS}). */
  retainYears: number;
  /** The certificate chain (signers' certificates and their CAs), DER. */
  certificates: readonly Uint8Array[];
  /** The CRLs in use when the message was verified. */
  crls: readonly CrlSnapshot[];
}

/** A blob to store: a certificate with its names, or a CRL with its issuer and validity. */
type BlobRow = {
  sha256: string;
  kind: 'certificate' | 'crl';
  der: Uint8Array;
  subject: string | null;
  issuer: string | null;
  thisUpdate: Date | null;
  nextUpdate: Date | null;
};

// CRLs can be megabytes and come back with every message: hash each one once (by object identity: the
// trust store hands out the same bytes until it loads a newer CRL).
const crlDigests = new WeakMap<Uint8Array, string>();
function crlDigest(der: Uint8Array): string {
  let h = crlDigests.get(der);
  if (h === undefined) {
    h = sha256Hex(der);
    crlDigests.set(der, h);
  }
  return h;
}

const facts = createFactsCache();

function certificateRow(der: Uint8Array): BlobRow {
  const f = facts(der);
  return {
    sha256: f?.sha256 ?? sha256Hex(der),
    kind: 'certificate',
    der,
    subject: f?.subject ?? null,
    issuer: f?.issuer ?? null,
    thisUpdate: null,
    nextUpdate: null,
  };
}

function crlRow(crl: CrlSnapshot): BlobRow {
  return {
    sha256: crlDigest(crl.der),
    kind: 'crl',
    der: crl.der,
    subject: null,
    issuer: crl.issuer,
    thisUpdate: crl.thisUpdate,
    nextUpdate: crl.nextUpdate,
  };
}

/**
 * Stores blobs not stored yet: asks which hashes exist first, so the DER of a certificate or CRL is sent
 * to the database only the first time (a large CRL with every message would cost more than the message).
 * `on conflict do nothing` covers two writers storing the same new blob at once.
 */
async function storeBlobs(db: Queryable, rows: readonly BlobRow[]): Promise<void> {
  if (rows.length === 0) return;
  const unique = [...new Map(rows.map((r) => [r.sha256, r])).values()];
  const known = await db.query<{ sha256: string }>('select sha256 from archive_blobs where sha256 = any($1::text[])', [
    unique.map((r) => r.sha256),
  ]);
  const have = new Set(known.rows.map((r) => r.sha256));
  // In hash order: two writers storing the same new blobs take their row locks in one order (no deadlock).
  const missing = unique.filter((r) => !have.has(r.sha256)).sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
  if (missing.length === 0) return;
  await db.query(
    `insert into archive_blobs (sha256, kind, der, subject, issuer, this_update, next_update)
     select * from unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::text[], $6::timestamptz[],
                          $7::timestamptz[])
     on conflict (sha256) do nothing`,
    [
      missing.map((r) => r.sha256),
      missing.map((r) => r.kind),
      missing.map((r) => Buffer.from(r.der)),
      missing.map((r) => r.subject),
      missing.map((r) => r.issuer),
      missing.map((r) => r.thisUpdate),
      missing.map((r) => r.nextUpdate),
    ],
  );
}

/**
 * Appends one record with its chain and CRLs (stored once each in archive_blobs), in the caller's
 * transaction when `db` is a client in one. Returns the record's id. Throws RangeError for a retention
 * under five years or a digest that does not match the bytes (bugs, not expected outcomes).
 */
export async function appendArchived(db: Queryable, entry: ArchiveAppend): Promise<string> {
  if (!Number.isInteger(entry.retainYears) || entry.retainYears < MIN_RETAIN_YEARS) {
    throw new RangeError(`retention of ${entry.retainYears} years: 802-П п. 11 asks for at least five`);
  }
  const sha256 = sha256Hex(entry.bytes);
  if (entry.sha256 !== undefined && entry.sha256 !== sha256) throw new RangeError('sha256 does not match the bytes');
  const certificates = entry.certificates.map(certificateRow);
  const crls = entry.crls.map(crlRow);
  await storeBlobs(db, [...certificates, ...crls]);
  const result = await db.query<{ id: string }>(
    `insert into archive (direction, kind, order_id, ed_no, ed_date, ed_author, channel, source_ref, bytes, sha256,
       code, reason, at, signing_time, retain_until, chain, crls)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13,
       (($13::timestamptz at time zone 'UTC') + make_interval(years => $14::int)) at time zone 'UTC', $15, $16)
     returning id`,
    [
      entry.direction,
      entry.kind,
      entry.orderId ?? null,
      entry.ed?.edNo ?? null,
      entry.ed?.edDate ?? null,
      entry.ed?.edAuthor ?? null,
      entry.channel,
      entry.sourceRef ?? null,
      Buffer.from(entry.bytes),
      sha256,
      entry.code ?? null,
      entry.reason ?? null,
      entry.at,
      entry.retainYears,
      [...new Set(certificates.map((c) => c.sha256))],
      [...new Set(crls.map((c) => c.sha256))],
    ],
  );
  return String(result.rows[0]?.id);
}

/**
 * Stores the CRLs in use now (transport calls it hourly and with every message): re-verification needs,
 * for each message, a CRL issued after it was sent, and a CA may publish while no message flows.
 * Returns how many were new.
 */
export async function storeCrls(db: Queryable, snapshots: readonly CrlSnapshot[]): Promise<number> {
  const rows = snapshots.map(crlRow);
  if (rows.length === 0) return 0;
  const before = await db.query<{ n: string }>('select count(*) as n from archive_blobs where sha256 = any($1)', [
    rows.map((r) => r.sha256),
  ]);
  await storeBlobs(db, rows);
  return new Set(rows.map((r) => r.sha256)).size - Number(before.rows[0]?.n ?? 0);
}

/** Creates the partitions of the month of `now` and the next one (UTC) when missing; their names. */
export async function ensureArchivePartitions(db: Queryable, now: Date = new Date()): Promise<string[]> {
  const result = await db.query<{ name: string }>('select archive_ensure_partitions($1) as name', [now]);
  return result.rows.map((r) => r.name);
}

interface RawRecord {
  id: string;
  direction: ArchiveDirection;
  kind: string;
  order_id: string | null;
  ed_no: string | null;
  ed_date: string | null;
  ed_author: string | null;
  channel: string;
  source_ref: string | null;
  sha256: string;
  size: number | string;
  code: string | null;
  reason: string | null;
  at: Date;
  at_us: string;
  signing_time: Date;
  retain_until: Date;
  chain: string[];
  crls: string[];
}

const META_COLUMNS = `id::text as id, direction, kind, order_id, ed_no, ed_date, ed_author, channel, source_ref, sha256,
  octet_length(bytes) as size, code, reason, at, (extract(epoch from at) * 1000000)::bigint::text as at_us,
  signing_time, retain_until, chain, crls`;

function toMeta(r: RawRecord): ArchiveRecordMeta {
  const meta: ArchiveRecordMeta = {
    id: r.id,
    direction: r.direction,
    kind: r.kind,
    channel: r.channel,
    sha256: r.sha256,
    size: Number(r.size),
    at: r.at,
    signingTime: r.signing_time,
    retainUntil: r.retain_until,
    chain: r.chain,
    crls: r.crls,
  };
  if (r.order_id !== null) meta.orderId = r.order_id;
  if (r.ed_no !== null && r.ed_date !== null && r.ed_author !== null) {
    meta.ed = { edNo: r.ed_no, edDate: r.ed_date, edAuthor: r.ed_author };
  }
  if (r.source_ref !== null) meta.sourceRef = r.source_ref;
  if (r.code !== null) meta.code = r.code;
  if (r.reason !== null) meta.reason = r.reason;
  return meta;
}

/** An id as the database stores it: a positive bigint in decimal. */
export const ARCHIVE_ID = /^[1-9][0-9]{0,18}$/;

interface RawBlob {
  sha256: string;
  kind: 'certificate' | 'crl';
  der: Buffer;
  issuer: string | null;
  this_update: Date | null;
  next_update: Date | null;
}

function toCrlBlob(b: RawBlob): ArchiveCrlBlob {
  const crl: ArchiveCrlBlob = {
    sha256: b.sha256,
    der: new Uint8Array(b.der),
    issuer: b.issuer ?? '',
    thisUpdate: b.this_update ?? new Date(0),
  };
  if (b.next_update) crl.nextUpdate = b.next_update;
  return crl;
}

/**
 * One record with its bytes, its stored chain and CRLs, the later CRLs that prove its signers' status
 * at its signing time (see {@link ArchivedRecord.laterCrls}) and, for a wire-only record, its sibling.
 * `ARC_NOT_FOUND` for an unknown or malformed id.
 */
export async function readArchivedRecord(db: Queryable, id: string): Promise<Result<ArchivedRecord>> {
  if (!ARCHIVE_ID.test(id) || BigInt(id) > 9_223_372_036_854_775_807n) {
    return fail('ARC_NOT_FOUND', `no archive record ${id}`);
  }
  const found = await db.query<RawRecord & { bytes: Buffer }>(
    `select ${META_COLUMNS}, bytes from archive where id = $1::bigint`,
    [id],
  );
  const row = found.rows[0];
  if (!row) return fail('ARC_NOT_FOUND', `no archive record ${id}`);
  const meta = toMeta(row);
  const bytes = new Uint8Array(row.bytes);

  const blobs = await db.query<RawBlob>(
    `select sha256, kind, der, issuer, this_update, next_update from archive_blobs where sha256 = any($1::text[])`,
    [[...meta.chain, ...meta.crls]],
  );
  const bySha = new Map(blobs.rows.map((b) => [b.sha256, b]));
  const certificates: ArchiveBlob[] = meta.chain
    .map((h) => bySha.get(h))
    .filter((b): b is RawBlob => b?.kind === 'certificate')
    .map((b) => ({ sha256: b.sha256, der: new Uint8Array(b.der) }));
  const crlBlobs = meta.crls
    .map((h) => bySha.get(h))
    .filter((b): b is RawBlob => b?.kind === 'crl')
    .map(toCrlBlob);

  // The CAs whose CRLs prove the signers' status: those of the linked CRLs, those that issued a stored
  // certificate, and (for records older than the chain columns) those that issued a certificate the
  // message itself carries.
  const issuers = new Set<string>(crlBlobs.map((c) => c.issuer));
  for (const der of [...certificates.map((c) => c.der), ...certificatesInRecord(meta.kind, bytes)]) {
    const f = facts(der);
    if (f) issuers.add(f.issuer);
  }
  const later = await db.query<RawBlob>(
    `select distinct on (issuer) sha256, kind, der, issuer, this_update, next_update
       from archive_blobs
      where kind = 'crl' and issuer = any($1::text[]) and this_update >= $2
      order by issuer, this_update, sha256`,
    [[...issuers], meta.signingTime],
  );

  const record: ArchivedRecord = {
    ...meta,
    bytes,
    certificates,
    crlBlobs,
    laterCrls: later.rows.map(toCrlBlob),
  };
  if (meta.kind === 'enveloped-data') {
    // The envelope written with it: same direction, order, channel reference and time (one transaction).
    const sibling = await db.query<{ id: string }>(
      `select s.id::text as id from archive r
         join archive s on s.at = r.at and s.direction = r.direction and s.kind = 'envelope' and s.id <> r.id
          and s.order_id is not distinct from r.order_id and s.source_ref is not distinct from r.source_ref
        where r.id = $1::bigint
        order by s.id limit 1`,
      [id],
    );
    if (sibling.rows[0]) record.sibling = sibling.rows[0].id;
  }
  return ok(record);
}

/** Filters of the archive list. */
export interface ArchiveListQuery {
  orderId?: string | undefined;
  /** Inclusive. */
  from?: Date | undefined;
  /** Exclusive. */
  to?: Date | undefined;
  /** From a previous page's `next`. */
  cursor?: string | undefined;
  /** Default 100, at most {@link MAX_ARCHIVE_PAGE}. */
  limit?: number | undefined;
}

/** The largest page the list returns. */
export const MAX_ARCHIVE_PAGE = 500;

/** One page of the list, oldest first; `next` when more records match. */
export interface ArchivePage {
  items: ArchiveRecordMeta[];
  next?: string;
}

/**
 * Records in time order (`at`, then id), without their bytes. `from`/`to` let PostgreSQL skip whole
 * months (partition pruning). `ARC_BAD_CURSOR` for a cursor not issued here, `ARC_BAD_RANGE` for an
 * empty range.
 */
export async function listArchived(db: Queryable, query: ArchiveListQuery): Promise<Result<ArchivePage>> {
  const position = query.cursor === undefined ? undefined : decodeArchiveCursor(query.cursor);
  if (query.cursor !== undefined && !position) return fail('ARC_BAD_CURSOR', 'the cursor is not one this API issued');
  if (query.from && query.to && query.from >= query.to) return fail('ARC_BAD_RANGE', '`from` must be before `to`');
  const limit = Math.min(Math.max(1, Math.trunc(query.limit ?? 100)), MAX_ARCHIVE_PAGE);
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (query.orderId !== undefined) where.push(`order_id = ${param(query.orderId)}`);
  if (query.from) where.push(`at >= ${param(query.from)}`);
  if (query.to) where.push(`at < ${param(query.to)}`);
  if (position) {
    // Whole seconds and the remaining microseconds: each product is exact in float8, the sum exact in timestamptz.
    const us = param(position.atMicros);
    where.push(
      `(at, id) > ('epoch'::timestamptz + (${us}::bigint / 1000000) * interval '1 second' + (${us}::bigint % 1000000) * interval '1 microsecond', ${param(position.id)}::bigint)`,
    );
  }
  const sql = `select ${META_COLUMNS} from archive ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
    order by at, id limit ${param(limit + 1)}`;
  const result = await db.query<RawRecord>(sql, params);
  const rows = result.rows.slice(0, limit);
  const page: ArchivePage = { items: rows.map(toMeta) };
  const last = rows.at(-1);
  if (result.rows.length > limit && last) page.next = encodeArchiveCursor({ atMicros: last.at_us, id: last.id });
  return ok(page);
}

/**
 * A pool on the archive database (transport's) for the CLI, checked with one query on the archive.
 * `ARC_DATABASE_UNAVAILABLE` when it cannot be reached or holds no archive; the URL's password is never
 * part of the message.
 */
export async function openArchiveDatabase(connectionString: string): Promise<Result<Pool>> {
  let pool: Pool;
  try {
    pool = createPool({ connectionString, max: 2, applicationName: 'twincontour-archive' });
  } catch {
    return fail('ARC_DATABASE_UNAVAILABLE', 'the archive database URL is not valid');
  }
  try {
    await pool.query('select 1 from archive_blobs limit 1');
    return ok(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    const code = (error as { code?: string }).code ?? 'error';
    let where = 'the archive database';
    try {
      const url = new URL(connectionString);
      where = `${url.hostname}:${url.port || '5432'}${url.pathname}`;
    } catch {
      // Not a URL: say nothing more about it.
    }
    return fail('ARC_DATABASE_UNAVAILABLE', `cannot read the archive at ${where} (${code})`);
  }
}
