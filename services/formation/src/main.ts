// The only file of the service with side effects (STYLE.md, "A service"): configuration → logger →
// pool → migrations → trust store + signer → app → relay + worker + webhook dispatcher → listen;
// SIGTERM closes them in turn.
import { createAuditLog, keyLoadedEvent } from '@twincontour/audit';
import { describeCertificate, loadSigner, loadTrustStore } from '@twincontour/crypto';
import { createIdentityRegistry, createLogger, createPool, runService, serviceRateLimit } from '@twincontour/platform';
import { migrateFormation } from './adapters/migrations.js';
import { openBoundaryQueues } from './adapters/queues.js';
import { createF2cRelay } from './adapters/relay.js';
import { buildApp } from './app.js';
import { keySettings, loadFormationConfig, webhookKey } from './config.js';
import { createC2fWorker } from './workers/c2f-worker.js';
import { createWebhookDispatcher } from './workers/webhook-dispatcher.js';

const config = loadFormationConfig(process.env);
const logger = createLogger({ service: 'formation', level: config.TWINCONTOUR_LOG_LEVEL });

function abort(code: string, message: string, details?: unknown): never {
  logger.fatal({ code, details }, message);
  process.exit(1);
}

const registry = createIdentityRegistry(config.TWINCONTOUR_IDENTITIES);
if (!registry.ok) abort(registry.code, 'identity registry invalid', registry.errors);
const keys = keySettings(config);
if (!keys.ok) abort(keys.code, keys.message, keys.errors);

const pool = createPool({ connectionString: config.TWINCONTOUR_DATABASE_URL, applicationName: 'formation', logger });
const migrated = await migrateFormation(pool, logger);
if (!migrated.ok) abort(migrated.code, 'migrations refused', migrated.errors);

const trustStore = await loadTrustStore(keys.value.trustDir);
if (!trustStore.ok) abort(trustStore.code, 'trust store unusable', trustStore.message);
await trustStore.value.start();
const signer = await loadSigner('formation', keys.value.signer);
if (!signer.ok) abort(signer.code, 'formation key unusable', signer.message);
// 802-П прил. 1.1: formation signs only with a formation-contour certificate the trust store accepts.
const own = trustStore.value.check(signer.value.certificate, { expectedContour: 'formation', usage: 'signing' });

// The audit log (issue 6): chained and checkpointed with the formation key. The key loaded is its first
// event of this run, recorded even when the certificate is refused (then the service stops).
const audit = createAuditLog({
  pool,
  contour: 'formation',
  service: 'formation',
  signer: signer.value,
  validator: trustStore.value,
  logger,
  checkpointIntervalMs: config.TWINCONTOUR_AUDIT_CHECKPOINT_MS,
});
const certificate = describeCertificate(signer.value.certificate);
if (!certificate.ok) abort(certificate.code, 'the formation certificate is unreadable', certificate.message);
await audit.record(
  keyLoadedEvent('formation', certificate.value, own.ok ? { ok: true } : { ok: false, code: own.code }, {
    contour: 'formation',
    algorithm: signer.value.algorithm,
  }),
);
if (!own.ok) abort('FRM_SIGNER_UNUSABLE', 'the formation certificate is not usable', own.code);
audit.start();

const sealingKey = webhookKey(config);
const queues = openBoundaryQueues(config.TWINCONTOUR_F2C_REDIS_URL, config.TWINCONTOUR_QUEUE_PREFIX);
const app = await buildApp({
  logger,
  pool,
  registry: registry.value,
  signer: signer.value,
  trustStore: trustStore.value,
  queues,
  edAuthor: config.TWINCONTOUR_ED_AUTHOR,
  ...(config.TWINCONTOUR_SIG_ID_FORMATION === undefined ? {} : { sigId: config.TWINCONTOUR_SIG_ID_FORMATION }),
  audit,
  auditCheckpointMs: config.TWINCONTOUR_AUDIT_CHECKPOINT_MS,
  webhookKey: sealingKey,
  bodyLimit: config.TWINCONTOUR_HTTP_BODY_LIMIT,
  metricsPublic: config.TWINCONTOUR_METRICS_PUBLIC,
  rateLimit: serviceRateLimit(config),
  backlog: { limit: config.TWINCONTOUR_BACKLOG_LIMIT, retryAfterSeconds: config.TWINCONTOUR_BACKLOG_RETRY_AFTER_S },
});

const relay = createF2cRelay({
  pool,
  queues,
  intervalMs: config.TWINCONTOUR_OUTBOX_INTERVAL_MS,
  redeliverAfterMs: config.TWINCONTOUR_OUTBOX_REDELIVER_MS,
  logger,
});
relay.start();
const worker = createC2fWorker({
  pool,
  logger,
  metrics: app.formationMetrics,
  connection: queues.connection,
  prefix: queues.prefix,
  concurrency: config.TWINCONTOUR_C2F_CONCURRENCY,
});

// 4600-У п. 2.2.3: the back office is told each stage, through its webhook subscriptions.
const dispatcher = createWebhookDispatcher({
  pool,
  logger,
  metrics: app.formationMetrics,
  key: sealingKey,
  intervalMs: config.TWINCONTOUR_WEBHOOK_INTERVAL_MS,
  timeoutMs: config.TWINCONTOUR_WEBHOOK_TIMEOUT_MS,
  backoff: { baseMs: config.TWINCONTOUR_WEBHOOK_BACKOFF_BASE_MS, maxMs: config.TWINCONTOUR_WEBHOOK_BACKOFF_MAX_MS },
  concurrency: config.TWINCONTOUR_WEBHOOK_CONCURRENCY,
});
dispatcher.start();

await runService({
  app,
  port: config.TWINCONTOUR_HTTP_PORT,
  host: config.TWINCONTOUR_HTTP_HOST,
  // What produces work first, what it writes to last (platform runService).
  onClose: [
    { name: 'c2f worker', close: () => worker.close() },
    { name: 'f2c relay', close: () => relay.stop() },
    { name: 'webhook dispatcher', close: () => dispatcher.stop() },
    { name: 'queues', close: () => queues.close() },
    { name: 'trust store', close: () => trustStore.value.close() },
    // Chains what is left and signs the head: after everything that records, before the pool.
    { name: 'audit log', close: () => audit.close() },
    { name: 'postgres', close: () => pool.end() },
  ],
});
