// Tamper evidence (issue 6, Tests): what the service role cannot do, and what verify finds when a
// superuser does it anyway. Superuser edits go through `session_replication_role = replica`, which
// switches the append-only triggers off — exactly what a database administrator could do.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSigner } from '@twincontour/crypto';
import { devCaFile, opensslCmsVerify } from '@twincontour/crypto/testing';
import { createPool, randomSuffix } from '@twincontour/platform';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkpointText, signCheckpoint } from './checkpoint.js';
import { eventHash, ZERO_HASH } from './hash.js';
import { createAuditLog } from './log.js';
import { EVENT_COLUMNS, type EventRow, rowToEvent } from './store.js';
import { createTestAuditLog, migrateAudit, type TestAuditLog } from './testing.js';
import type { AuditEventInput } from './types.js';
import { verifyAuditDatabase } from './verify.js';

const event = (n: number): AuditEventInput => ({
  type: 'signature.checked',
  actor: 'service:formation',
  result: n % 3 === 0 ? 'fail' : 'pass',
  reason: n % 3 === 0 ? 'SIG_CERT_REVOKED' : undefined,
  orderId: `order-${n}`,
  digest: 'ab'.repeat(32),
  details: { n },
});

/** Runs SQL as the superuser with the audit triggers switched off. */
async function asSuperuser(t: TestAuditLog, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = await t.pool.connect();
  try {
    await client.query('set session_replication_role = replica');
    return await client.query(sql, params);
  } finally {
    await client.query('reset session_replication_role');
    client.release();
  }
}

