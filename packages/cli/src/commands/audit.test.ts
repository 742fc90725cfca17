import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportAudit } from '@twincontour/audit';
import { createTestAuditLog, type TestAuditLog } from '@twincontour/audit/testing';
import { createPool } from '@twincontour/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../io.js';
import { main } from '../main.js';
import { AUDIT_CONTOURS, auditDatabaseUrl, mergeTrail, readOnlyUrl } from './audit.js';

let work: string;
const logs: Record<string, TestAuditLog> = {};
let env: Record<string, string>;

async function tc(args: string[], extraEnv: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (chunk) => {
      stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    },
    stderr: (chunk) => {
      stderr += chunk;
    },
    cwd: work,
    env: { ...env, ...extraEnv },
  };
  const code = await main(args, io);
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}

async function superuserEdit(t: TestAuditLog, sql: string): Promise<void> {
  const client = await t.pool.connect();
  try {
    await client.query('set session_replication_role = replica');
    await client.query(sql);
  } finally {
    await client.query('reset session_replication_role');
    client.release();
  }
}

const at = (minute: number) => new Date(Date.UTC(2026, 11, 2, 10, minute));

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tc-cli-audit-'));
  const pkiDir = join(work, 'pki');
  for (const contour of AUDIT_CONTOURS) logs[contour] = await createTestAuditLog({ contour, pkiDir });
  const { formation, control, transport } = logs as Record<(typeof AUDIT_CONTOURS)[number], TestAuditLog>;
  // One payment across the three contours; two events share a time to show the tie order.
  await formation.audit.record({
    type: 'signature.made',
    actor: 'service:formation',
    result: 'info',
    orderId: 'o-1',
    at: at(1),
  });
  await control.audit.record({
    type: 'signature.checked',
    actor: 'service:control',
    result: 'pass',
    orderId: 'o-1',
    at: at(2),
  });
  await control.audit.record({
    type: 'control.decision',
    actor: 'service:control',
    result: 'pass',
    orderId: 'o-1',
    at: at(3),
  });
  await control.audit.record({
    type: 'signature.made',
    actor: 'service:control',
    result: 'info',
    orderId: 'o-1',
    at: at(3),
  });
  await transport.audit.record({
    type: 'signature.made',
    actor: 'service:transport',
    result: 'info',
    orderId: 'o-1',
    at: at(3),
  });
  await transport.audit.record({
    type: 'message.delivered',
    actor: 'service:transport',
    result: 'info',
    orderId: 'o-1',
    at: at(4),
  });
  await transport.audit.record({
    type: 'answer.received',
    actor: 'service:transport',
    result: 'pass',
    orderId: 'o-1',
    at: at(6),
  });
  await formation.audit.record({
    type: 'signature.made',
    actor: 'service:formation',
    result: 'info',
    orderId: 'o-2',
    at: at(5),
  });
  for (const t of Object.values(logs)) {
    await t.audit.flush();
    await t.audit.checkpoint();
  }
  env = {
    TWINCONTOUR_TRUST_DIR: pkiDir,
    TWINCONTOUR_AUDIT_DATABASE_URL_FORMATION: formation.db!.connectionString,
    TWINCONTOUR_AUDIT_DATABASE_URL_CONTROL: control.db!.connectionString,
    TWINCONTOUR_AUDIT_DATABASE_URL_TRANSPORT: transport.db!.connectionString,
  };
});
afterAll(async () => {
  // The formation log owns the PKI folder: close it last.
  for (const contour of ['transport', 'control', 'formation']) await logs[contour]?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('twincontour audit verify', () => {
  it('verifies every contour from its database, read-only, and exits 0', async () => {
    const inboxBefore = await logs.control!.pool.query('select count(*)::int as n from audit_events');
    const r = await tc(['audit', 'verify']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('formation: ok — 2 events, 1 checkpoints');
    expect(r.stdout).toContain('control: ok — 3 events, 1 checkpoints');
    expect(r.stdout).toContain('transport: ok — 3 events, 1 checkpoints');
    const json = await tc(['audit', 'verify', '--json', '--contour', 'control']);
    expect(json.json()).toMatchObject({ ok: true, results: [{ source: 'control', ok: true, events: 3 }] });
    const after = await logs.control!.pool.query('select count(*)::int as n from audit_events');
    expect(after.rows[0].n).toBe(inboxBefore.rows[0].n);
    expect((await logs.control!.pool.query('select count(*)::int as n from audit_inbox')).rows[0].n).toBe(0);
  });

  it('names the first broken link of a tampered contour and exits 1', async () => {
    const t = logs.transport!;
    const id = (await t.pool.query('select id from audit_events where seq = 2')).rows[0].id as string;
    await superuserEdit(t, `update audit_events set result = 'fail' where seq = 2`);
    try {
      const r = await tc(['audit', 'verify']);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('formation: ok');
      expect(r.stdout).toContain('transport: BROKEN');
      expect(r.stdout).toContain(`first broken link: AUDIT_HASH_MISMATCH at seq 2, event ${id}`);
      const json = await tc(['audit', 'verify', '--json']);
      expect(json.code).toBe(1);
      expect(json.json().results[2]).toMatchObject({
        ok: false,
        firstBroken: { code: 'AUDIT_HASH_MISMATCH', seq: '2', eventId: id },
      });
    } finally {
      await superuserEdit(t, `update audit_events set result = 'info' where seq = 2`);
    }
    expect((await tc(['audit', 'verify', '--contour', 'transport'])).code).toBe(0);
  });

  it('verifies an export file offline; an edited file exits 1', async () => {
    let text = '';
    for await (const chunk of exportAudit(logs.control!.pool, {
      contour: 'control',
      service: 'control',
      format: 'ndjson',
    })) {
      text += chunk;
    }
    const file = join(work, 'control.ndjson');
    writeFileSync(file, text);
    const ok = await tc(['audit', 'verify', '--file', 'control.ndjson', '--contour', 'control']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('control.ndjson: ok — 3 events, 1 checkpoints');
    writeFileSync(file, text.replace('"type":"control.decision"', '"type":"message.refused"'));
    const bad = await tc(['audit', 'verify', '--file', file]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('first broken link: AUDIT_HASH_MISMATCH at seq 2');
    const wrongContour = await tc(['audit', 'verify', '--file', file, '--contour', 'formation']);
    expect(wrongContour.code).toBe(1);
    expect(wrongContour.stdout).toContain('AUDIT_EXPORT_MALFORMED');
  });

  it('reports an unreachable database or one without a log (exit 2), and still verifies the others', async () => {
    const url = new URL(env.TWINCONTOUR_AUDIT_DATABASE_URL_CONTROL!);
    url.pathname = '/tc_no_such_database';
    const r = await tc(['audit', 'verify'], { TWINCONTOUR_AUDIT_DATABASE_URL_CONTROL: url.toString() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CLI_AUDIT_DB_UNREACHABLE');
    expect(r.stdout).toContain('formation: ok');
    url.pathname = '/postgres';
    const noLog = await tc(['audit', 'verify', '--contour', 'control'], {
      TWINCONTOUR_AUDIT_DATABASE_URL_CONTROL: url.toString(),
    });
    expect([noLog.code, noLog.stderr.includes('CLI_AUDIT_NO_LOG')]).toEqual([2, true]);
  });

  it('refuses bad usage and missing trust with stable codes', async () => {
    expect((await tc(['audit', 'verify', '--contour', 'cbr'])).stderr).toContain('CLI_USAGE');
    const noTrust = await tc(['audit', 'verify'], {
      TWINCONTOUR_TRUST_DIR: '',
      TWINCONTOUR_PKI_DIR: join(work, 'nowhere'),
    });
    expect([noTrust.code, noTrust.stderr.includes('CLI_TRUST_NOT_CONFIGURED')]).toEqual([2, true]);
    expect((await tc(['audit', 'verify', '--file', 'missing.ndjson'])).stderr).toContain('CLI_UNREADABLE_INPUT');
  });
});

describe('twincontour audit trail', () => {
  it("prints one order's events from the three contours in time order", async () => {
    const r = await tc(['audit', 'trail', 'o-1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const events = r.json().events as { contour: string; type: string; at: string }[];
    expect(events.map((e) => `${e.contour} ${e.type}`)).toEqual([
      'formation signature.made',
      'control signature.checked',
      'control control.decision',
      'control signature.made',
      'transport signature.made',
      'transport message.delivered',
      'transport answer.received',
    ]);
    const text = await tc(['audit', 'trail', 'o-1']);
    expect(text.stdout.split('\n')[0]).toBe('audit trail of order o-1 (7 events)');
    expect(text.stdout).toContain('2026-12-02T10:04:00.000Z  transport  message.delivered');
  });

  it('exits 1 for an order no contour knows', async () => {
    const r = await tc(['audit', 'trail', 'o-unknown']);
    expect([r.code, r.stderr.includes('CLI_AUDIT_TRAIL_EMPTY')]).toEqual([1, true]);
  });
});

describe('helpers', () => {
  it('connects so that no statement can write', async () => {
    const pool = createPool({ connectionString: readOnlyUrl(env.TWINCONTOUR_AUDIT_DATABASE_URL_FORMATION!), max: 1 });
    try {
      await expect(pool.query(`insert into audit_inbox (event) values ('{}')`)).rejects.toMatchObject({
        code: '25006',
      });
      expect((await pool.query('select count(*)::int as n from audit_events')).rows[0].n).toBe(2);
    } finally {
      await pool.end();
    }
  });

  it('falls back to the development databases npm start makes', () => {
    expect(auditDatabaseUrl('control', { PGHOST: 'db', PGPORT: '5433' })).toBe(
      'postgres://tc_control@db:5433/twincontour_control',
    );
    expect(auditDatabaseUrl('formation', { TWINCONTOUR_AUDIT_DATABASE_URL_FORMATION: 'postgres://x@y/z' })).toBe(
      'postgres://x@y/z',
    );
  });

  it('orders a trail by time, then formation → control → transport, then seq', () => {
    const e = (contour: string, seq: string, minute: number) =>
      ({ contour, seq, at: at(minute).toISOString() }) as Parameters<typeof mergeTrail>[0][number];
    const merged = mergeTrail([
      e('transport', '1', 3),
      e('control', '9', 3),
      e('control', '2', 3),
      e('formation', '5', 4),
    ]);
    expect(merged.map((x) => `${x.contour}${x.seq}`)).toEqual(['control2', 'control9', 'transport1', 'formation5']);
  });
});
