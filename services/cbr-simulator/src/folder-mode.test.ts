import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devInit, loadSigner, type Signer, verifyEnvelope, verifyZks } from '@twincontour/crypto';
import { createLogger, createTestDatabase, migrate, type TestDatabase } from '@twincontour/platform';
import { parseEd, xsdValidate } from '@twincontour/ufebs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPickupPoller, isIncompleteName } from './adapters/arm-folder.js';
import { createEnvelopeStore, writeFileAtomic } from './adapters/files.js';
import { loadSimulatorKeys, type SimulatorKeys } from './adapters/keys.js';
import { listReceived } from './adapters/repository.js';
import type { Delivery, Intake } from './intake.js';
import { createIntake } from './intake.js';
import { createSimulatorRuntime, type SimulatorRuntime } from './runtime.js';
import { opensslVerifyEnvelope, participantEnvelope, waitFor } from './testing.js';

const MIGRATIONS_DIR = join(import.meta.dirname, '..', 'migrations');

let work: string;
let pki: string;
let db: TestDatabase;
let keys: SimulatorKeys;
let formation: Signer;
let control: Signer;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'cbr-sim-folder-'));
  pki = join(work, 'pki');
  const init = await devInit(pki);
  if (!init.ok) throw new Error(init.code);
  db = await createTestDatabase();
  const migrated = await migrate({ pool: db.pool, dir: MIGRATIONS_DIR, scope: 'app' });
  if (!migrated.ok) throw new Error(migrated.code);
  const loaded = await loadSimulatorKeys({ pkiDir: pki });
  if (!loaded.ok) throw new Error(loaded.message);
  keys = loaded.value;
  const f = await loadSigner('formation', { pkiDir: pki });
  const c = await loadSigner('control', { pkiDir: pki });
  if (!f.ok || !c.ok) throw new Error('signers');
  formation = f.value;
  control = c.value;
});

afterAll(async () => {
  await db?.drop();
  rmSync(work, { recursive: true, force: true });
});

describe('the pickup poller', () => {
  it.each([
    ['ED101_1.xml', false],
    ['ED101_1.xml.tmp', true],
    ['.hidden', true],
  ])('treats %s as incomplete: %s', (name, incomplete) => {
    expect(isIncompleteName(name)).toBe(incomplete);
  });

  it('takes a file only once it stayed unchanged over one poll, never a .tmp, and deletes what it took', async () => {
    const dir = join(work, 'poll');
    mkdirSync(dir);
    const taken: Delivery[] = [];
    // A recording intake: this test is about which files the poller hands on, not about the checks.
    const intake: Intake = {
      async receive(delivery) {
        taken.push(delivery);
        return { ok: true, value: { receipt: {} as never, retried: false } };
      },
    };
    const poller = createPickupPoller({ dir, intake, logger: createLogger({ service: 't', level: 'silent' }) });
    writeFileSync(join(dir, 'ED101_a.xml'), 'part one');
    writeFileSync(join(dir, 'ED101_b.xml.tmp'), 'still being written');
    expect(await poller.poll()).toBe(0); // first sight
    appendFileSync(join(dir, 'ED101_a.xml'), ' and part two, written under the final name');
    expect(await poller.poll()).toBe(0); // it grew: still being written
    expect(await poller.poll()).toBe(1);
    expect(taken.map((d) => [d.channel, d.ref, Buffer.from(d.bytes).toString()])).toEqual([
      ['folder', 'ED101_a.xml', 'part one and part two, written under the final name'],
    ]);
    expect(readdirSync(dir)).toEqual(['ED101_b.xml.tmp']);
    expect(await poller.poll()).toBe(0);
    expect(await poller.poll()).toBe(0);
    expect(taken).toHaveLength(1);
  });
});

