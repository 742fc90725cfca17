// Test fixtures of the transport service (imported by *.test.ts only): a c2t hand-over built exactly as
// control builds it (ED101 from examples/payment-order.json, formation's ЗК, control's ЗК, control's КА),
// signed answers of the Bank of Russia, an in-test HTTPS+mTLS peer playing the Bank of Russia, and
// the independent openssl checks.
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_MIGRATIONS_DIR, type AuditLog, createAuditLog } from '@twincontour/audit';
import {
  addZk,
  decrypt,
  devInit,
  encryptFor,
  loadSigner,
  loadTrustStore,
  readDevIdentity,
  readDevLayout,
  type Signer,
  type TrustStore,
  toPem,
  wrapEnvelope,
} from '@twincontour/crypto';
import {
  type C2tPayload,
  createIdentityRegistry,
  createLogger,
  createTestDatabase,
  createTestRedis,
  type EdRefPayload,
  generateApiKey,
  migrate,
  outboxBacklog,
  PLATFORM_MIGRATIONS_DIR,
  pgReadiness,
  type StatusPayload,
  type TestDatabase,
  type TestRedis,
} from '@twincontour/platform';
import { orderToEd101, type PaymentOrder, writeEd101, writeEd201, writeEd206 } from '@twincontour/ufebs';
import type { FastifyInstance } from 'fastify';
import { createTransportArchive, loadArchiveTrust, type TransportArchive } from './adapters/archive-repository.js';
import type { DeliveryAdapter } from './adapters/delivery/types.js';
import { countMessagesByState } from './adapters/message-repository.js';
import { buildApp } from './app.js';
import { createTransportMetrics } from './metrics.js';
import { createTransportRuntime, type TransportRuntime } from './runtime.js';
import type { IncidentService } from './workers/incident-service.js';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples');

/** A fresh copy of examples/payment-order.json. */
export function exampleOrder(): PaymentOrder {
  return JSON.parse(readFileSync(join(EXAMPLES, 'payment-order.json'), 'utf8')) as PaymentOrder;
}

/** The development ED author (formation's default УИС). */
export const ED_AUTHOR = '4525545000';
/** The УИС the Bank of Russia's answers carry in tests. */
export const CBR_AUTHOR = '4583001999';

/** Options of {@link controlPayload}. */
export interface HandOverOptions {
  orderId: string;
  edNo: string;
  edDate?: string;
  /** The ЗК, in order (default: formation's, then control's). */
  zkSigners: readonly Signer[];
  /** The КА's signer (default control's, given as the last ЗК signer). */
  kaSigner: Signer;
  /** Changes the signed ED before the КА is made (the КА stays valid, the ЗК break). */
  tamper?: (edFile: Buffer) => Buffer;
}

/** A c2t payload made as control makes it (services/control/src/domain/seal.ts and payload.ts). */
export async function controlPayload(
  order: PaymentOrder,
  options: HandOverOptions,
): Promise<{ payload: C2tPayload; envelope: Uint8Array; edFile: Uint8Array }> {
  const ed: EdRefPayload = { edNo: options.edNo, edDate: options.edDate ?? '2025-04-15', edAuthor: ED_AUTHOR };
  const written = writeEd101(orderToEd101(order, ed));
  if (!written.ok) throw new Error(`${written.code}: ${written.message}`);
  let edFile: Uint8Array = written.value;
  for (const signer of options.zkSigners) {
    const signed = await addZk(edFile, signer);
    if (!signed.ok) throw new Error(`${signed.code}: ${signed.message}`);
    edFile = signed.value;
  }
  if (options.tamper) edFile = new Uint8Array(options.tamper(Buffer.from(edFile)));
  const envelope = await wrapEnvelope(edFile, options.kaSigner);
  return {
    envelope,
    edFile,
    payload: {
      type: 'ed.controlled',
      version: 1,
      messageId: `c2t-${options.orderId}`,
      orderId: options.orderId,
      ed,
      envelopeBase64: Buffer.from(envelope).toString('base64'),
      controlledAt: new Date().toISOString(),
    },
  };
}

/** An answer of the Bank of Russia to build. */
export type AnswerSpec =
  | { kind: 'ED201'; edNo: string; refersTo: EdRefPayload; ctrlCode: string; annotation: string }
  | {
      kind: 'ED206';
      edNo: string;
      refersTo: EdRefPayload;
      sum: string;
      accDoc: { accDocNo: string; accDocDate: string };
    };

