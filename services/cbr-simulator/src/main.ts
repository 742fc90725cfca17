// The only module of the Bank of Russia simulator with side effects (STYLE.md, "A service"):
// configuration → logger → PostgreSQL and migrations → keys and trust store → intake → ops app → mTLS server
// or pickup folder → publisher → listen.
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  createIdentityRegistry,
  createLogger,
  createPool,
  migrate,
  pgReadiness,
  runService,
  serviceRateLimit,
} from '@twincontour/platform';
import { createEnvelopeStore } from './adapters/files.js';
import { loadSimulatorKeys, tlsIdentity } from './adapters/keys.js';
import { createMtlsServer } from './adapters/mtls-server.js';
import { answersAfter } from './adapters/repository.js';
import { buildApp } from './app.js';
import { loadSimulatorConfig } from './config.js';
import { createIncidentDesk } from './incidents.js';
import { createIntake, sha256Hex } from './intake.js';
import { createSimulatorRuntime, type SimulatorRuntime } from './runtime.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

const config = loadSimulatorConfig(process.env);
const logger = createLogger({ service: 'cbr-simulator', level: config.TWINCONTOUR_LOG_LEVEL });

const identities = createIdentityRegistry(config.TWINCONTOUR_IDENTITIES);
if (!identities.ok) throw new Error(`${identities.code}: ${JSON.stringify(identities.errors)}`);

const pool = createPool({
  connectionString: config.TWINCONTOUR_DATABASE_URL,
  applicationName: 'cbr-simulator',
  logger,
});
const migrated = await migrate({ pool, dir: MIGRATIONS_DIR, scope: 'app', logger });
if (!migrated.ok) throw new Error(`${migrated.code}: ${JSON.stringify(migrated.errors ?? migrated.message)}`);

const keys = await loadSimulatorKeys({
  pkiDir: config.TWINCONTOUR_PKI_DIR,
  trustDir: config.TWINCONTOUR_TRUST_DIR,
  cbrKeyFile: config.TWINCONTOUR_CBR_KEY_FILE,
  cbrCertFile: config.TWINCONTOUR_CBR_CERT_FILE,
  cbrPassphraseFile: config.TWINCONTOUR_CBR_PASSPHRASE_FILE,
  participantCertFile: config.TWINCONTOUR_SIM_PARTICIPANT_CERT_FILE,
  clientCaFile: config.TWINCONTOUR_SIM_CLIENT_CA_FILE,
});
if (!keys.ok) throw new Error(`${keys.code}: ${keys.message}`);
const { trust } = keys.value;
await trust.start();

await mkdir(config.TWINCONTOUR_SIM_STORE_DIR, { recursive: true });
let runtime: SimulatorRuntime | undefined;
const intake = createIntake({
  pool,
  logger,
  signer: keys.value.signer,
  recipient: { privateKey: keys.value.privateKey, certificateDer: keys.value.certificateDer },
  validator: trust,
  sigMode: config.TWINCONTOUR_SIG_MODE,
  participant: config.TWINCONTOUR_SIM_PARTICIPANT,
  edAuthor: config.TWINCONTOUR_SIM_ED_AUTHOR,
  ed206DelayMs: config.TWINCONTOUR_SIM_ED206_DELAY_MS,
  store: createEnvelopeStore(config.TWINCONTOUR_SIM_STORE_DIR),
  onQueued: () => runtime?.nudge(),
});

// 802-П п. 19: requests to suspend the exchange and to cancel the suspension, over the mTLS channel.
const incidents = createIncidentDesk({
  pool,
  logger,
  signer: keys.value.signer,
  validator: trust,
  participant: config.TWINCONTOUR_SIM_PARTICIPANT,
});

const outDir = config.TWINCONTOUR_ARM_OUT_DIR;
const inDir = config.TWINCONTOUR_ARM_IN_DIR;
const folderMode = config.TWINCONTOUR_SIM_MODE === 'folder' && outDir !== undefined && inDir !== undefined;
if (folderMode) await Promise.all([mkdir(outDir, { recursive: true }), mkdir(inDir, { recursive: true })]);
runtime = createSimulatorRuntime({
  pool,
  logger,
  participant: config.TWINCONTOUR_SIM_PARTICIPANT,
  publishMs: config.TWINCONTOUR_SIM_PUBLISH_MS,
  ...(folderMode ? { folder: { outDir, inDir, pollMs: config.TWINCONTOUR_ARM_POLL_MS, intake } } : {}),
});

const app = await buildApp({
  logger,
  identities: identities.value,
  pool,
  readiness: { postgres: pgReadiness(pool) },
  bodyLimit: config.TWINCONTOUR_HTTP_BODY_LIMIT,
  metricsPublic: config.TWINCONTOUR_METRICS_PUBLIC,
  rateLimit: serviceRateLimit(config),
  incidents,
});

const exchange = folderMode
  ? undefined
  : createMtlsServer({
      tls: tlsIdentity(keys.value),
      participantThumbprint: sha256Hex(keys.value.participantCertificate),
      participantCertificate: keys.value.participantCertificate,
      validator: trust,
      intake,
      answersAfter: (after, limit) => answersAfter(pool, config.TWINCONTOUR_SIM_PARTICIPANT, after, limit),
      bodyLimit: config.TWINCONTOUR_HTTP_BODY_LIMIT,
      logger,
      incidents,
    });
if (exchange) {
  exchange.listen(config.TWINCONTOUR_SIM_PORT, config.TWINCONTOUR_SIM_HOST);
  await once(exchange, 'listening');
  logger.info({ address: exchange.address(), mode: 'https' }, 'exchange listening (mTLS)');
} else logger.info({ outDir, inDir, mode: 'folder' }, 'watching the АРМ pickup folder');

runtime.start();

await runService({
  app,
  port: config.TWINCONTOUR_HTTP_PORT,
  host: config.TWINCONTOUR_HTTP_HOST,
  onClose: [
    {
      name: 'exchange server',
      close: () =>
        exchange
          ? new Promise<void>((resolve) => {
              exchange.close(() => resolve());
              exchange.closeIdleConnections();
            })
          : undefined,
    },
    { name: 'publisher and pickup', close: () => runtime?.close() },
    { name: 'trust store', close: () => trust.close() },
    { name: 'postgres', close: () => pool.end() },
  ],
});
