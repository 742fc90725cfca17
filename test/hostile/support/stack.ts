// The four services in this process, each on its own throw-away PostgreSQL database, with one identity
// registry holding an identity of every role in every contour. Apps are built with each service's own
// buildApp (the same code main.ts runs) and exercised with app.inject; the simulator's mTLS intake listens
// on a real port because it is a plain node https server.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestAuditLog, type TestAuditLog } from '@twincontour/audit/testing';
import { devInit, readDevIdentity } from '@twincontour/crypto';
import {
  createIdentityRegistry,
  createLogger,
  createTestDatabase,
  type ErrorCatalog,
  hashApiKey,
  type IdentityRecord,
  type IdentityRegistry,
  migrate,
  PLATFORM_MIGRATIONS_DIR,
  type Pool,
  ROLES,
  type Role,
  type TestDatabase,
} from '@twincontour/platform';
import { createEnvelopeStore } from '../../../services/cbr-simulator/src/adapters/files.js';
import {
  loadSimulatorKeys,
  type SimulatorKeys,
  tlsIdentity,
} from '../../../services/cbr-simulator/src/adapters/keys.js';
import { createMtlsServer } from '../../../services/cbr-simulator/src/adapters/mtls-server.js';
import { answersAfter } from '../../../services/cbr-simulator/src/adapters/repository.js';
import { buildApp as buildSimulatorApp } from '../../../services/cbr-simulator/src/app.js';
import { createIntake, sha256Hex } from '../../../services/cbr-simulator/src/intake.js';
import { buildApp as buildControlApp } from '../../../services/control/src/app.js';
import type { buildApp as buildFormationApp, FormationDeps } from '../../../services/formation/src/app.js';
import { createFormationFixture, type FormationFixture } from '../../../services/formation/src/testing/fixture.js';
import { createDeliveryAdapter, loadTransportKeys } from '../../../services/transport/src/adapters/delivery/index.js';
import { buildApp as buildTransportApp } from '../../../services/transport/src/app.js';
import { parseTransportConfig } from '../../../services/transport/src/config.js';
import { createHarness, type Harness, startPeer, type TestPeer } from '../../../services/transport/src/testing.js';
import { createIncidentService } from '../../../services/transport/src/workers/incident-service.js';
import { SERVICE_CATALOGS } from './catalogs.js';

type Logger = ReturnType<typeof createLogger>;

/** A service's fastify instance (every buildApp returns the same type). */
export type App = Awaited<ReturnType<typeof buildFormationApp>>;

/** The services and the contour of their identities. */
export const SERVICES = {
  formation: 'formation',
  control: 'control',
  transport: 'transport',
  'cbr-simulator': 'cbr',
} as const;
export type ServiceName = keyof typeof SERVICES;
export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

/** The API key of the identity with `role` in `service`'s contour. */
export function keyOf(service: ServiceName, role: Role): string {
  return `tck_hostile_${SERVICES[service]}_${role}`;
}

/** Headers presenting that identity (`second`: the other identity with the same role and contour). */
export function as(service: ServiceName, role: Role, second = false): { authorization: string } {
  return { authorization: `ApiKey ${keyOf(service, role)}${second ? '_2' : ''}` };
}

/** Every role in every contour, so each service meets its own staff, other contours' staff and strangers. */
export function hostileRegistry(): IdentityRegistry {
  const records: IdentityRecord[] = SERVICE_NAMES.flatMap((service) =>
    ROLES.flatMap((role) => [
      {
        id: `${SERVICES[service]}-${role}`,
        role,
        contour: SERVICES[service],
        keySha256: hashApiKey(keyOf(service, role)),
      },
      {
        id: `${SERVICES[service]}-${role}-2`,
        role,
        contour: SERVICES[service],
        keySha256: hashApiKey(`${keyOf(service, role)}_2`),
      },
    ]),
  );
  const registry = createIdentityRegistry(records);
  if (!registry.ok) throw new Error(`registry: ${JSON.stringify(registry.errors)}`);
  return registry.value;
}

/** Body limit of every app in the suite (small, so that oversized bodies are cheap to send). */
export const BODY_LIMIT = 256 * 1024;

type RateLimit = FormationDeps['rateLimit'];

/** One service under test. */
export interface ServiceUnderTest {
  name: ServiceName;
  contour: string;
  app: App;
  pool: Pool;
  /** Codes an answer of this service may carry: the platform's, the service's and the audit package's. */
  catalog: ErrorCatalog;
  /** Another app of the service on the same database (e.g. with a rate limit). */
  build(overrides?: { rateLimit?: RateLimit }): Promise<App>;
}

/** The simulator's mTLS intake, listening on 127.0.0.1. */
export interface Intake {
  port: number;
  server: Server;
  keys: SimulatorKeys;
  /** TLS options of the registered participant (transport's key and certificate) and the CA. */
  clientTls: { key: string; cert: string; ca: string };
  /** The CA alone (a client without a certificate). */
  ca: string;
  bodyLimit: number;
}