/** A signed answer: the ED201/ED206 with a ЗК, wrapped in a КА envelope (both by `zkSigner`/`kaSigner`). */
export async function answerEnvelope(
  spec: AnswerSpec,
  zkSigner: Signer,
  kaSigner: Signer = zkSigner,
): Promise<Uint8Array> {
  const identity = { edNo: spec.edNo, edDate: spec.refersTo.edDate, edAuthor: CBR_AUTHOR };
  const written =
    spec.kind === 'ED201'
      ? writeEd201({
          kind: 'ED201',
          ...identity,
          edReceiver: ED_AUTHOR,
          ctrlCode: spec.ctrlCode,
          ctrlTime: `${spec.refersTo.edDate}T10:15:00Z`,
          annotation: spec.annotation,
          edRefId: spec.refersTo,
        })
      : writeEd206({
          kind: 'ED206',
          ...identity,
          edReceiver: ED_AUTHOR,
          sum: spec.sum,
          transDate: spec.refersTo.edDate,
          transTime: '10:20:00',
          dc: '1',
          bicCorr: '044525225',
          accDoc: spec.accDoc,
          edRefId: spec.refersTo,
        });
  if (!written.ok) throw new Error(`${written.code}: ${written.message}`);
  const signed = await addZk(written.value, zkSigner);
  if (!signed.ok) throw new Error(`${signed.code}: ${signed.message}`);
  return wrapEnvelope(signed.value, kaSigner);
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One POST the peer received. */
export interface PeerReceipt {
  edRef: string;
  contentType: string;
  /** The EnvelopedData as received. */
  body: Buffer;
  /** What it decrypted to with the cbr key (the КА envelope). */
  envelope: Uint8Array;
  /** SHA-256 thumbprint of the TLS client certificate. */
  clientThumbprint: string;
  /** `Date.now()` when the request arrived (incident tests compare it with the moment of suspension). */
  receivedAt: number;
}

/** Optional behaviour of the test peer beyond the ED exchange (incident tests, 802-П п. 19). */
export interface PeerOptions {
  /** Listen on this port (to stop the peer and start it again at the same address). Default: any free port. */
  port?: number;
  /** Answers POST /v1/exchange/incident; `drop` closes the connection without an answer. Default 404. */
  incident?: (body: Buffer) => Promise<{ status: number; body: unknown } | 'drop'>;
  /** While it returns true, POST /v1/exchange is refused (409, the simulator's suspension). */
  refuseExchange?: () => boolean;
}

/** The in-test Bank of Russia: HTTPS with mutual TLS on 127.0.0.1 (the dev PKI's cbr identity). */
export interface TestPeer {
  url: string;
  received: PeerReceipt[];
  /** Queues an answer envelope for transport, encrypted to transport's certificate. */
  pushAnswer(envelope: Uint8Array): Promise<void>;
  /** Number of answer list requests served. */
  polls(): number;
  close(): Promise<void>;
}

/**
 * Starts the peer: requires a client certificate chaining to the dev CA (requestCert +
 * rejectUnauthorized), decrypts each POST /v1/exchange with the cbr key, records it, answers 202
 * `{ id }`; a repeat of an X-Ed-Ref answers 200 with the same id (idempotent). GET
 * /v1/exchange/answers?after= serves the queued answers.
 */
export async function startPeer(pkiDir: string, peerOptions: PeerOptions = {}): Promise<TestPeer> {
  const layout = readDevLayout(pkiDir);
  if (!layout.ok) throw new Error(layout.code);
  const cbr = await readDevIdentity(pkiDir, 'cbr');
  const transport = await readDevIdentity(pkiDir, 'transport');
  if (!cbr.ok || !transport.ok) throw new Error('dev identities');
  const caPem = readFileSync(join(pkiDir, layout.value.ca.certificate), 'utf8');
  const received: PeerReceipt[] = [];
  const answers: { id: string; envelopeBase64: string }[] = [];
  let polls = 0;
  const server: Server = createServer(
    {
      key: cbr.value.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      cert: toPem('CERTIFICATE', cbr.value.certificateDer),
      ca: caPem,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        void (async () => {
          const url = new URL(request.url ?? '/', 'https://peer');
          const peerCert = (request.socket as import('node:tls').TLSSocket).getPeerCertificate();
          const clientThumbprint = peerCert.raw
            ? new X509Certificate(peerCert.raw).fingerprint256.replaceAll(':', '').toLowerCase()
            : '';
          if (request.method === 'POST' && url.pathname === '/v1/exchange/incident' && peerOptions.incident) {
            const answer = await peerOptions.incident(Buffer.concat(chunks));
            if (answer === 'drop') {
              request.socket.destroy();
              return;
            }
            response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
            return;
          }
          if (request.method === 'POST' && url.pathname === '/v1/exchange' && peerOptions.refuseExchange?.()) {
            response
              .writeHead(409, { 'content-type': 'application/json' })
              .end(JSON.stringify({ code: 'SIM_EXCHANGE_SUSPENDED' }));
            return;
          }
          if (request.method === 'POST' && url.pathname === '/v1/exchange') {
            const receivedAt = Date.now();
            const body = Buffer.concat(chunks);
            const edRef = String(request.headers['x-ed-ref'] ?? '');
            const known = received.findIndex((r) => r.edRef === edRef);
            if (known >= 0) {
              response
                .writeHead(200, { 'content-type': 'application/json' })
                .end(JSON.stringify({ id: `rcv-${known}` }));
              return;
            }
            const opened = await decrypt(body, cbr.value.privateKey, cbr.value.certificateDer);
            if (!opened.ok) {
              response.writeHead(400).end(opened.code);
              return;
            }
            received.push({
              edRef,
              contentType: String(request.headers['content-type'] ?? ''),
              body,
              envelope: opened.value,
              clientThumbprint,
              receivedAt,
            });
            response
              .writeHead(202, { 'content-type': 'application/json' })
              .end(JSON.stringify({ id: `rcv-${received.length - 1}` }));
            return;
          }
          if (request.method === 'GET' && url.pathname === '/v1/exchange/answers') {
            polls += 1;
            const after = Number(url.searchParams.get('after') ?? '0');
            const items = answers.filter((a) => Number(a.id) > after);
            const next = items.at(-1)?.id ?? String(after);
            response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items, next }));
            return;
          }
          response.writeHead(404).end();
        })();
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(peerOptions.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    received,
    async pushAnswer(envelope) {
      const der = await encryptFor(envelope, transport.value.certificateDer);
      answers.push({ id: String(answers.length + 1), envelopeBase64: Buffer.from(der).toString('base64') });
    },
    polls: () => polls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function openssl(args: string[]): { status: number; output: string; stdout: Buffer } {
  const r = spawnSync('openssl', args);
  return { status: r.status ?? 1, output: `${r.stdout?.toString('latin1')}${r.stderr?.toString()}`, stdout: r.stdout };
}

/** `openssl cms -decrypt` of an EnvelopedData with a dev identity's key (the independent peer). */
export function opensslDecrypt(der: Uint8Array, pkiDir: string, contour: 'cbr' | 'transport', workDir: string) {
  const layout = readDevLayout(pkiDir);
  if (!layout.ok) throw new Error(layout.code);
  const files = layout.value.identities[contour];
  const inPath = join(workDir, 'enveloped.der');
  writeFileSync(inPath, der);
  return openssl([
    'cms',
    '-decrypt',
    '-binary',
    '-inform',
    'DER',
    '-in',
    inPath,
    '-recip',
    join(pkiDir, files.certificate),
    '-inkey',
    join(pkiDir, files.key),
    '-passin',
    `file:${join(pkiDir, files.passphraseFile)}`,
  ]);
}

/** What the incident service of a harness is built from. */
export interface IncidentDeps {
  pki: string;
  pool: TestDatabase['pool'];
  trust: TrustStore;
  logger: ReturnType<typeof createLogger>;
  audit: AuditLog;
  adapter: DeliveryAdapter;
  /** The harness's archive (802-П п. 11), for the service to archive requests and answers in. */
  archive: TransportArchive;
}

/** Everything a test file of the service runs against: real PostgreSQL and Redis, a dev PKI, the runtime and app. */
export interface Harness {
  work: string;
  pki: string;
  db: TestDatabase;
  redis: TestRedis;
  trust: TrustStore;
  signers: Record<'formation' | 'control' | 'cbr' | 'transport', Signer>;
  runtime: TransportRuntime;
  app: FastifyInstance;
  metrics: ReturnType<typeof createTransportMetrics>;
  /** The service's audit log on the test database (not started: `await audit.flush()` chains what was recorded). */
  audit: AuditLog;
  /** The incident service, when the harness was asked for one (`options.incidents`). */
  incidents: IncidentService | undefined;
  /** The five-year archive as main.ts builds it (its hourly maintenance not started). */
  archive: TransportArchive;
  logLines: Record<string, unknown>[];
  keys: Record<'ops' | 'security' | 'backoffice' | 'controlOps', { key: string; keySha256: string }>;
  /** The t2c status of a stage, once the relay put it on the queue. */
  t2c(orderId: string, stage: string): Promise<StatusPayload | undefined>;
  /** Puts a job on the real c2t queue, as control's relay does. */
  sendC2t(payload: unknown, jobId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Builds the harness: a dev PKI (devInit) in a temp dir, a test database migrated like main.ts does,
 * a Redis key prefix, the channel from `adapterFor` (given the PKI dir and the pool), the runtime
 * (short relay and poll intervals) and the app.
 */
export async function createHarness(
  adapterFor: (pki: string, pool: TestDatabase['pool']) => Promise<DeliveryAdapter>,
  options: {
    answerPollMs?: number;
    before?: (pki: string) => Promise<void>;
    /** Builds the incident service (802-П п. 19) on the harness's own pool, trust store, log and channel. */
    incidents?: (deps: IncidentDeps) => Promise<IncidentService>;
  } = {},
): Promise<Harness> {
  const work = mkdtempSync(join(tmpdir(), 'tc-transport-'));
  const pki = join(work, 'pki');
  const init = await devInit(pki);
  if (!init.ok) throw new Error(init.code);
  await options.before?.(pki);
  const loaded = await loadTrustStore(pki);
  if (!loaded.ok) throw new Error(loaded.code);
  const trust = loaded.value;
  const signers = {} as Harness['signers'];
  for (const contour of ['formation', 'control', 'cbr', 'transport'] as const) {
    const s = await loadSigner(contour, { pkiDir: pki });
    if (!s.ok) throw new Error(`${contour}: ${s.code}`);
    signers[contour] = s.value;
  }
  const db = await createTestDatabase({ poolMax: 10 });
  for (const [dir, scope] of [
    [PLATFORM_MIGRATIONS_DIR, 'platform'],
    [join(import.meta.dirname, '..', 'migrations'), 'app'],
    [AUDIT_MIGRATIONS_DIR, 'audit'],
  ] as const) {
    const migrated = await migrate({ pool: db.pool, dir, scope });
    if (!migrated.ok) throw new Error(JSON.stringify(migrated));
  }
  const redis = await createTestRedis();
  const logLines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'transport',
    level: 'info',
    destination: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const metrics = createTransportMetrics();
  const audit = createAuditLog({
    pool: db.pool,
    contour: 'transport',
    service: 'transport',
    signer: signers.transport,
    validator: trust,
    logger,
  });
  const archiveTrust = loadArchiveTrust(pki);
  if (!archiveTrust.ok) throw new Error(archiveTrust.code);
  const archive = createTransportArchive({
    pool: db.pool,
    crls: trust,
    trust: archiveTrust.value,
    retainYears: 5,
    logger,
  });
  await archive.maintain();
  const adapter = await adapterFor(pki, db.pool);
  const incidents = await options.incidents?.({ pki, pool: db.pool, trust, logger, audit, adapter, archive });
  const runtime = createTransportRuntime({
    pool: db.pool,
    logger,
    validator: trust,
    audit,
    archive,
    metrics,
    adapter,
    c2tRedis: redis.connection,
    queuePrefix: redis.prefix,
    sigMode: 'zk+ka',
    acceptCodes: new Set(['0000']),
    answerPollMs: options.answerPollMs ?? 100,
    c2tConcurrency: 4,
    relayIntervalMs: 50,
    relayRedeliverAfterMs: 1000,
  });
  const keys = {
    ops: generateApiKey(),
    security: generateApiKey(),
    backoffice: generateApiKey(),
    controlOps: generateApiKey(),
  };
  const identities = createIdentityRegistry([
    { id: 'ops-1', role: 'ops', contour: 'transport', keySha256: keys.ops.keySha256 },
    { id: 'sec-1', role: 'security-officer', contour: 'transport', keySha256: keys.security.keySha256 },
    { id: 'bo-1', role: 'backoffice', contour: 'transport', keySha256: keys.backoffice.keySha256 },
    { id: 'cops-1', role: 'ops', contour: 'control', keySha256: keys.controlOps.keySha256 },
  ]);
  if (!identities.ok) throw new Error(identities.code);
  const app = await buildApp({
    logger,
    identities: identities.value,
    pool: db.pool,
    readiness: { postgres: pgReadiness(db.pool), redis: async () => redis.redis.ping() },
    metrics,
    gauges: {
      queueDepths: () => runtime.queueDepths(),
      outboxPending: async () => (await outboxBacklog(db.pool, 't2c')).pending,
      messagesByState: () => countMessagesByState(db.pool),
    },
    audit,
    archiveTrust: archive.trust,
    ...(incidents ? { incidents } : {}),
  });
  await app.ready();
  runtime.start();
  return {
    work,
    pki,
    db,
    redis,
    trust,
    signers,
    runtime,
    app,
    metrics,
    audit,
    incidents,
    archive,
    logLines,
    keys,
    async t2c(orderId, stage) {
      const job = await runtime.queues.t2c.getJob(`t2c-${orderId}-${stage}`);
      return job ? (job.data as StatusPayload) : undefined;
    },
    async sendC2t(payload, jobId) {
      await runtime.queues.c2t.add('c2t', payload, { jobId });
    },
    async close() {
      await incidents?.close();
      await runtime.close();
      await app.close();
      await audit.close();
      trust.close();
      let cursor = '0';
      do {
        const [next, found] = await redis.redis.scan(cursor, 'MATCH', `${redis.prefix}-c2t:*`, 'COUNT', 500);
        cursor = next;
        if (found.length > 0) await redis.redis.del(...found);
      } while (cursor !== '0');
      await redis.cleanup();
      await db.drop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export { opensslVerifyEnvelope } from '@twincontour/crypto/testing';