describe('the service role that owns its database', () => {
  const role = `tc_audit_${randomSuffix(4)}`;
  const database = `tc_test_${randomSuffix()}`;
  let admin: pg.Client;
  let pool: ReturnType<typeof createPool>;

  beforeAll(async () => {
    // As ensureDevDatabases does: a login role that owns its database and runs its migrations.
    admin = new pg.Client({
      host: process.env.PGHOST ?? '127.0.0.1',
      port: Number(process.env.PGPORT ?? 5432),
      user: process.env.PGUSER ?? 'postgres',
      database: 'postgres',
    });
    await admin.connect();
    await admin.query(`create role ${role} login`);
    await admin.query(`create database ${database} owner ${role}`);
    await admin.query(`revoke all on database ${database} from public`);
    pool = createPool({
      connectionString: `postgres://${role}@${process.env.PGHOST ?? '127.0.0.1'}:${process.env.PGPORT ?? 5432}/${database}`,
      max: 3,
    });
    await migrateAudit(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.query(`drop role if exists ${role}`);
    await admin.end();
  });

  it('can INSERT and SELECT, but UPDATE, DELETE and TRUNCATE of events and checkpoints fail', async () => {
    const t = await createTestAuditLog({ contour: 'formation', pool });
    try {
      for (let i = 1; i <= 3; i++) await t.audit.record(event(i));
      await t.audit.flush();
      expect(await t.audit.checkpoint()).toBeDefined();
      expect(
        (await pool.query('select current_user, (select rolsuper from pg_roles where rolname = current_user) as su'))
          .rows[0],
      ).toEqual({ current_user: role, su: false });
      for (const sql of [
        `update audit_events set actor = 'someone else' where seq = 2`,
        'delete from audit_events where seq = 3',
        'truncate audit_events',
        `update audit_checkpoints set seq = 1`,
        'delete from audit_checkpoints',
        'truncate audit_checkpoints',
      ]) {
        await expect(pool.query(sql), sql).rejects.toMatchObject({ code: '42501' });
      }
      // The owner may give itself the privilege back; the trigger still refuses.
      await pool.query('grant update, delete, truncate on audit_events to current_user');
      await expect(pool.query(`update audit_events set actor = 'x' where seq = 2`)).rejects.toThrow(/append-only/);
      await expect(pool.query('delete from audit_events where seq = 3')).rejects.toThrow(/append-only/);
      await expect(pool.query('truncate audit_events')).rejects.toThrow(/append-only/);
      expect((await t.audit.verify()).ok).toBe(true);
    } finally {
      await t.close();
    }
  });
});

describe('verify finds what a superuser changed', () => {
  let t: TestAuditLog;
  let work: string;

  beforeEach(async () => {
    t = await createTestAuditLog({ contour: 'formation' });
    work = mkdtempSync(join(tmpdir(), 'tc-audit-tamper-'));
    for (let i = 1; i <= 10; i++) await t.audit.record(event(i));
    await t.audit.flush();
    expect(await t.audit.checkpoint()).toMatchObject({ no: '1', seq: '10' });
    for (let i = 11; i <= 12; i++) await t.audit.record(event(i));
    await t.audit.flush();
    expect(await t.audit.checkpoint()).toMatchObject({ no: '2', seq: '12' });
    expect((await t.audit.verify()).ok).toBe(true);
  });
  afterEach(async () => {
    await t.close();
    rmSync(work, { recursive: true, force: true });
  });

  const idAt = async (seq: number) =>
    (await t.pool.query<{ id: string }>('select id from audit_events where seq = $1', [seq])).rows[0]?.id;

  it('names an edited event (seq and id) as the first broken link', async () => {
    const id = await idAt(4);
    await asSuperuser(t, `update audit_events set result = 'pass', reason = null where seq = 3`);
    await asSuperuser(t, `update audit_events set actor = 'dev-formation-ops' where seq = 4`);
    const verdict = await t.audit.verify();
    expect(verdict.ok).toBe(false);
    expect(verdict.firstBroken).toMatchObject({ code: 'AUDIT_HASH_MISMATCH', seq: '3' });
    expect(verdict.problems).toContainEqual(
      expect.objectContaining({ code: 'AUDIT_HASH_MISMATCH', seq: '4', eventId: id }),
    );
    expect(verdict.problems).toHaveLength(2);
  });

  it('finds a removed event (AUDIT_SEQ_GAP) and a removed tail covered by a checkpoint', async () => {
    await asSuperuser(t, 'delete from audit_events where seq = 5');
    const gap = await t.audit.verify();
    expect(gap.firstBroken).toMatchObject({ code: 'AUDIT_SEQ_GAP', seq: '6', eventId: await idAt(6) });
    await asSuperuser(t, 'delete from audit_events where seq >= 11');
    const tail = await t.audit.verify();
    expect(tail.problems).toContainEqual(
      expect.objectContaining({ code: 'AUDIT_CHECKPOINT_MISMATCH', checkpointNo: '2', seq: '12' }),
    );
  });

  it('catches a chain rewritten consistently by the checkpoints', async () => {
    const rows = (await t.pool.query<EventRow>(`select ${EVENT_COLUMNS} from audit_events order by seq`)).rows;
    let prev = ZERO_HASH;
    for (const row of rows) {
      const e = rowToEvent(row);
      if (e.seq === '3') e.result = 'pass';
      const hash = eventHash(prev, e);
      await asSuperuser(t, 'update audit_events set result = $1, prev_hash = $2, hash = $3 where seq = $4', [
        e.result,
        prev,
        hash,
        e.seq,
      ]);
      prev = hash;
    }
    const verdict = await t.audit.verify();
    expect(verdict.ok).toBe(false);
    // The chain itself is consistent again: only the signed heads tell.
    expect(verdict.problems.every((p) => p.code === 'AUDIT_CHECKPOINT_MISMATCH')).toBe(true);
    expect(verdict.problems.map((p) => p.checkpointNo)).toEqual(['1', '2']);
  });

  it('finds a checkpoint signed by another contour’s key', async () => {
    await t.audit.record(event(13));
    await t.audit.flush();
    const control = await loadSigner('control', { pkiDir: t.pkiDir });
    if (!control.ok) throw new Error(control.code);
    const last = (await t.pool.query('select hash from audit_checkpoints where no = 2')).rows[0].hash as string;
    const head = (await t.pool.query('select hash from audit_events where seq = 13')).rows[0].hash as string;
    const fields = {
      contour: 'formation',
      no: '3',
      seq: '13',
      headHash: head,
      prevCheckpointHash: last,
      at: new Date().toISOString(),
      intervalMs: 60_000,
    };
    const forged = await signCheckpoint(fields, control.value);
    await t.pool.query(
      `insert into audit_checkpoints (no, seq, head_hash, prev_checkpoint_hash, at, contour, interval_ms, signature, hash)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [3, 13, head, last, fields.at, 'formation', 60_000, Buffer.from(forged.signature), forged.hash],
    );
    const verdict = await t.audit.verify();
    expect(verdict.problems).toEqual([
      expect.objectContaining({ code: 'AUDIT_CHECKPOINT_BAD_SIGNATURE', checkpointNo: '3' }),
    ]);
    expect(verdict.problems[0]?.message).toContain('SIG_WRONG_CONTOUR');
  });

  it('finds a checkpoint whose head was edited', async () => {
    await asSuperuser(t, `update audit_checkpoints set head_hash = $1 where no = 1`, ['f'.repeat(64)]);
    const verdict = await t.audit.verify();
    const codes = verdict.problems.filter((p) => p.checkpointNo === '1').map((p) => p.code);
    expect(codes).toContain('AUDIT_CHECKPOINT_MISMATCH');
    expect(codes).toContain('AUDIT_CHECKPOINT_BAD_SIGNATURE');
  });

  it('finds a deleted checkpoint: a gap in the middle, an overdue one at the end', async () => {
    const later = new Date(Date.now() + 10 * 60_000);
    const options = { contour: 'formation', validator: t.trustStore, now: later };
    expect((await verifyAuditDatabase(t.pool, options)).ok).toBe(true);
    await asSuperuser(t, 'delete from audit_checkpoints where no = 2');
    // Nothing in between is missing, but events 11 and 12 have waited past 2 × interval + grace.
    expect((await verifyAuditDatabase(t.pool, options)).problems).toEqual([
      expect.objectContaining({ code: 'AUDIT_CHECKPOINT_MISSING', seq: '11', eventId: await idAt(11) }),
    ]);
    // Right now they have not: the writer still has time to sign them.
    expect((await verifyAuditDatabase(t.pool, { ...options, now: new Date() })).ok).toBe(true);
    await t.audit.checkpoint(); // checkpoint 2 again: the numbering is contiguous, the links hold
    await asSuperuser(t, 'delete from audit_checkpoints where no = 1');
    expect((await t.audit.verify()).problems).toEqual([
      expect.objectContaining({ code: 'AUDIT_CHECKPOINT_GAP', checkpointNo: '2' }),
    ]);
  });

  it('finds events left uncovered past the interval when the writer stops signing', async () => {
    await t.audit.record(event(13));
    await t.audit.flush();
    const later = new Date(Date.now() + 10 * 60_000);
    const verdict = await verifyAuditDatabase(t.pool, { contour: 'formation', validator: t.trustStore, now: later });
    expect(verdict.problems).toEqual([expect.objectContaining({ code: 'AUDIT_CHECKPOINT_MISSING', seq: '13' })]);
    // And with no checkpoint at all, every old event is uncovered.
    await asSuperuser(t, 'delete from audit_checkpoints');
    const none = await verifyAuditDatabase(t.pool, { contour: 'formation', validator: t.trustStore, now: later });
    expect(none.problems).toEqual([
      expect.objectContaining({ code: 'AUDIT_CHECKPOINT_MISSING', seq: '1', eventId: await idAt(1) }),
    ]);
  });

  it('signs checkpoints that openssl cms -verify accepts over their text', async () => {
    const rows = (
      await t.pool.query(
        'select no, seq, head_hash, prev_checkpoint_hash, at, contour, interval_ms, signature from audit_checkpoints order by no',
      )
    ).rows;
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const text = checkpointText({
        contour: row.contour,
        no: row.no,
        seq: row.seq,
        headHash: row.head_hash,
        prevCheckpointHash: row.prev_checkpoint_hash,
        at: (row.at as Date).toISOString(),
        intervalMs: Number(row.interval_ms),
      });
      const content = join(work, `cp${row.no}.txt`);
      const signature = join(work, `cp${row.no}.der`);
      writeFileSync(content, text);
      writeFileSync(signature, row.signature);
      const result = opensslCmsVerify(signature, content, devCaFile(t.pkiDir));
      expect(result.status, result.output).toBe(0);
      // Any changed byte breaks it.
      writeFileSync(content, text.replace(`seq=${row.seq}`, `seq=${Number(row.seq) + 1}`));
      expect(opensslCmsVerify(signature, content, devCaFile(t.pkiDir)).status).not.toBe(0);
    }
  });
});

describe('concurrent writers', () => {
  it('never fork the chain: many connections record, several chainers run at once', async () => {
    const t = await createTestAuditLog({ contour: 'control', chainIntervalMs: 5, batchSize: 7 });
    try {
      // A second "process" on the same database: its own pool, its own chainer.
      const otherPool = createPool({ connectionString: t.db?.connectionString ?? '', max: 6 });
      const other = createAuditLog({
        pool: otherPool,
        contour: 'control',
        service: 'control',
        signer: t.signer,
        validator: t.trustStore,
        logger: t.logger,
        chainIntervalMs: 5,
        batchSize: 11,
      });
      t.audit.start();
      other.start();
      const writers = Array.from({ length: 16 }, (_, w) =>
        (async () => {
          for (let i = 0; i < 25; i++) {
            await (w % 2 === 0 ? t.audit : other).record({ ...event(w * 100 + i), actor: `writer-${w}` });
          }
        })(),
      );
      await Promise.all([...writers, t.audit.flush(), other.flush()]);
      await other.close();
      await otherPool.end();
      await t.audit.flush();
      const seqs = (await t.pool.query<{ seq: string }>('select seq from audit_events order by seq')).rows.map((r) =>
        Number(r.seq),
      );
      expect(seqs).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
      const verdict = await t.audit.verify();
      expect(verdict).toMatchObject({ ok: true, events: 400 });
    } finally {
      await t.close();
    }
  });
});