/** Everything the hostile files run against. */
export interface Stack {
  services: Record<ServiceName, ServiceUnderTest>;
  intake: Intake;
  formation: FormationFixture;
  pki: string;
  /** Transport's own test harness: its runtime (c2t worker, answer loop), audit log, archive and in-test peer. */
  transport: Harness;
  peer: TestPeer;
  /** Error-level log lines of every service (a hidden fault may be answered 4xx yet logged). */
  errorLines: string[];
  close(): Promise<void>;
}

/** Row counts of every table of a service's database but the migration and audit bookkeeping. */
export async function rowCounts(pool: Pool): Promise<Record<string, number>> {
  const tables = await pool.query<{ name: string }>(
    `select table_name as name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE'
        and table_name <> 'schema_migrations' and table_name not like 'audit%'
      order by table_name`,
  );
  const out: Record<string, number> = {};
  for (const { name } of tables.rows) {
    const result = await pool.query<{ n: number }>(`select count(*)::int as n from "${name.replace(/"/g, '""')}"`);
    out[name] = result.rows[0]?.n ?? 0;
  }
  return out;
}

async function migratedDatabase(dirs: readonly (readonly [string, string])[]): Promise<TestDatabase> {
  const db = await createTestDatabase({ poolMax: 8 });
  for (const [dir, scope] of dirs) {
    const migrated = await migrate({ pool: db.pool, dir, scope });
    if (!migrated.ok) throw new Error(`${scope}: ${JSON.stringify(migrated)}`);
  }
  return db;
}

function sinkLogger(service: string, errorLines: string[]): Logger {
  return createLogger({
    service,
    level: 'warn',
    destination: {
      write: (line: string) => {
        if (line.includes('"level":"error"') || line.includes('"level":"fatal"')) errorLines.push(line);
      },
    },
  });
}

const SERVICES_DIR = join(import.meta.dirname, '..', '..', '..', 'services');