describe('folder mode end to end', () => {
  let runtime: SimulatorRuntime;
  let outDir: string;
  let inDir: string;

  beforeAll(() => {
    outDir = join(work, 'arm-out');
    inDir = join(work, 'arm-in');
    mkdirSync(outDir);
    mkdirSync(inDir);
    const logger = createLogger({ service: 'cbr-simulator-test', level: 'silent' });
    let started: SimulatorRuntime | undefined;
    const intake = createIntake({
      pool: db.pool,
      logger,
      signer: keys.signer,
      recipient: { privateKey: keys.privateKey, certificateDer: keys.certificateDer },
      validator: keys.trust,
      sigMode: 'zk+ka',
      participant: 'folder-bank',
      edAuthor: '4583001999',
      ed206DelayMs: 200,
      store: createEnvelopeStore(join(work, 'store')),
      onQueued: () => started?.nudge(),
    });
    runtime = createSimulatorRuntime({
      pool: db.pool,
      logger,
      participant: 'folder-bank',
      publishMs: 50,
      folder: { outDir, inDir, pollMs: 50, intake },
    });
    started = runtime;
    runtime.start();
  });

  afterAll(async () => {
    await runtime?.close();
  });

  it('takes the envelope from the pickup folder and writes ED201 and ED206 into the incoming folder', async () => {
    const { envelope, ed } = await participantEnvelope({ edNo: '777', formation, secondZk: control, ka: control });
    const partial = join(outDir, 'ED101_4525545000_20250415_778.xml.tmp');
    writeFileSync(partial, envelope.subarray(0, 100));
    const name = `ED101_${ed.edAuthor}_20250415_${ed.edNo}.xml`;
    // As transport's arm-kbr adapter writes: a temporary name, then a rename.
    await writeFileAtomic(outDir, name, envelope);

    const answers = await waitFor(
      async () => {
        const files = readdirSync(inDir).filter((f) => !f.endsWith('.tmp'));
        return files.length >= 2 ? files.sort() : undefined;
      },
      10_000,
      'two answers in the incoming folder',
    );
    expect(answers).toHaveLength(2);
    expect(answers[0]).toMatch(/^ED201_4583001999_\d{8}_\d+\.xml$/);
    expect(answers[1]).toMatch(/^ED206_4583001999_\d{8}_\d+\.xml$/);
    expect(readdirSync(inDir).some((f) => f.endsWith('.tmp'))).toBe(false);

    const kinds: string[] = [];
    for (const file of answers) {
      const bytes = new Uint8Array(readFileSync(join(inDir, file)));
      const ka = await verifyEnvelope(bytes, { validator: keys.trust, expectedContours: ['cbr'] });
      if (!ka.ok) throw new Error(ka.code);
      expect((await verifyZks(ka.file, { validator: keys.trust, expectedContours: ['cbr'] })).ok).toBe(true);
      expect((await xsdValidate(ka.file)).ok).toBe(true);
      const checked = opensslVerifyEnvelope(bytes, pki, mkdtempSync(join(work, 'v-')));
      expect(checked).toHaveLength(2);
      for (const r of checked) expect(r.status, r.output).toBe(0);
      const parsed = parseEd(ka.file);
      if (!parsed.ok) throw new Error(parsed.code);
      kinds.push(parsed.value.kind);
      expect(parsed.value).toMatchObject({ edRefId: ed });
      if (parsed.value.kind === 'ED201') expect(parsed.value.ctrlCode).toBe('0000');
    }
    expect(kinds).toEqual(['ED201', 'ED206']);

    // The АРМ removed what it took; the half-written .tmp was never read and is still there.
    expect(existsSync(join(outDir, name))).toBe(false);
    expect(readFileSync(partial)).toEqual(Buffer.from(envelope.subarray(0, 100)));
    const rows = await listReceived(db.pool, 0, 1000);
    expect(rows.filter((r) => r.channel === 'folder').map((r) => r.ref)).toEqual([name]);
    expect(rows.find((r) => r.ref === name)).toMatchObject({ state: 'executed', ctrlCode: '0000', ed: { ...ed } });
  });
});
