import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  appendArchived,
  certificatesInEnvelope,
  certificatesInRecord,
  chainWithIssuers,
  createFactsCache,
  crlsForChain,
  INCIDENT_REQUEST_KIND,
  serializeIncidentRequestBody,
  storeCrls,
  trustCertificates,
} from '@twincontour/audit';
import {
  addZk,
  createSoftwareSigner,
  devInit,
  issueDevCertificate,
  loadSigner,
  loadTrustConfigFromDir,
  loadTrustStore,
  readDevIdentity,
  revoke,
  signDetached,
  type TrustStore,
  wrapEnvelope,
} from '@twincontour/crypto';
import { createTestDatabase, migrate, type TestDatabase } from '@twincontour/platform';
import { orderToEd101, type PaymentOrder, writeEd101 } from '@twincontour/ufebs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../io.js';
import { main } from '../main.js';
import { archiveDatabaseUrl } from './archive.js';

const repo = resolve(import.meta.dirname, '../../../..');

let work: string;
let pki: string;
let db: TestDatabase;
let trust: TrustStore;
let outgoing: string;

async function tc(args: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const io: Io = {
    stdout: (chunk) => {
      out += Buffer.from(chunk).toString('utf8');
    },
    stderr: (chunk) => {
      err += chunk;
    },
    cwd: work,
    env: { TWINCONTOUR_ARCHIVE_DATABASE_URL: db.connectionString, TWINCONTOUR_DEV_DIR: join(work, 'no-dev'), ...env },
  };
  const code = await main(args, io);
  return { code, stdout: out, stderr: err, json: () => JSON.parse(out) as Record<string, unknown> };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tc-cli-archive-'));
  pki = join(work, 'pki');
  const init = await devInit(pki);
  if (!init.ok) throw new Error(init.code);
  const loaded = await loadTrustStore(pki);
  if (!loaded.ok) throw new Error(loaded.code);
  trust = loaded.value;

  // Transport's archive tables, as transport's migrations make them.
  db = await createTestDatabase();
  const dir = join(work, 'migrations');
  mkdirSync(dir);
  for (const f of ['0001_transport.sql', '0002_archive.sql']) {
    copyFileSync(join(repo, 'services', 'transport', 'migrations', f), join(dir, f));
  }
  const migrated = await migrate({ pool: db.pool, dir, scope: 'app' });
  if (!migrated.ok) throw new Error(JSON.stringify(migrated));

  // An ED101 as formation makes it, with formation's and control's ЗК and control's КА.
  const order = JSON.parse(readFileSync(join(repo, 'examples', 'payment-order.json'), 'utf8')) as PaymentOrder;
  const ed = { edNo: '4242', edDate: '2025-04-15', edAuthor: '4525545000' };
  const written = writeEd101(orderToEd101(order, ed));
  if (!written.ok) throw new Error(written.code);
  let file = written.value;
  for (const contour of ['formation', 'control'] as const) {
    const signer = await loadSigner(contour, { pkiDir: pki });
    if (!signer.ok) throw new Error(signer.code);
    const signed = await addZk(file, signer.value);
    if (!signed.ok) throw new Error(signed.code);
    file = signed.value;
  }
  const control = await loadSigner('control', { pkiDir: pki });
  if (!control.ok) throw new Error(control.code);
  const envelope = await wrapEnvelope(file, control.value);

  // Archived as transport archives it: the chain found in the envelope and the CA, the CRL in use.
  const config = loadTrustConfigFromDir(pki);
  if (!config.ok) throw new Error(config.code);
  const facts = createFactsCache();
  const certificates = chainWithIssuers(certificatesInEnvelope(envelope), trustCertificates(config.value), facts);
  outgoing = await appendArchived(db.pool, {
    direction: 'out',
    kind: 'envelope',
    orderId: 'cli-1',
    ed,
    channel: 'arm-kbr',
    bytes: envelope,
    at: new Date(),
    retainYears: 5,
    certificates,
    crls: crlsForChain(certificates, trust.crlSnapshots(), facts),
  });
  // The CA publishes its next CRL, and transport stores it: the proof for the record's time.
  const throwAway = await issueDevCertificate(pki, { contour: 'formation' });
  const revoked = await revoke(pki, throwAway.serialNumber, { now: new Date(Date.now() + 2000) });
  if (!revoked.ok) throw new Error(revoked.code);
  await trust.refresh();
  await storeCrls(db.pool, trust.crlSnapshots());
}, 60_000);

