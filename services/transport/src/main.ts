// The only module of the transport service with side effects (STYLE.md, "A service"):
// configuration → logger → PostgreSQL and migrations → keys, trust store and channel → app → workers → listen.
import { fileURLToPath } from 'node:url';
import { AUDIT_MIGRATIONS_DIR, createAuditLog, keyLoadedEvent } from '@twincontour/audit';
import { createSoftwareSigner, describeCertificate, loadTrustStore } from '@twincontour/crypto';
import {
  createIdentityRegistry,
  createLogger,
  createPool,
  migrate,
  outboxBacklog,
  PLATFORM_MIGRATIONS_DIR,
  pgReadiness,
  QUEUE_NAMES,
  redisConnectionFromUrl,
  redisReadiness,
  runService,
  serviceRateLimit,
} from '@twincontour/platform';
import { Redis } from 'ioredis';
import { createTransportArchive, loadArchiveTrust } from './adapters/archive-repository.js';
import { createDeliveryAdapter, loadTransportKeys } from './adapters/delivery/index.js';
import { countMessagesByState } from './adapters/message-repository.js';
import { loadPersonKeys } from './adapters/person-keys.js';
import { buildApp } from './app.js';
import { acceptCodes, loadTransportConfig } from './config.js';
import { createTransportMetrics } from './metrics.js';
import { createTransportRuntime } from './runtime.js';
import { createIncidentService } from './workers/incident-service.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

const config = loadTransportConfig(process.env);
const logger = createLogger({ service: 'transport', level: config.TWINCONTOUR_LOG_LEVEL });

const identities = createIdentityRegistry(config.TWINCONTOUR_IDENTITIES);
if (!identities.ok) throw new Error(`${identities.code}: ${JSON.stringify(identities.errors)}`);

const pool = createPool({ connectionString: config.TWINCONTOUR_DATABASE_URL, applicationName: 'transport', logger });
for (const [dir, scope] of [
  [PLATFORM_MIGRATIONS_DIR, 'platform'],
  [MIGRATIONS_DIR, 'app'],
  [AUDIT_MIGRATIONS_DIR, 'audit'],
] as const) {
  const migrated = await migrate({ pool, dir, scope, logger });
  if (!migrated.ok) throw new Error(`${migrated.code}: ${JSON.stringify(migrated.errors ?? migrated.message)}`);
}

const trust = await loadTrustStore(config.TWINCONTOUR_TRUST_DIR ?? config.TWINCONTOUR_PKI_DIR ?? '');
if (!trust.ok) throw new Error(`TRN_KEYS_UNAVAILABLE: ${trust.code}: ${trust.message}`);
await trust.value.start();
// 802-П п. 11: the archive keeps each message with its chain and the CRLs in use; this month's and next
// month's partitions exist before the first message, and are ensured again hourly (archive.start()).
const archiveTrust = loadArchiveTrust(config.TWINCONTOUR_TRUST_DIR ?? config.TWINCONTOUR_PKI_DIR ?? '');
if (!archiveTrust.ok) throw new Error(`${archiveTrust.code}: ${archiveTrust.message}`);
const archive = createTransportArchive({
  pool,
  crls: trust.value,
  trust: archiveTrust.value,
  retainYears: config.TWINCONTOUR_ARCHIVE_RETAIN_YEARS,
  logger,
});
await archive.maintain();
const keys = await loadTransportKeys(config);
if (!keys.ok) throw new Error(`${keys.code}: ${keys.message}`);

// The audit log (issue 6): chained and checkpointed with the transport key; the key loaded is its first
// event of this run, with the trust store's verdict on the certificate.
const audit = createAuditLog({
  pool,
  contour: 'transport',
  service: 'transport',
  signer: createSoftwareSigner(keys.value.key, keys.value.certificateDer),
  validator: trust.value,
  logger,
  checkpointIntervalMs: config.TWINCONTOUR_AUDIT_CHECKPOINT_MS,
});
const certificate = describeCertificate(keys.value.certificateDer);
if (!certificate.ok) throw new Error(`TRN_KEYS_UNAVAILABLE: ${certificate.code}: ${certificate.message}`);
const own = trust.value.check(keys.value.certificateDer, { expectedContour: 'transport', usage: 'signing' });
await audit.record(
  keyLoadedEvent('transport', certificate.value, own.ok ? { ok: true } : { ok: false, code: own.code }, {
    contour: 'transport',
  }),
);
audit.start();
const adapter = await createDeliveryAdapter(config, { pool, keys: keys.value, validator: trust.value });
if (!adapter.ok) throw new Error(`${adapter.code}: ${adapter.message}`);

