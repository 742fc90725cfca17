// The only module of the control service with side effects (STYLE.md, "A service"):
// configuration → logger → PostgreSQL and migrations → keys and trust store → app → workers → listen.
import { fileURLToPath } from 'node:url';
import { AUDIT_MIGRATIONS_DIR, createAuditLog, keyLoadedEvent } from '@twincontour/audit';
import { describeCertificate, loadSigner, loadTrustStore, type SignerSource } from '@twincontour/crypto';
import {
  createIdentityRegistry,
  createLogger,
  createPool,
  migrate,
  outboxBacklog,
  PLATFORM_MIGRATIONS_DIR,
  pgReadiness,
  redisConnectionFromUrl,
  redisReadiness,
  runService,
  serviceRateLimit,
} from '@twincontour/platform';
import { Redis } from 'ioredis';
import { buildApp } from './app.js';
import { loadControlConfig } from './config.js';
import { createControlMetrics } from './metrics.js';
import { createControlRuntime } from './runtime.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

const config = loadControlConfig(process.env);
const logger = createLogger({ service: 'control', level: config.TWINCONTOUR_LOG_LEVEL });

const identities = createIdentityRegistry(config.TWINCONTOUR_IDENTITIES);
if (!identities.ok) throw new Error(`${identities.code}: ${JSON.stringify(identities.errors)}`);

const pool = createPool({ connectionString: config.TWINCONTOUR_DATABASE_URL, applicationName: 'control', logger });
for (const [dir, scope] of [
  [PLATFORM_MIGRATIONS_DIR, 'platform'],
  [MIGRATIONS_DIR, 'app'],
  [AUDIT_MIGRATIONS_DIR, 'audit'],
] as const) {
  const migrated = await migrate({ pool, dir, scope, logger });
  if (!migrated.ok) throw new Error(`${migrated.code}: ${JSON.stringify(migrated.errors ?? migrated.message)}`);
}

const pkiDir = config.TWINCONTOUR_PKI_DIR;
const signerSource: SignerSource =
  pkiDir !== undefined
    ? { pkiDir }
    : {
        keyFile: config.TWINCONTOUR_CONTROL_KEY_FILE ?? '',
        certificateFile: config.TWINCONTOUR_CONTROL_CERT_FILE ?? '',
        passphrase: { file: config.TWINCONTOUR_CONTROL_PASSPHRASE_FILE ?? '' },
      };
const signer = await loadSigner('control', signerSource);
if (!signer.ok) throw new Error(`CTL_KEYS_UNAVAILABLE: ${signer.code}: ${signer.message}`);
const trust = await loadTrustStore(config.TWINCONTOUR_TRUST_DIR ?? pkiDir ?? '');
if (!trust.ok) throw new Error(`CTL_KEYS_UNAVAILABLE: ${trust.code}: ${trust.message}`);
await trust.value.start();

// The audit log (issue 6): chained and checkpointed with the control key; the key loaded is its first
// event of this run, with the trust store's verdict on the certificate.
const audit = createAuditLog({
  pool,
  contour: 'control',
  service: 'control',
  signer: signer.value,
  validator: trust.value,
  logger,
  checkpointIntervalMs: config.TWINCONTOUR_AUDIT_CHECKPOINT_MS,
});
const certificate = describeCertificate(signer.value.certificate);
if (!certificate.ok) throw new Error(`CTL_KEYS_UNAVAILABLE: ${certificate.code}: ${certificate.message}`);
const own = trust.value.check(signer.value.certificate, { expectedContour: 'control', usage: 'signing' });
await audit.record(
  keyLoadedEvent('control', certificate.value, own.ok ? { ok: true } : { ok: false, code: own.code }, {
    contour: 'control',
    algorithm: signer.value.algorithm,
  }),
);
audit.start();

// One ioredis connection per boundary for the readiness probes (BullMQ opens its own from the same options).
const f2cRedis = redisConnectionFromUrl(config.TWINCONTOUR_F2C_REDIS_URL);
const c2tRedis = redisConnectionFromUrl(config.TWINCONTOUR_C2T_REDIS_URL);
const f2cProbe = new Redis({ ...f2cRedis, lazyConnect: true, maxRetriesPerRequest: 1 });
const c2tProbe = new Redis({ ...c2tRedis, lazyConnect: true, maxRetriesPerRequest: 1 });
// A Redis restart is reported by /ready; without a listener ioredis prints every failed reconnect to stderr.
for (const probe of [f2cProbe, c2tProbe]) probe.on('error', () => {});

const metrics = createControlMetrics();
const runtime = createControlRuntime({
  pool,
  logger,
  validator: trust.value,
  signer: signer.value,
  audit,
  metrics,
  f2cRedis,
  c2tRedis,
  queuePrefix: config.TWINCONTOUR_QUEUE_PREFIX,
  sigMode: config.TWINCONTOUR_SIG_MODE,
  sigId: config.TWINCONTOUR_SIG_ID_CONTROL,
  sourceWaitMs: config.TWINCONTOUR_SOURCE_WAIT_MS,
  sourceRecheckMs: config.TWINCONTOUR_SOURCE_RECHECK_MS,
  sourcePullUrl: config.TWINCONTOUR_SOURCE_PULL_URL,
  sourcePullTimeoutMs: config.TWINCONTOUR_SOURCE_PULL_TIMEOUT_MS,
  duplicateWindowHours: config.TWINCONTOUR_DUPLICATE_WINDOW_HOURS,
  securityWebhookUrl: config.TWINCONTOUR_SECURITY_WEBHOOK_URL,
  alertRetryBaseMs: config.TWINCONTOUR_ALERT_RETRY_BASE_MS,
  alertRetryMaxMs: config.TWINCONTOUR_ALERT_RETRY_MAX_MS,
  f2cConcurrency: config.TWINCONTOUR_F2C_CONCURRENCY,
});

const app = await buildApp({
  logger,
  identities: identities.value,
  pool,
  readiness: {
    postgres: pgReadiness(pool),
    // One check per boundary Redis: each is a separate server in production.
    redisF2c: redisReadiness(f2cProbe),
    redisC2t: redisReadiness(c2tProbe),
  },
  bodyLimit: config.TWINCONTOUR_HTTP_BODY_LIMIT,
  metricsPublic: config.TWINCONTOUR_METRICS_PUBLIC,
  rateLimit: serviceRateLimit(config),
  metrics,
  gauges: {
    queueDepths: () => runtime.queueDepths(),
    pendingEds: () => runtime.pendingEds(),
    outboxPending: async () =>
      Promise.all(
        (['c2f', 'c2t'] as const).map(async (queue) => ({
          queue,
          pending: (await outboxBacklog(pool, queue)).pending,
        })),
      ),
  },
  onSourceStored: () => runtime.nudgeSweeper(),
  audit,
  auditCheckpointMs: config.TWINCONTOUR_AUDIT_CHECKPOINT_MS,
});

runtime.start();

await runService({
  app,
  port: config.TWINCONTOUR_HTTP_PORT,
  host: config.TWINCONTOUR_HTTP_HOST,
  onClose: [
    { name: 'workers, relays and loops', close: () => runtime.close() },
    { name: 'redis probes', close: () => Promise.all([f2cProbe.quit(), c2tProbe.quit()]) },
    { name: 'trust store', close: () => trust.value.close() },
    // Chains what is left and signs the head: after everything that records, before the pool.
    { name: 'audit log', close: () => audit.close() },
    { name: 'postgres', close: () => pool.end() },
  ],
});
