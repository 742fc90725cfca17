import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { CertificateValidator, Signer } from '@twincontour/crypto';
import { createLoop, type Loop, type Pool, type PoolClient, withTransaction } from '@twincontour/platform';
import type { Logger } from 'pino';
import { signCheckpoint } from './checkpoint.js';
import { eventHash, ZERO_HASH } from './hash.js';
import { type InboxEvent, toInboxEvent } from './input.js';
import { CHECKPOINT_COLUMNS, type CheckpointRow, queryEvents, rowToCheckpoint } from './store.js';
import type { AuditCheckpoint, AuditEventInput, AuditLog } from './types.js';
import { DEFAULT_CHECKPOINT_GRACE_MS, DEFAULT_CHECKPOINT_INTERVAL_MS, verifyAuditDatabase } from './verify.js';

/** The audit log's migrations; apply with `migrate({ pool, dir: AUDIT_MIGRATIONS_DIR, scope: 'audit' })`. */
export const AUDIT_MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

/**
 * The advisory lock every writer of the chain and of the checkpoints takes, per database (advisory
 * locks are scoped to the current database): two int4 halves of SHA-256 of a constant.
 */
const CHAIN_LOCK = (() => {
  const digest = createHash('sha256').update('twincontour:audit-chain').digest();
  return [digest.readInt32BE(0), digest.readInt32BE(4)] as const;
})();

/** Options of {@link createAuditLog}. */
export interface AuditLogOptions {
  pool: Pool;
  /** The contour (`formation`, `control`, `transport`); the checkpoint key must be a certificate of it. */
  contour: string;
  /** The service name written into every event. */
  service: string;
  /** The contour's key: signs the checkpoints. */
  signer: Signer;
  /** The service's trust store: checks checkpoint signers in verify(). */
  validator: CertificateValidator;
  logger: Logger;
  /** How often the chain head is signed while it moves. Default 60000 ms. */
  checkpointIntervalMs?: number | undefined;
  /** Slack before uncovered events count as a missing checkpoint in verify(). Default 30000 ms. */
  checkpointGraceMs?: number | undefined;
  /** How often the chainer looks at the inbox. Default 200 ms. */
  chainIntervalMs?: number | undefined;
  /** Events chained per transaction. Default 500 (QUEUES.md: ~6,300 rows/s in batches of 500). */
  batchSize?: number | undefined;
}

interface InboxRow {
  id: string;
  event: InboxEvent;
}

/** Column list of the chainer's multi-row insert and the record type jsonb_to_recordset builds. */
const INSERT_COLUMNS =
  'seq, id, at, contour, service, type, actor, result, reason, order_id, message_id, ed_no, ed_date, ed_author, digest, cert_serial, cert_issuer, cert_thumbprint, details, prev_hash, hash';
const RECORD_TYPE =
  'seq bigint, id uuid, at timestamptz, contour text, service text, type text, actor text, result text, reason text, order_id text, message_id text, ed_no text, ed_date text, ed_author text, digest text, cert_serial text, cert_issuer text, cert_thumbprint text, details jsonb, prev_hash text, hash text';