// 802-П п. 19: incident suspension. Keys of authorised persons that sign on the server, if configured;
// in development the dev PKI's authorised person is registered and signs (TWINCONTOUR_DEV_AUTHORISED_PERSON).
const personKeys = config.TWINCONTOUR_AUTHORISED_PERSON_KEYS
  ? await loadPersonKeys(config.TWINCONTOUR_AUTHORISED_PERSON_KEYS)
  : undefined;
if (personKeys && !personKeys.ok) throw new Error(`${personKeys.code}: ${personKeys.message}`);
const incidents = createIncidentService({
  pool,
  logger,
  validator: trust.value,
  channel: adapter.value.incident,
  participant: {
    name: config.TWINCONTOUR_PARTICIPANT_NAME,
    bic: config.TWINCONTOUR_PARTICIPANT_BIC,
    uic: config.TWINCONTOUR_PARTICIPANT_UIC,
  },
  ...(personKeys?.ok ? { personKeys: personKeys.value } : {}),
  audit,
  // 802-П п. 11: each request sent and each answer received, in the transaction recording it.
  archive: { writer: archive, channel: adapter.value.channel },
  retryMs: config.TWINCONTOUR_INCIDENT_RETRY_MS,
});
if (config.TWINCONTOUR_DEV_AUTHORISED_PERSON) {
  const dev = await incidents.ensureDevPerson(config.TWINCONTOUR_DEV_AUTHORISED_PERSON);
  if (!dev.ok) throw new Error(`${dev.code}: ${dev.message}`);
}

const c2tRedis = redisConnectionFromUrl(config.TWINCONTOUR_C2T_REDIS_URL);
const c2tProbe = new Redis({ ...c2tRedis, lazyConnect: true, maxRetriesPerRequest: 1 });
// A Redis restart is reported by /ready; without a listener ioredis prints every failed reconnect to stderr.
c2tProbe.on('error', () => {});

const metrics = createTransportMetrics();
const runtime = createTransportRuntime({
  pool,
  logger,
  validator: trust.value,
  audit,
  archive,
  metrics,
  adapter: adapter.value,
  c2tRedis,
  queuePrefix: config.TWINCONTOUR_QUEUE_PREFIX,
  sigMode: config.TWINCONTOUR_SIG_MODE,
  acceptCodes: acceptCodes(config),
  answerPollMs:
    config.TWINCONTOUR_DELIVERY === 'arm-kbr' ? config.TWINCONTOUR_ARM_POLL_MS : config.TWINCONTOUR_ANSWER_POLL_MS,
  c2tConcurrency: config.TWINCONTOUR_C2T_CONCURRENCY,
});

const app = await buildApp({
  logger,
  identities: identities.value,
  pool,
  readiness: { postgres: pgReadiness(pool), redisC2t: redisReadiness(c2tProbe) },
  bodyLimit: config.TWINCONTOUR_HTTP_BODY_LIMIT,
  metricsPublic: config.TWINCONTOUR_METRICS_PUBLIC,
  rateLimit: serviceRateLimit(config),
  metrics,
  gauges: {
    queueDepths: () => runtime.queueDepths(),
    outboxPending: async () => (await outboxBacklog(pool, QUEUE_NAMES.t2c)).pending,
    messagesByState: () => countMessagesByState(pool),
  },
  audit,
  auditCheckpointMs: config.TWINCONTOUR_AUDIT_CHECKPOINT_MS,
  incidents,
  archiveTrust: archive.trust,
});

runtime.start();
archive.start();
incidents.start();

await runService({
  app,
  port: config.TWINCONTOUR_HTTP_PORT,
  host: config.TWINCONTOUR_HTTP_HOST,
  onClose: [
    // Before the runtime: the re-send loop uses the channel the runtime closes.
    { name: 'incident requests loop', close: () => incidents.close() },
    { name: 'worker, relay, answer loop and channel', close: () => runtime.close() },
    { name: 'archive maintenance', close: () => archive.stop() },
    { name: 'redis probe', close: () => c2tProbe.quit() },
    { name: 'trust store', close: () => trust.value.close() },
    // Chains what is left and signs the head: after everything that records, before the pool.
    { name: 'audit log', close: () => audit.close() },
    { name: 'postgres', close: () => pool.end() },
  ],
});