/** Builds the four services in this process; `close()` drops every database and folder. */
export async function createStack(): Promise<Stack> {
  const errorLines: string[] = [];
  const registry = hostileRegistry();
  const work = mkdtempSync(join(tmpdir(), 'tc-hostile-'));
  const pki = join(work, 'pki');
  const init = await devInit(pki);
  if (!init.ok) throw new Error(init.code);

  const formation = await createFormationFixture();
  const formationLogger = sinkLogger('formation', errorLines);
  const formationApps = new Set<App>();
  const buildFormation = async (overrides: { rateLimit?: RateLimit } = {}) => {
    const app = await formation.build({ registry, logger: formationLogger, bodyLimit: BODY_LIMIT, ...overrides });
    formationApps.add(app);
    return app;
  };

  const controlDb = await migratedDatabase([
    [PLATFORM_MIGRATIONS_DIR, 'platform'],
    [join(SERVICES_DIR, 'control', 'migrations'), 'app'],
  ]);
  const controlLogger = sinkLogger('control', errorLines);
  const audits: TestAuditLog[] = [];
  const auditOf = async (contour: 'control' | 'cbr', pool: Pool, logger: Logger) => {
    const made = await createTestAuditLog({ contour, pool, pkiDir: pki, logger });
    audits.push(made);
    return made.audit;
  };
  // Built as a variable and spread: a service whose deps do not (yet) take an audit log ignores it.
  const controlDeps = {
    logger: controlLogger,
    identities: registry,
    pool: controlDb.pool,
    bodyLimit: BODY_LIMIT,
    audit: await auditOf('control', controlDb.pool, controlLogger),
  };
  const buildControl = (overrides: { rateLimit?: RateLimit } = {}) => buildControlApp({ ...controlDeps, ...overrides });

  // Transport as its own tests build it (runtime, audit log, archive, incident service, an in-test Bank of
  // Russia over mTLS), with an app of ours on the same parts.
  let peer: TestPeer | undefined;
  const transport = await createHarness(
    async (transportPki, pool) => {
      peer = await startPeer(transportPki);
      const config = parseTransportConfig({
        TWINCONTOUR_DATABASE_URL: 'postgres://transport@127.0.0.1/transport',
        TWINCONTOUR_C2T_REDIS_URL: 'redis://127.0.0.1:6379',
        TWINCONTOUR_PKI_DIR: transportPki,
        TWINCONTOUR_PEER_URL: peer.url,
        TWINCONTOUR_PEER_TIMEOUT_MS: '3000',
      });
      if (!config.ok) throw new Error(JSON.stringify(config.errors));
      const transportKeys = await loadTransportKeys(config.value);
      if (!transportKeys.ok) throw new Error(transportKeys.message);
      const { loadTrustStore } = await import('@twincontour/crypto');
      const trust = await loadTrustStore(transportPki);
      if (!trust.ok) throw new Error(trust.code);
      const adapter = await createDeliveryAdapter(config.value, {
        pool,
        keys: transportKeys.value,
        validator: trust.value,
      });
      trust.value.close();
      if (!adapter.ok) throw new Error(adapter.message);
      return adapter.value;
    },
    {
      incidents: async (deps) => {
        const service = createIncidentService({
          pool: deps.pool,
          logger: deps.logger,
          validator: deps.trust,
          channel: deps.adapter.incident,
          participant: { name: 'ООО «Тестовый банк»', bic: '044525545', uic: '4525545000' },
          audit: deps.audit,
          retryMs: 60_000,
        });
        const dev = await service.ensureDevPerson(deps.pki);
        if (!dev.ok) throw new Error(dev.message);
        return service;
      },
    },
  );
  if (!peer) throw new Error('no peer');
  const transportLogger = sinkLogger('transport', errorLines);
  const transportDeps = {
    logger: transportLogger,
    identities: registry,
    pool: transport.db.pool,
    bodyLimit: BODY_LIMIT,
    audit: transport.audit,
    archiveTrust: transport.archive.trust,
    ...(transport.incidents ? { incidents: transport.incidents } : {}),
  };
  const buildTransport = (overrides: { rateLimit?: RateLimit } = {}) =>
    buildTransportApp({ ...transportDeps, ...overrides });

  const simulatorDb = await migratedDatabase([[join(SERVICES_DIR, 'cbr-simulator', 'migrations'), 'app']]);
  const simulatorLogger = sinkLogger('cbr-simulator', errorLines);
  const simulatorDeps = {
    logger: simulatorLogger,
    identities: registry,
    pool: simulatorDb.pool,
    bodyLimit: BODY_LIMIT,
    audit: await auditOf('cbr', simulatorDb.pool, simulatorLogger),
  };
  const buildSimulator = (overrides: { rateLimit?: RateLimit } = {}) =>
    buildSimulatorApp({ ...simulatorDeps, ...overrides });

  const keys = await loadSimulatorKeys({ pkiDir: pki });
  if (!keys.ok) throw new Error(keys.message);
  const intake = createIntake({
    pool: simulatorDb.pool,
    logger: simulatorLogger,
    signer: keys.value.signer,
    recipient: { privateKey: keys.value.privateKey, certificateDer: keys.value.certificateDer },
    validator: keys.value.trust,
    sigMode: 'zk+ka',
    participant: 'dev-bank',
    edAuthor: '4583001999',
    ed206DelayMs: 60_000,
    store: createEnvelopeStore(join(work, 'store')),
  });
  const intakeLimit = 64 * 1024;
  const server = createMtlsServer({
    tls: tlsIdentity(keys.value),
    participantThumbprint: sha256Hex(keys.value.participantCertificate),
    participantCertificate: keys.value.participantCertificate,
    validator: keys.value.trust,
    intake,
    answersAfter: (after, limit) => answersAfter(simulatorDb.pool, 'dev-bank', after, limit),
    bodyLimit: intakeLimit,
    logger: simulatorLogger,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const transportIdentity = await readDevIdentity(pki, 'transport');
  if (!transportIdentity.ok) throw new Error(transportIdentity.code);
  const layout = JSON.parse(readFileSync(join(pki, 'trust.json'), 'utf8')) as { ca: { certificate: string } };
  const ca = readFileSync(join(pki, layout.ca.certificate), 'utf8');

  const services: Record<ServiceName, ServiceUnderTest> = {
    formation: {
      name: 'formation',
      contour: 'formation',
      app: await buildFormation(),
      pool: formation.db.pool,
      catalog: SERVICE_CATALOGS.formation,
      build: buildFormation,
    },
    control: {
      name: 'control',
      contour: 'control',
      app: await buildControl(),
      pool: controlDb.pool,
      catalog: SERVICE_CATALOGS.control,
      build: buildControl,
    },
    transport: {
      name: 'transport',
      contour: 'transport',
      app: await buildTransport(),
      pool: transport.db.pool,
      catalog: SERVICE_CATALOGS.transport,
      build: buildTransport,
    },
    'cbr-simulator': {
      name: 'cbr-simulator',
      contour: 'cbr',
      app: await buildSimulator(),
      pool: simulatorDb.pool,
      catalog: SERVICE_CATALOGS['cbr-simulator'],
      build: buildSimulator,
    },
  };
  const extraApps: App[] = [];
  for (const service of Object.values(services)) {
    const build = service.build;
    service.build = async (overrides) => {
      const app = await build(overrides);
      extraApps.push(app);
      return app;
    };
    await service.app.ready();
  }

  return {
    services,
    formation,
    pki,
    transport,
    peer,
    errorLines,
    intake: {
      port: (server.address() as AddressInfo).port,
      server,
      keys: keys.value,
      clientTls: {
        key: transportIdentity.value.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        cert: transportIdentity.value.certificatePem,
        ca,
      },
      ca,
      bodyLimit: intakeLimit,
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // Formation's apps are the fixture's to close.
      for (const app of [...Object.values(services).map((s) => s.app), ...extraApps]) {
        if (!formationApps.has(app)) await app.close();
      }
      for (const made of audits) await made.close();
      keys.value.trust.close();
      await formation.close();
      await transport.close();
      await peer?.close();
      await Promise.all([controlDb.drop(), simulatorDb.drop()]);
      rmSync(work, { recursive: true, force: true });
    },
  };
}
