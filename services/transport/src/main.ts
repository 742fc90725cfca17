// The only module of the transport service with side effects (STYLE.md, "A service"):
// configuration → logger → PostgreSQL and migrations → keys, trust store and channel → app → workers → listen.
import { fileURLToPath } from 'node:url';
import { loadTrustStore } from '@twincontour/crypto';
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
} from '@twincontour/platform';
import { Redis } from 'ioredis';
import { createDeliveryAdapter, loadTransportKeys } from './adapters/delivery/index.js';
import { countMessagesByState } from './adapters/message-repository.js';
import { buildApp } from './app.js';
import { acceptCodes, loadTransportConfig } from './config.js';
import { createTransportMetrics } from './metrics.js';
import { createTransportRuntime } from './runtime.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

const config = loadTransportConfig(process.env);
const logger = createLogger({ service: 'transport', level: config.TWINCONTOUR_LOG_LEVEL });

const identities = createIdentityRegistry(config.TWINCONTOUR_IDENTITIES);
if (!identities.ok) throw new Error(`${identities.code}: ${JSON.stringify(identities.errors)}`);

const pool = createPool({ connectionString: config.TWINCONTOUR_DATABASE_URL, applicationName: 'transport', logger });
for (const [dir, scope] of [
  [PLATFORM_MIGRATIONS_DIR, 'platform'],
  [MIGRATIONS_DIR, 'app'],
] as const) {
  const migrated = await migrate({ pool, dir, scope, logger });
  if (!migrated.ok) throw new Error(`${migrated.code}: ${JSON.stringify(migrated.errors ?? migrated.message)}`);
}

const trust = await loadTrustStore(config.TWINCONTOUR_TRUST_DIR ?? config.TWINCONTOUR_PKI_DIR ?? '');
if (!trust.ok) throw new Error(`TRN_KEYS_UNAVAILABLE: ${trust.code}: ${trust.message}`);
await trust.value.start();
const keys = await loadTransportKeys(config);
if (!keys.ok) throw new Error(`${keys.code}: ${keys.message}`);
const adapter = await createDeliveryAdapter(config, { pool, keys: keys.value, validator: trust.value });
if (!adapter.ok) throw new Error(`${adapter.code}: ${adapter.message}`);

const c2tRedis = redisConnectionFromUrl(config.TWINCONTOUR_C2T_REDIS_URL);
const c2tProbe = new Redis({ ...c2tRedis, lazyConnect: true, maxRetriesPerRequest: 1 });

const metrics = createTransportMetrics();
const runtime = createTransportRuntime({
  pool,
  logger,
  validator: trust.value,
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
  metrics,
  gauges: {
    queueDepths: () => runtime.queueDepths(),
    outboxPending: async () => (await outboxBacklog(pool, QUEUE_NAMES.t2c)).pending,
    messagesByState: () => countMessagesByState(pool),
  },
});

runtime.start();

await runService({
  app,
  port: config.TWINCONTOUR_HTTP_PORT,
  host: config.TWINCONTOUR_HTTP_HOST,
  onClose: [
    { name: 'worker, relay, answer loop and channel', close: () => runtime.close() },
    { name: 'redis probe', close: () => c2tProbe.quit() },
    { name: 'trust store', close: () => trust.value.close() },
    { name: 'postgres', close: () => pool.end() },
  ],
});