afterAll(async () => {
  trust?.close();
  await db?.drop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('twincontour archive verify', () => {
  it('verifies an archived message from the database, as JSON and in words (exit 0)', async () => {
    const json = await tc(['archive', 'verify', outgoing, '--json', '--trust-dir', pki]);
    expect(json.code, json.stderr).toBe(0);
    expect(json.json()).toMatchObject({ ok: true, id: outgoing, direction: 'out', kind: 'envelope' });
    expect((json.json().signers as { role: string; contour: string }[]).map((s) => [s.role, s.contour])).toEqual([
      ['ka', 'control'],
      ['zk', 'formation'],
      ['zk', 'control'],
    ]);
    const words = await tc(['archive', 'verify', outgoing], { TWINCONTOUR_TRUST_DIR: pki });
    expect(words.code).toBe(0);
    expect(words.stdout).toMatch(new RegExp(`^archive record ${outgoing} \\(out envelope\\) as of .*: VERIFIED\\n`));
  });

  it('verifies an archived incident request (802-П п. 19): the authorised person’s signature over the document (exit 0)', async () => {
    // As transport sends it: the document the gateway drafted, signed by the person's key, in the request body.
    const person = await readDevIdentity(pki, 'authorised-person');
    if (!person.ok) throw new Error(person.code);
    const requestId = randomUUID();
    const document = Buffer.from(
      JSON.stringify({
        type: 'twincontour.incident-request',
        version: 1,
        requestId,
        kind: 'suspend',
        authorisedPerson: { id: 'dev-authorised-person', certificate: { thumbprint: person.value.thumbprint } },
        createdAt: new Date().toISOString(),
      }),
    );
    const signer = createSoftwareSigner(person.value.privateKey, person.value.certificateDer);
    const signature = await signDetached(document, signer, { signingTime: new Date() });
    const bytes = serializeIncidentRequestBody({ requestId, kind: 'suspend', document, signature });
    const config = loadTrustConfigFromDir(pki);
    if (!config.ok) throw new Error(config.code);
    const facts = createFactsCache();
    const certificates = chainWithIssuers(
      certificatesInRecord(INCIDENT_REQUEST_KIND, bytes),
      trustCertificates(config.value),
      facts,
    );
    const id = await appendArchived(db.pool, {
      direction: 'out',
      kind: INCIDENT_REQUEST_KIND,
      channel: 'simulator',
      sourceRef: requestId,
      bytes,
      at: new Date(),
      retainYears: 5,
      certificates,
      crls: crlsForChain(certificates, trust.crlSnapshots(), facts),
    });
    // The CA's next CRL proves the person's certificate was not revoked when the request was sent.
    const throwAway = await issueDevCertificate(pki, { contour: 'formation' });
    const revoked = await revoke(pki, throwAway.serialNumber, { now: new Date(Date.now() + 2000) });
    if (!revoked.ok) throw new Error(revoked.code);
    await trust.refresh();
    await storeCrls(db.pool, trust.crlSnapshots());

    const json = await tc(['archive', 'verify', id, '--json', '--trust-dir', pki]);
    expect(json.code, json.stdout).toBe(0);
    expect(json.json()).toMatchObject({ ok: true, id, direction: 'out', kind: 'incident-request' });
    expect((json.json().signers as { role: string; contour: string }[]).map((s) => [s.role, s.contour])).toEqual([
      ['detached', 'authorised-person'],
    ]);
    const words = await tc(['archive', 'verify', id], { TWINCONTOUR_TRUST_DIR: pki });
    expect(words.code).toBe(0);
    expect(words.stdout).toContain(`archive record ${id} (out incident-request) as of `);
    expect(words.stdout).toContain('detached #0 authorised-person: valid');
  });

  it('exits 1 with the code when the record was altered in the database', async () => {
    const client = await db.pool.connect();
    let altered: string;
    try {
      const copy = await client.query<{ id: string }>(
        `insert into archive (direction, kind, order_id, channel, bytes, sha256, at, signing_time, retain_until, chain, crls)
         select direction, kind, 'cli-2', channel, bytes, sha256, at, signing_time, retain_until, chain, crls
           from archive where id = $1 returning id::text as id`,
        [outgoing],
      );
      altered = copy.rows[0]!.id;
      // A superuser going around the trigger (test only): the archive cannot stop that, verification finds it.
      await client.query('begin');
      await client.query('set local session_replication_role = replica');
      await client.query("update archive set bytes = bytes || '\\x20'::bytea where id = $1", [altered]);
      await client.query('commit');
    } finally {
      client.release();
    }
    const r = await tc(['archive', 'verify', altered, '--json', '--trust-dir', pki]);
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({ ok: false, code: 'ARC_DIGEST_MISMATCH', id: altered });
  });

  it.each([
    ['an unknown id', ['archive', 'verify', '987654321'], {}, 'ARC_NOT_FOUND'],
    ['an id that is not one', ['archive', 'verify', '12ab'], {}, 'CLI_USAGE'],
    ['no id', ['archive', 'verify'], {}, 'CLI_USAGE'],
    [
      'an unreachable database',
      ['archive', 'verify', '1'],
      { TWINCONTOUR_ARCHIVE_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
      'ARC_DATABASE_UNAVAILABLE',
    ],
    ['no trust configuration', ['archive', 'verify', '1'], { NO_TRUST: '1' }, 'CLI_TRUST_NOT_CONFIGURED'],
  ])('exits 2 for %s (%s)', async (_name, args, env, code) => {
    const withTrust = 'NO_TRUST' in env ? {} : { TWINCONTOUR_TRUST_DIR: pki };
    const r = await tc(args, { ...withTrust, ...(env as Record<string, string>) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`(${code})`);
    expect(r.stderr).not.toContain('nobody@');
  });

  it('reads transport’s development database by default, read-only', () => {
    const url = new URL(archiveDatabaseUrl({ PGHOST: 'db.local', PGPORT: '6543' }));
    expect(`${url.protocol}//${url.username}@${url.host}${url.pathname}`).toBe(
      'postgres://tc_transport@db.local:6543/twincontour_transport',
    );
    expect(url.searchParams.get('options')).toBe('-c default_transaction_read_only=on');
  });
});