/**
 * Creates a service's audit log over its database (after `migrate` with {@link AUDIT_MIGRATIONS_DIR}).
 *
 * - `record` inserts the event into `audit_inbox` — in the caller's transaction when given its client,
 *   so the event commits or rolls back with the state it describes.
 * - The chainer (started by `start`, also run by `flush`) moves the inbox into `audit_events` in batches:
 *   one transaction takes the chain's advisory lock, removes up to `batchSize` inbox rows, reads the head,
 *   computes each hash in order and inserts them with one statement. The lock makes it the single writer
 *   of the chain per database, however many processes run it (QUEUES.md: concurrent writers fork a chain).
 * - Checkpoints (every `checkpointIntervalMs` while the head moves, at start and on close) sign the head
 *   with the contour key under the same lock.
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  const { pool, contour, service, signer, validator, logger } = options;
  const intervalMs = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
  const graceMs = options.checkpointGraceMs ?? DEFAULT_CHECKPOINT_GRACE_MS;
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(intervalMs) || intervalMs <= 0)
    throw new Error('checkpointIntervalMs must be a positive integer');
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error('batchSize must be a positive integer');
  const log = logger.child({ component: 'audit', contour });

  /** One chainer transaction; returns how many events it chained. */
  const chainBatch = (): Promise<number> =>
    withTransaction(pool, async (client) => {
      await client.query('select pg_advisory_xact_lock($1, $2)', [CHAIN_LOCK[0], CHAIN_LOCK[1]]);
      const taken = await client.query<InboxRow>(
        `delete from audit_inbox where id in (
           select id from audit_inbox order by id limit $1 for update skip locked
         ) returning id, event`,
        [batchSize],
      );
      if (taken.rows.length === 0) return 0;
      // RETURNING has no order; the chain follows the inbox order (the order of the ids).
      const rows = taken.rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      const head = await client.query<{ seq: string; hash: string }>(
        'select seq, hash from audit_events order by seq desc limit 1',
      );
      let seq = BigInt(head.rows[0]?.seq ?? '0');
      let prevHash = head.rows[0]?.hash ?? ZERO_HASH;
      const records = rows.map(({ event }) => {
        seq += 1n;
        const fields = { ...event, seq: seq.toString() };
        const hash = eventHash(prevHash, fields);
        const record = {
          seq: fields.seq,
          id: event.id,
          at: event.at,
          contour: event.contour,
          service: event.service,
          type: event.type,
          actor: event.actor,
          result: event.result,
          reason: event.reason,
          order_id: event.orderId,
          message_id: event.messageId,
          ed_no: event.ed?.edNo ?? null,
          ed_date: event.ed?.edDate ?? null,
          ed_author: event.ed?.edAuthor ?? null,
          digest: event.digest,
          cert_serial: event.certificate?.serial ?? null,
          cert_issuer: event.certificate?.issuer ?? null,
          cert_thumbprint: event.certificate?.thumbprint ?? null,
          details: event.details,
          prev_hash: prevHash,
          hash,
        };
        prevHash = hash;
        return record;
      });
      await client.query(
        `insert into audit_events (${INSERT_COLUMNS})
         select ${INSERT_COLUMNS} from jsonb_to_recordset($1::jsonb) as r(${RECORD_TYPE})`,
        [JSON.stringify(records)],
      );
      return rows.length;
    });

  const flush = async (): Promise<void> => {
    while ((await chainBatch()) >= batchSize) {
      // A full batch: more may be waiting.
    }
  };

  const checkpoint = (): Promise<AuditCheckpoint | undefined> =>
    withTransaction(pool, async (client) => {
      await client.query('select pg_advisory_xact_lock($1, $2)', [CHAIN_LOCK[0], CHAIN_LOCK[1]]);
      const head = await client.query<{ seq: string; hash: string }>(
        'select seq, hash from audit_events order by seq desc limit 1',
      );
      const top = head.rows[0];
      if (!top) return undefined;
      const lastRow = await client.query<{ no: string; seq: string; hash: string }>(
        'select no, seq, hash from audit_checkpoints order by no desc limit 1',
      );
      const last = lastRow.rows[0];
      if (last && last.seq === top.seq) return undefined;
      const fields = {
        contour,
        no: (BigInt(last?.no ?? '0') + 1n).toString(),
        seq: top.seq,
        headHash: top.hash,
        prevCheckpointHash: last?.hash ?? ZERO_HASH,
        at: new Date().toISOString(),
        intervalMs,
      };
      const signed = await signCheckpoint(fields, signer);
      const inserted = await client.query<CheckpointRow>(
        `insert into audit_checkpoints (${CHECKPOINT_COLUMNS})
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning ${CHECKPOINT_COLUMNS}`,
        [
          fields.no,
          fields.seq,
          fields.headHash,
          fields.prevCheckpointHash,
          fields.at,
          contour,
          intervalMs,
          Buffer.from(signed.signature),
          signed.hash,
        ],
      );
      log.debug({ checkpoint: fields.no, seq: fields.seq }, 'audit checkpoint written');
      return rowToCheckpoint(inserted.rows[0] as CheckpointRow);
    });

  const chainer: Loop = createLoop(
    'audit-chainer',
    async () => (await chainBatch()) >= batchSize,
    options.chainIntervalMs ?? 200,
    log,
  );
  // The first run happens at once: a process that crashed left its last events unsigned.
  const checkpointer: Loop = createLoop(
    'audit-checkpoint',
    async () => {
      await checkpoint();
      return false;
    },
    intervalMs,
    log,
  );
  let started = false;

  return {
    contour,
    service,
    pool,
    async record(event: AuditEventInput, client?: PoolClient): Promise<void> {
      const stored = toInboxEvent(event, contour, service);
      await (client ?? pool).query('insert into audit_inbox (event) values ($1::jsonb)', [JSON.stringify(stored)]);
    },
    flush,
    start() {
      if (started) return;
      started = true;
      chainer.start();
      checkpointer.start();
    },
    async close() {
      await chainer.stop();
      await checkpointer.stop();
      started = false;
      // Shutdown goes on whatever happens here: what is left stays in the inbox (durable) and is chained
      // and signed at the next start.
      try {
        await flush();
        await checkpoint();
      } catch (error) {
        log.error({ err: error }, 'audit log: final chaining or checkpoint failed');
      }
    },
    checkpoint,
    query: (query) => queryEvents(pool, query),
    verify: () =>
      verifyAuditDatabase(pool, {
        contour,
        validator,
        checkpointIntervalMs: intervalMs,
        checkpointGraceMs: graceMs,
      }),
  };
}
