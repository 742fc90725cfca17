import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_MIGRATIONS_DIR, type AuditLog, createAuditLog } from '@twincontour/audit';
import {
  addZk,
  createSoftwareSigner,
  devInit,
  issueDevCertificate,
  loadSigner,
  loadTrustStore,
  readZks,
  type Signer,
  type TrustStore,
  verifyEnvelope,
  verifyZks,
} from '@twincontour/crypto';
import {
  type C2tPayload,
  createIdentityRegistry,
  createLogger,
  createTestDatabase,
  createTestRedis,
  type F2cPayload,
  generateApiKey,
  migrate,
  PLATFORM_MIGRATIONS_DIR,
  pgReadiness,
  type StatusPayload,
  type TestDatabase,
  type TestRedis,
} from '@twincontour/platform';
import { completeInn, normalizeEd, type PaymentOrder, uinControlDigit, withAccountKey } from '@twincontour/ufebs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { sealEd } from './domain/seal.js';
import { createControlMetrics, seriesValue } from './metrics.js';
import { type ControlRuntime, createControlRuntime } from './runtime.js';
import { exampleOrder, formationPayload, opensslVerifyEnvelope, waitFor } from './testing.js';

const MIGRATIONS_DIR = join(import.meta.dirname, '..', 'migrations');
const WAIT_MS = 1500;

let work: string;
let pki: string;
let db: TestDatabase;
let redis: TestRedis;
let trust: TrustStore;
let formation: Signer;
let control: Signer;
let runtime: ControlRuntime;
let app: FastifyInstance;
let metrics: ReturnType<typeof createControlMetrics>;
/** The service's audit log (not started: tests `flush()` it to chain what was recorded). */
let audit: AuditLog;
const logLines: Record<string, unknown>[] = [];

// Local stand-ins for the back office (pull) and the security system (webhook).
let pullServer: Server;
const pullable = new Map<string, PaymentOrder>();
const pullRequests: URLSearchParams[] = [];
let webhookServer: Server;
const alertsReceived: Record<string, unknown>[] = [];
let webhookFailures = 0;
let webhookAttempts = 0;

const keys = {
  backoffice: generateApiKey(),
  operator: generateApiKey(),
  security: generateApiKey(),
  ops: generateApiKey(),
  formationBackoffice: generateApiKey(),
};

let docCounter = 100;
let edCounter = 1000;
/** A fresh order (unique document number) so that no two tests share a key or a payment. */
function freshOrder(name: 'payment-order' | 'budget-payment-order' = 'payment-order'): PaymentOrder {
  const order = exampleOrder(name);
  order.accDocNo = String(docCounter++);
  return order;
}
function nextEdNo(): string {
  return String(edCounter++);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function postSource(body: unknown, key = keys.backoffice.key) {
  return app.inject({
    method: 'POST',
    url: '/v1/source-documents',
    headers: { 'x-api-key': key },
    payload: body as object,
  });
}

async function sendF2c(payload: unknown, jobId: string): Promise<void> {
  await runtime.queues.f2c.add('f2c', payload, { jobId });
}

async function c2fJob(orderId: string, stage: string): Promise<StatusPayload | undefined> {
  const job = await runtime.queues.c2f.getJob(`c2f-${orderId}-${stage}`);
  return job ? (job.data as StatusPayload) : undefined;
}

async function c2tJob(orderId: string): Promise<C2tPayload | undefined> {
  const job = await runtime.queues.c2t.getJob(`c2t-${orderId}`);
  return job ? (job.data as C2tPayload) : undefined;
}

/** Waits for the refusal in c2f and checks nothing went to transport. */
async function expectRefusal(orderId: string, code: string): Promise<StatusPayload> {
  const status = await waitFor(() => c2fJob(orderId, 'rejected-by-control'), 10_000, `refusal of ${orderId}`);
  expect(status.code).toBe(code);
  expect(await c2tJob(orderId)).toBeUndefined();
  expect(await c2fJob(orderId, 'controlled')).toBeUndefined();
  // The relay handles c2t and c2f rows alike; no c2t row exists for the order at all.
  const rows = await db.pool.query("select id from outbox where id like 'c2t-%' and payload->>'orderId' = $1", [
    orderId,
  ]);
  expect(rows.rowCount).toBe(0);
  return status;
}

async function controlled(orderId: string): Promise<C2tPayload> {
  return waitFor(() => c2tJob(orderId), 10_000, `c2t of ${orderId}`);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tc-control-'));
  pki = join(work, 'pki');
  const init = await devInit(pki);
  if (!init.ok) throw new Error(init.code);
  const loadedTrust = await loadTrustStore(pki);
  if (!loadedTrust.ok) throw new Error(loadedTrust.code);
  trust = loadedTrust.value;
  const f = await loadSigner('formation', { pkiDir: pki });
  const c = await loadSigner('control', { pkiDir: pki });
  if (!f.ok || !c.ok) throw new Error('signers');
  formation = f.value;
  control = c.value;

  db = await createTestDatabase({ poolMax: 10 });
  for (const [dir, scope] of [
    [PLATFORM_MIGRATIONS_DIR, 'platform'],
    [MIGRATIONS_DIR, 'app'],
    [AUDIT_MIGRATIONS_DIR, 'audit'],
  ] as const) {
    const migrated = await migrate({ pool: db.pool, dir, scope });
    if (!migrated.ok) throw new Error(JSON.stringify(migrated));
  }
  redis = await createTestRedis();

  pullServer = createServer((request, response) => {
    const query = new URL(request.url ?? '/', 'http://x').searchParams;
    pullRequests.push(query);
    const order = pullable.get(query.get('docNo') ?? '');
    if (!order || order.payer.personalAcc !== query.get('payerAccount') || order.accDocDate !== query.get('docDate')) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(order));
  });
  webhookServer = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      webhookAttempts += 1;
      if (webhookFailures > 0) {
        webhookFailures -= 1;
        response.writeHead(503).end();
        return;
      }
      alertsReceived.push(JSON.parse(body) as Record<string, unknown>);
      response.writeHead(204).end();
    });
  });
  const pullUrl = `${await listen(pullServer)}/source?token=abc`;
  const webhookUrl = `${await listen(webhookServer)}/alerts`;

  const logger = createLogger({
    service: 'control',
    level: 'info',
    destination: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  metrics = createControlMetrics();
  audit = createAuditLog({
    pool: db.pool,
    contour: 'control',
    service: 'control',
    signer: control,
    validator: trust,
    logger,
  });
  runtime = createControlRuntime({
    pool: db.pool,
    logger,
    validator: trust,
    signer: control,
    audit,
    metrics,
    f2cRedis: redis.connection,
    c2tRedis: redis.connection,
    queuePrefix: redis.prefix,
    sigMode: 'zk+ka',
    sigId: '02',
    sourceWaitMs: WAIT_MS,
    sourceRecheckMs: 200,
    sourcePullUrl: pullUrl,
    sourcePullTimeoutMs: 2000,
    duplicateWindowHours: 72,
    securityWebhookUrl: webhookUrl,
    alertRetryBaseMs: 200,
    alertRetryMaxMs: 1000,
    f2cConcurrency: 4,
    relayIntervalMs: 50,
    relayRedeliverAfterMs: 1000,
    alertIntervalMs: 50,
  });
  const identities = createIdentityRegistry([
    { id: 'bo-1', role: 'backoffice', contour: 'control', keySha256: keys.backoffice.keySha256 },
    { id: 'op-1', role: 'control-operator', contour: 'control', keySha256: keys.operator.keySha256 },
    { id: 'sec-1', role: 'security-officer', contour: 'control', keySha256: keys.security.keySha256 },
    { id: 'ops-1', role: 'ops', contour: 'control', keySha256: keys.ops.keySha256 },
    { id: 'fbo-1', role: 'backoffice', contour: 'formation', keySha256: keys.formationBackoffice.keySha256 },
  ]);
  if (!identities.ok) throw new Error(identities.code);
  app = await buildApp({
    logger,
    identities: identities.value,
    pool: db.pool,
    readiness: { postgres: pgReadiness(db.pool), redis: async () => redis.redis.ping() },
    metrics,
    gauges: { queueDepths: () => runtime.queueDepths(), pendingEds: () => runtime.pendingEds() },
    onSourceStored: () => runtime.nudgeSweeper(),
    audit,
  });
  await app.ready();
  runtime.start();
}, 60_000);

afterAll(async () => {
  await runtime?.close();
  await app?.close();
  await audit?.close();
  await new Promise((resolve) => pullServer?.close(resolve));
  await new Promise((resolve) => webhookServer?.close(resolve));
  trust?.close();
  // The boundaries use `<prefix>-f2c` and `<prefix>-c2t`, beside the test prefix itself.
  for (const pattern of [`${redis.prefix}-f2c:*`, `${redis.prefix}-c2t:*`]) {
    let cursor = '0';
    do {
      const [next, found] = await redis.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (found.length > 0) await redis.redis.del(...found);
    } while (cursor !== '0');
  }
  await redis?.cleanup();
  await db?.drop();
  rmSync(work, { recursive: true, force: true });
});

describe('an order whose primary document was posted', () => {
  it('ends with a c2t envelope holding both ЗК (formation’s byte for byte), verified by verifyZks and openssl, and c2f controlled + signed-by-control', async () => {
    const order = freshOrder();
    const posted = await postSource(order);
    expect(posted.statusCode).toBe(201);
    const orderId = `ord-${randomUUID()}`;
    const { payload, edBytes } = await formationPayload(order, { orderId, edNo: nextEdNo(), signer: formation });
    await sendF2c(payload, payload.messageId);

    const handOver = await controlled(orderId);
    expect(handOver).toMatchObject({
      type: 'ed.controlled',
      version: 1,
      messageId: `c2t-${orderId}`,
      orderId,
      ed: payload.ed,
    });
    const envelope = new Uint8Array(Buffer.from(handOver.envelopeBase64, 'base64'));
    const ka = await verifyEnvelope(envelope, { validator: trust });
    expect(ka.ok).toBe(true);
    if (!ka.ok) return;
    expect(ka.report.signers.map((s) => s.certificate?.contour)).toEqual(['control']);

    const zks = await verifyZks(ka.file, { validator: trust, expectedContours: ['formation', 'control'] });
    expect(zks.ok, zks.message).toBe(true);
    expect(zks.zks.map((z) => z.sigId)).toEqual([undefined, '02']);
    // Formation's ЗК byte for byte: removing control's SigValue gives back exactly the bytes formation sent.
    const inner = readZks(ka.file);
    const original = readZks(edBytes);
    if (!inner.ok || !original.ok) throw new Error('ЗК unreadable');
    expect(inner.value[0]?.base64).toBe(original.value[0]?.base64);
    const second = inner.value[1]!;
    const withoutControl = Buffer.concat([
      Buffer.from(ka.file).subarray(0, second.start),
      Buffer.from(ka.file).subarray(second.end),
    ]);
    expect(withoutControl.equals(Buffer.from(edBytes))).toBe(true);

    const checks = opensslVerifyEnvelope(envelope, pki, mkdtempSync(join(work, 'openssl-')));
    expect(checks).toHaveLength(3);
    for (const check of checks) expect(check.status, check.output).toBe(0);

    const c1 = await waitFor(() => c2fJob(orderId, 'controlled'));
    const c2 = await waitFor(() => c2fJob(orderId, 'signed-by-control'));
    expect(c1).toMatchObject({
      type: 'order.status',
      messageId: `c2f-${orderId}-controlled`,
      stage: 'controlled',
      ed: payload.ed,
    });
    expect(c2.stage).toBe('signed-by-control');
    expect(c1.code).toBeUndefined();

    const view = await app.inject({ url: `/v1/controls/${orderId}`, headers: { 'x-api-key': keys.operator.key } });
    expect(view.statusCode).toBe(200);
    expect(view.json()).toMatchObject({
      orderId,
      status: 'controlled',
      ed: payload.ed,
      sourceDocumentId: posted.json().id,
    });

    // A redelivered f2c message (BullMQ is at-least-once) has no second effect.
    const again = await runtime.processor.handleF2c(payload, payload.messageId);
    expect(again).toEqual({ kind: 'duplicate-message' });
  });

  it('signs only the КА in mode ka', async () => {
    const { edBytes } = await formationPayload(freshOrder(), {
      orderId: 'ka-only',
      edNo: nextEdNo(),
      signer: formation,
    });
    const sealed = await sealEd(edBytes, control, { mode: 'ka' });
    if (!sealed.ok) throw new Error(sealed.code);
    expect(Buffer.from(sealed.value.edFile).equals(Buffer.from(edBytes))).toBe(true);
    const ka = await verifyEnvelope(sealed.value.envelope, { validator: trust });
    expect(ka.ok).toBe(true);
    const checks = opensslVerifyEnvelope(sealed.value.envelope, pki, mkdtempSync(join(work, 'openssl-')));
    expect(checks.map((c) => c.status)).toEqual([0, 0]);
  });
});

/** One requisite changed in the primary document (outside its key), and the diff entry expected. */
const MISMATCHES: [string, 'payment-order' | 'budget-payment-order', (o: PaymentOrder) => void, string[]][] = [
  [
    'sum',
    'payment-order',
    (o) => {
      o.sum = '12500001';
    },
    ['sum'],
  ],
  [
    'payee account',
    'payment-order',
    (o) => {
      o.payee.personalAcc = withAccountKey('40702810001100012399', o.payee.bank.bic, 'personal');
    },
    ['payee.personalAcc'],
  ],
  [
    'payee BIC (and its correspondent account)',
    'payment-order',
    (o) => {
      o.payee.bank = { bic: '044525225', correspAcc: '30101810400000000225' };
      o.payee.personalAcc = withAccountKey(o.payee.personalAcc ?? '', '044525225', 'personal');
    },
    ['payee.bank.bic', 'payee.bank.correspAcc', 'payee.personalAcc'],
  ],
  [
    'payer correspondent account (absent in the source)',
    'payment-order',
    (o) => {
      delete o.payer.bank.correspAcc;
    },
    ['payer.bank.correspAcc'],
  ],
  [
    'payer INN',
    'payment-order',
    (o) => {
      o.payer.inn = completeInn('770912346');
    },
    ['payer.inn'],
  ],
  [
    'payee INN',
    'payment-order',
    (o) => {
      o.payee.inn = completeInn('781234568');
    },
    ['payee.inn'],
  ],
  [
    'payer KPP',
    'payment-order',
    (o) => {
      o.payer.kpp = '770901002';
    },
    ['payer.kpp'],
  ],
  [
    'payee KPP',
    'payment-order',
    (o) => {
      o.payee.kpp = '781201002';
    },
    ['payee.kpp'],
  ],
  [
    'payer name',
    'payment-order',
    (o) => {
      o.payer.name = 'ООО "Ромашка плюс"';
    },
    ['payer.name'],
  ],
  [
    'payee name',
    'payment-order',
    (o) => {
      o.payee.name = 'АО "Южный ветер"';
    },
    ['payee.name'],
  ],
  [
    'purpose',
    'payment-order',
    (o) => {
      o.purpose = 'Оплата по счёту № 318';
    },
    ['purpose'],
  ],
  [
    'priority',
    'payment-order',
    (o) => {
      o.priority = '4';
    },
    ['priority'],
  ],
  [
    'system code',
    'payment-order',
    (o) => {
      o.systemCode = '05';
    },
    ['systemCode'],
  ],
  [
    'payment precedence',
    'payment-order',
    (o) => {
      o.paymentPrecedence = '50';
    },
    ['paymentPrecedence'],
  ],
  [
    'payment id (УИН)',
    'payment-order',
    (o) => {
      o.paymentId = `1234567890123456789${uinControlDigit('1234567890123456789')}`;
    },
    ['paymentId'],
  ],
  [
    'payment kind',
    'payment-order',
    (o) => {
      o.paytKind = '1';
    },
    ['paytKind'],
  ],
  [
    'code of purpose',
    'payment-order',
    (o) => {
      o.codePurpose = '1';
    },
    ['codePurpose'],
  ],
  [
    'receipt date (only in the source)',
    'payment-order',
    (o) => {
      o.receiptDate = '2025-04-15';
    },
    ['receiptDate'],
  ],
  [
    'charge-off date (only in the source)',
    'payment-order',
    (o) => {
      o.chargeOffDate = '2025-04-16';
    },
    ['chargeOffDate'],
  ],
  [
    'КБК',
    'budget-payment-order',
    (o) => {
      o.departmentalInfo!.cbc = '18210102010011000111';
    },
    ['departmentalInfo.cbc'],
  ],
  [
    'ОКТМО',
    'budget-payment-order',
    (o) => {
      o.departmentalInfo!.okato = '45000001';
    },
    ['departmentalInfo.okato'],
  ],
  [
    'drawer status',
    'budget-payment-order',
    (o) => {
      o.departmentalInfo!.drawerStatus = '01';
    },
    ['departmentalInfo.drawerStatus'],
  ],
  [
    'basis of payment',
    'budget-payment-order',
    (o) => {
      o.departmentalInfo!.paytReason = 'ЗД';
    },
    ['departmentalInfo.paytReason'],
  ],
  [
    'tax period',
    'budget-payment-order',
    (o) => {
      o.departmentalInfo!.taxPeriod = 'МС.02.2025';
    },
    ['departmentalInfo.taxPeriod'],
  ],
  [
    'budget document number',
    'budget-payment-order',
    (o) => {
      o.departmentalInfo!.docNo = '12';
    },
    ['departmentalInfo.docNo'],
  ],
  [
    'budget document date',
    'budget-payment-order',
    (o) => {
      o.departmentalInfo!.docDate = '01.04.2025';
    },
    ['departmentalInfo.docDate'],
  ],
];

function valueAt(order: PaymentOrder, path: string): string | null {
  let node: unknown = order;
  for (const part of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  return node === undefined ? null : String(node);
}

describe('refusals (each ends with its code in c2f and nothing in c2t)', () => {
  it.each(MISMATCHES)(
    'CTL_MISMATCH when the %s differs, with every differing field listed',
    async (_name, example, change, fields) => {
      const edOrder = freshOrder(example);
      const source = structuredClone(edOrder);
      change(source);
      expect((await postSource(source)).statusCode).toBe(201);
      const orderId = `mm-${randomUUID()}`;
      const { payload } = await formationPayload(edOrder, { orderId, edNo: nextEdNo(), signer: formation });
      await sendF2c(payload, payload.messageId);
      const status = await expectRefusal(orderId, 'CTL_MISMATCH');
      expect(status.diff).toEqual(
        fields.map((field) => ({ field, ed: valueAt(edOrder, field), source: valueAt(source, field) })),
      );
    },
  );

  it('lists every difference at once', async () => {
    const edOrder = freshOrder();
    const source = structuredClone(edOrder);
    source.sum = '1';
    source.purpose = 'Другое назначение';
    source.payee.kpp = '781201002';
    await postSource(source);
    const orderId = `mm-${randomUUID()}`;
    const { payload } = await formationPayload(edOrder, { orderId, edNo: nextEdNo(), signer: formation });
    await sendF2c(payload, payload.messageId);
    const status = await expectRefusal(orderId, 'CTL_MISMATCH');
    expect(status.diff?.map((d) => d.field)).toEqual(['payee.kpp', 'purpose', 'sum']);
    const view = await app.inject({ url: `/v1/controls/${orderId}`, headers: { 'x-api-key': keys.security.key } });
    expect(view.json()).toMatchObject({ status: 'rejected', code: 'CTL_MISMATCH', diff: status.diff });
  });

  it('CTL_DUPLICATE_ED for an ED identity already decided, CTL_DUPLICATE_PAYMENT for the same payment under another EDNo', async () => {
    const order = freshOrder();
    await postSource(order);
    const edNo = nextEdNo();
    const first = await formationPayload(order, { orderId: `d1-${randomUUID()}`, edNo, signer: formation });
    await sendF2c(first.payload, first.payload.messageId);
    await controlled(first.payload.orderId);

    const sameEd = await formationPayload(order, { orderId: `d2-${randomUUID()}`, edNo, signer: formation });
    await sendF2c(sameEd.payload, sameEd.payload.messageId);
    await expectRefusal(sameEd.payload.orderId, 'CTL_DUPLICATE_ED');

    const samePayment = await formationPayload(order, {
      orderId: `d3-${randomUUID()}`,
      edNo: nextEdNo(),
      signer: formation,
    });
    await sendF2c(samePayment.payload, samePayment.payload.messageId);
    const status = await expectRefusal(samePayment.payload.orderId, 'CTL_DUPLICATE_PAYMENT');
    expect(status.reason).toContain(first.payload.orderId);
  });

  it('CTL_SOURCE_MISSING when no primary document arrives within the wait (the pull answers 404)', async () => {
    const order = freshOrder();
    const orderId = `sm-${randomUUID()}`;
    const { payload } = await formationPayload(order, { orderId, edNo: nextEdNo(), signer: formation });
    const started = Date.now();
    await sendF2c(payload, payload.messageId);
    const waiting = await waitFor(async () => {
      const view = await app.inject({ url: `/v1/controls/${orderId}`, headers: { 'x-api-key': keys.operator.key } });
      return view.statusCode === 200 ? view.json() : undefined;
    });
    expect(waiting).toMatchObject({ status: 'waiting', orderId });
    await expectRefusal(orderId, 'CTL_SOURCE_MISSING');
    expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_MS);
    // Asked the back office with the key taken from the ED.
    expect(
      pullRequests.some((q) => q.get('docNo') === order.accDocNo && q.get('payerAccount') === order.payer.personalAcc),
    ).toBe(true);
  });

  it('CTL_SIGNATURE_INVALID (SIG_DIGEST_MISMATCH) for an ED altered after formation signed it', async () => {
    const order = freshOrder();
    await postSource(order);
    const orderId = `tamper-${randomUUID()}`;
    const { payload } = await formationPayload(order, {
      orderId,
      edNo: nextEdNo(),
      signer: formation,
      tamper: (xml) => Buffer.from(xml.toString('latin1').replace(`Sum="${order.sum}"`, 'Sum="12500009"'), 'latin1'),
    });
    expect(Buffer.from(payload.edBase64, 'base64').toString('latin1')).toContain('Sum="12500009"');
    const before = await seriesValue(metrics.signatureFailures, { code: 'SIG_DIGEST_MISMATCH' });
    await sendF2c(payload, payload.messageId);
    const status = await expectRefusal(orderId, 'CTL_SIGNATURE_INVALID');
    expect(status.reason).toMatch(/^SIG_DIGEST_MISMATCH: /);
    expect(await seriesValue(metrics.signatureFailures, { code: 'SIG_DIGEST_MISMATCH' })).toBe(before + 1);
  });

  it.each([
    ['control’s own key', async () => control],
    [
      'a certificate issued for the transport contour',
      async () => {
        const issued = await issueDevCertificate(pki, { contour: 'transport' });
        return createSoftwareSigner(issued.privateKey, issued.certificateDer);
      },
    ],
  ])('CTL_SIGNATURE_INVALID (SIG_WRONG_CONTOUR) for a ЗК made with %s', async (_name, makeSigner) => {
    const order = freshOrder();
    await postSource(order);
    const orderId = `wc-${randomUUID()}`;
    const { payload } = await formationPayload(order, { orderId, edNo: nextEdNo(), signer: await makeSigner() });
    await sendF2c(payload, payload.messageId);
    const status = await expectRefusal(orderId, 'CTL_SIGNATURE_INVALID');
    expect(status.reason).toMatch(/^SIG_WRONG_CONTOUR: /);
  });

  it('CTL_SIGNATURE_INVALID (SIG_WRONG_CONTOUR) when a second ЗК was already added before control', async () => {
    const order = freshOrder();
    await postSource(order);
    const orderId = `two-${randomUUID()}`;
    const { payload, edBytes } = await formationPayload(order, { orderId, edNo: nextEdNo(), signer: formation });
    const doubled = await addZk(edBytes, control);
    if (!doubled.ok) throw new Error(doubled.code);
    await sendF2c({ ...payload, edBase64: Buffer.from(doubled.value).toString('base64') }, payload.messageId);
    const status = await expectRefusal(orderId, 'CTL_SIGNATURE_INVALID');
    expect(status.reason).toMatch(/^SIG_WRONG_CONTOUR: /);
  });

  it('CTL_ED_INVALID when the payload names another ED identity than the ED itself', async () => {
    const order = freshOrder();
    await postSource(order);
    const orderId = `id-${randomUUID()}`;
    const { payload } = await formationPayload(order, { orderId, edNo: nextEdNo(), signer: formation });
    await sendF2c({ ...payload, ed: { ...payload.ed, edNo: nextEdNo() } }, payload.messageId);
    await expectRefusal(orderId, 'CTL_ED_INVALID');
  });

  it.each([
    ['an unknown field', (p: F2cPayload) => ({ ...p, extra: 'x' })],
    ['a wrong version', (p: F2cPayload) => ({ ...p, version: 2 })],
    ['edBase64 that is not base64', (p: F2cPayload) => ({ ...p, edBase64: '%%%' })],
    ['a message id other than f2c-<orderId>', (p: F2cPayload) => ({ ...p, messageId: `f2c-other-${p.orderId}` })],
  ])('QUE_BAD_PAYLOAD for %s', async (_name, spoil) => {
    const orderId = `bad-${randomUUID()}`;
    const { payload } = await formationPayload(freshOrder(), { orderId, edNo: nextEdNo(), signer: formation });
    const bad = spoil(payload) as { messageId: string };
    await sendF2c(bad, bad.messageId);
    const status = await expectRefusal(orderId, 'QUE_BAD_PAYLOAD');
    expect(status.reason).toBeTruthy();
  });

  it('delivers a webhook alert for each refusal, retrying one that failed first, and logs event security', async () => {
    const order = freshOrder();
    const orderId = `wh-${randomUUID()}`;
    const source = structuredClone(order);
    source.sum = '777';
    await postSource(source);
    webhookFailures = 1;
    const attemptsBefore = webhookAttempts;
    const { payload } = await formationPayload(order, { orderId, edNo: nextEdNo(), signer: formation });
    await sendF2c(payload, payload.messageId);
    await expectRefusal(orderId, 'CTL_MISMATCH');
    const alert = await waitFor(async () => alertsReceived.find((a) => a.orderId === orderId), 10_000, 'alert');
    expect(alert).toMatchObject({ type: 'control.refusal', code: 'CTL_MISMATCH', orderId, ed: payload.ed });
    expect(alert.diff).toEqual([{ field: 'sum', ed: order.sum, source: '777' }]);
    expect(webhookAttempts - attemptsBefore).toBeGreaterThanOrEqual(2);
    const row = await db.pool.query('select attempts, delivered_at from security_alerts where order_id = $1', [
      orderId,
    ]);
    expect(row.rows[0].attempts).toBeGreaterThanOrEqual(2);
    expect(row.rows[0].delivered_at).not.toBeNull();

    const line = logLines.find((l) => l.event === 'security' && l.orderId === orderId);
    expect(line).toMatchObject({ code: 'CTL_MISMATCH', diffFields: ['sum'] });
    // The log names fields, never their values or the message.
    expect(JSON.stringify(line)).not.toContain(payload.edBase64.slice(0, 40));

    // Every refusal of this file has reached the webhook by now or will: none is left undelivered for long.
    const codes = new Set(alertsReceived.map((a) => a.code));
    for (const code of ['CTL_MISMATCH', 'CTL_SIGNATURE_INVALID']) expect(codes.has(code)).toBe(true);
  });
});

describe('waiting for the primary document', () => {
  it('an ED that arrived first waits, then passes once the document is posted', async () => {
    const order = freshOrder();
    const orderId = `late-${randomUUID()}`;
    const { payload } = await formationPayload(order, { orderId, edNo: nextEdNo(), signer: formation });
    await sendF2c(payload, payload.messageId);
    await waitFor(async () => {
      const r = await db.pool.query('select 1 from pending_eds where order_id = $1', [orderId]);
      return r.rowCount ? true : undefined;
    });
    expect(await c2tJob(orderId)).toBeUndefined();
    expect((await postSource(order)).statusCode).toBe(201);
    await controlled(orderId);
    const r = await db.pool.query('select 1 from pending_eds where order_id = $1', [orderId]);
    expect(r.rowCount).toBe(0);
  });

  it('pulls a missing primary document from SOURCE_PULL_URL and passes', async () => {
    const order = freshOrder();
    pullable.set(order.accDocNo, order);
    const orderId = `pull-${randomUUID()}`;
    const { payload } = await formationPayload(order, { orderId, edNo: nextEdNo(), signer: formation });
    await sendF2c(payload, payload.messageId);
    await controlled(orderId);
    const stored = await db.pool.query('select origin from source_documents where acc_doc_no = $1', [order.accDocNo]);
    expect(stored.rows[0].origin).toBe('pull');
  });
});

describe('t2c → c2f passthrough', () => {
  it('forwards a transport status of an order control handed on, and refuses one of an unknown order', async () => {
    const order = freshOrder();
    await postSource(order);
    const orderId = `t2c-${randomUUID()}`;
    const { payload } = await formationPayload(order, { orderId, edNo: nextEdNo(), signer: formation });
    await sendF2c(payload, payload.messageId);
    await controlled(orderId);
    const sent: StatusPayload = {
      type: 'order.status',
      version: 1,
      messageId: `t2c-${orderId}-sent`,
      orderId,
      ed: payload.ed,
      stage: 'sent',
      at: new Date().toISOString(),
    };
    await runtime.queues.t2c.add('t2c', sent, { jobId: sent.messageId });
    const forwarded = await waitFor(() => c2fJob(orderId, 'sent'));
    expect(forwarded).toEqual({ ...sent, messageId: `c2f-${orderId}-sent` });

    const stranger = { ...sent, orderId: 'never-seen', messageId: 't2c-never-seen-sent' };
    await runtime.queues.t2c.add('t2c', stranger, { jobId: stranger.messageId });
    const failed = await waitFor(async () => {
      const job = await runtime.queues.t2c.getJob(stranger.messageId);
      return job && (await job.getState()) === 'failed' ? job : undefined;
    });
    expect(failed.failedReason).toMatch(/^CTL_UNEXPECTED_STATUS: /);
    expect(await c2fJob('never-seen', 'sent')).toBeUndefined();
  });
});

describe('HTTP API', () => {
  it.each([
    ['no key', undefined, 'POST', 401, 'AUTH_REQUIRED'],
    ['an unknown key', 'tck_nope', 'POST', 401, 'AUTH_INVALID'],
    ['a control-operator posting', 'operator', 'POST', 403, 'AUTH_FORBIDDEN'],
    ['the backoffice reading a decision', 'backoffice', 'GET', 403, 'AUTH_FORBIDDEN'],
    ['a formation-contour identity', 'formationBackoffice', 'POST', 403, 'AUTH_WRONG_CONTOUR'],
  ] as const)('refuses %s', async (_name, who, method, status, code) => {
    const key = who === undefined ? undefined : who in keys ? keys[who as keyof typeof keys].key : who;
    const response = await app.inject({
      method,
      url: method === 'POST' ? '/v1/source-documents' : '/v1/controls/some-order',
      headers: key ? { 'x-api-key': key } : {},
      ...(method === 'POST' ? { payload: freshOrder() } : {}),
    });
    expect(response.statusCode).toBe(status);
    expect(response.json().code).toBe(code);
  });

  it('stores a primary document once: the same again is 200 and replayed, another under the key is 409', async () => {
    const order = freshOrder();
    const first = await postSource(order);
    expect(first.statusCode).toBe(201);
    const receipt = first.json();
    expect(receipt.key).toEqual({
      payerAccount: order.payer.personalAcc,
      payerBic: order.payer.bank.bic,
      accDocNo: order.accDocNo,
      accDocDate: order.accDocDate,
    });
    // Same document, keys in another order: the same document.
    const reordered = Object.fromEntries(Object.entries(order).reverse());
    const again = await postSource(reordered);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(receipt);
    const conflicting = await postSource({ ...order, sum: '1' });
    expect(conflicting.statusCode).toBe(409);
    expect(conflicting.json().code).toBe('CTL_SOURCE_CONFLICT');

    const read = await app.inject({
      url: `/v1/source-documents/${receipt.id}`,
      headers: { 'x-api-key': keys.security.key },
    });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ ...receipt, origin: 'push', document: order });
    const missing = await app.inject({
      url: `/v1/source-documents/${randomUUID()}`,
      headers: { 'x-api-key': keys.operator.key },
    });
    expect(missing.json().code).toBe('CTL_SOURCE_NOT_FOUND');
    const noDecision = await app.inject({
      url: '/v1/controls/nothing-here',
      headers: { 'x-api-key': keys.operator.key },
    });
    expect([noDecision.statusCode, noDecision.json().code]).toEqual([404, 'CTL_CONTROL_NOT_FOUND']);
  });

  it('refuses an invalid primary document with every field error (422) and a malformed one (400)', async () => {
    const order = freshOrder();
    order.payer.inn = '7709123454';
    order.payee.personalAcc = '40702810001100012346';
    const invalid = await postSource(order);
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().code).toBe('CTL_SOURCE_INVALID');
    expect(
      invalid
        .json()
        .details.map((d: { path: string }) => d.path)
        .sort(),
    ).toEqual(['payee.personalAcc', 'payer.inn']);
    const malformed = await postSource({ ...freshOrder(), unknown: 1 });
    expect([malformed.statusCode, malformed.json().code]).toEqual([400, 'PLT_VALIDATION']);
  });

  it('answers /health, /ready, /metrics (with the control metrics) and /openapi.json', async () => {
    expect((await app.inject({ url: '/health' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ url: '/ready' });
    expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
    const scraped = await app.inject({ url: '/metrics', headers: { 'x-api-key': keys.ops.key } });
    expect(scraped.statusCode).toBe(200);
    for (const name of [
      'control_failures_total',
      'control_signature_failures_total',
      'control_stage_latency_seconds_bucket',
      'control_queue_depth{queue="f2c"',
      'control_pending_eds',
    ]) {
      expect(scraped.body).toContain(name);
    }
    const openapi = (await app.inject({ url: '/openapi.json' })).json();
    expect(Object.keys(openapi.paths).sort()).toEqual(
      expect.arrayContaining(['/v1/source-documents', '/v1/source-documents/{id}', '/v1/controls/{orderId}']),
    );
    expect(openapi.paths['/v1/source-documents'].post['x-roles']).toEqual(['backoffice']);
  });
});

describe('the audit log (issue 6)', () => {
  /** The chained events of an order, in chain order. */
  async function trail(orderId: string) {
    await audit.flush();
    return (await audit.query({ orderId, limit: 1000 })).events;
  }

  /** Facts of a certificate computed independently of the crypto package (node's X509Certificate). */
  function certificateFacts(der: Uint8Array) {
    return {
      serial: new X509Certificate(der).serialNumber.toLowerCase().replace(/^0+(?=.)/, ''),
      thumbprint: createHash('sha256').update(der).digest('hex'),
    };
  }

  /** SHA-256 of what a ЗК signs: the ED normalized, its ЗК left out. */
  function zkDigest(ed: Uint8Array): string {
    const normalized = normalizeEd(ed);
    if (!normalized.ok) throw new Error(normalized.code);
    return createHash('sha256').update(normalized.value).digest('hex');
  }

  it('records the check of formation’s ЗК, the decision, then control’s ЗК and КА, in the decision’s transaction', async () => {
    const order = freshOrder();
    const posted = await postSource(order);
    const orderId = `audit-${randomUUID()}`;
    const { payload, edBytes } = await formationPayload(order, { orderId, edNo: nextEdNo(), signer: formation });
    await sendF2c(payload, payload.messageId);
    const handOver = await controlled(orderId);
    const ka = await verifyEnvelope(new Uint8Array(Buffer.from(handOver.envelopeBase64, 'base64')), {
      validator: trust,
    });
    if (!ka.ok) throw new Error(ka.code);

    const events = await trail(orderId);
    expect(events.map((e) => [e.type, e.result])).toEqual([
      ['signature.checked', 'pass'],
      ['control.decision', 'pass'],
      ['signature.made', 'info'],
      ['signature.made', 'info'],
    ]);
    const [checked, decision, zk, kaMade] = events;
    const subject = {
      contour: 'control',
      service: 'control',
      actor: 'service:control',
      orderId,
      messageId: payload.messageId,
      ed: payload.ed,
    };
    // Formation's ЗК and control's sign the same normalized ED: one digest runs through the trail.
    const digest = zkDigest(edBytes);
    expect(zkDigest(ka.file)).toBe(digest);
    expect(checked).toMatchObject({
      ...subject,
      reason: null,
      digest,
      certificate: certificateFacts(formation.certificate),
      details: { signature: 'ЗК', index: 0, expectedContour: 'formation', contour: 'formation' },
    });
    expect(decision).toMatchObject({
      ...subject,
      reason: null,
      digest,
      details: { status: 'controlled', sourceDocumentId: posted.json().id },
    });
    expect(zk).toMatchObject({
      ...subject,
      digest,
      certificate: certificateFacts(control.certificate),
      details: { signature: 'ЗК', sigId: '02' },
    });
    // The КА signs the whole file handed to transport.
    expect(kaMade).toMatchObject({
      ...subject,
      digest: createHash('sha256').update(ka.file).digest('hex'),
      certificate: certificateFacts(control.certificate),
      details: { signature: 'КА' },
    });
    expect(Date.parse(checked!.at)).toBeLessThanOrEqual(Date.parse(decision!.at));
    expect(Date.parse(decision!.at)).toBeLessThanOrEqual(Date.parse(zk!.at));
    expect(zk!.at).toBe(kaMade!.at);
  });

  it('records a failed check with its SIG_* code and the refusal, and no signature', async () => {
    const order = freshOrder();
    await postSource(order);
    const orderId = `audit-tamper-${randomUUID()}`;
    const { payload } = await formationPayload(order, {
      orderId,
      edNo: nextEdNo(),
      signer: formation,
      tamper: (xml) => Buffer.from(xml.toString('latin1').replace(`Sum="${order.sum}"`, 'Sum="12500009"'), 'latin1'),
    });
    await sendF2c(payload, payload.messageId);
    await expectRefusal(orderId, 'CTL_SIGNATURE_INVALID');
    const events = await trail(orderId);
    expect(events.map((e) => [e.type, e.result, e.reason])).toEqual([
      ['signature.checked', 'fail', 'SIG_DIGEST_MISMATCH'],
      ['control.decision', 'fail', 'CTL_SIGNATURE_INVALID'],
    ]);
    expect(events[0]?.certificate).toEqual(expect.objectContaining(certificateFacts(formation.certificate)));
    expect(events[1]?.details).toMatchObject({ status: 'rejected', sigCode: 'SIG_DIGEST_MISMATCH' });
  });

  it('records a requisite mismatch as a refused decision after a passed check, naming the fields', async () => {
    const order = freshOrder();
    const source = structuredClone(order);
    source.sum = '1';
    await postSource(source);
    const orderId = `audit-mm-${randomUUID()}`;
    const { payload } = await formationPayload(order, { orderId, edNo: nextEdNo(), signer: formation });
    await sendF2c(payload, payload.messageId);
    await expectRefusal(orderId, 'CTL_MISMATCH');
    const events = await trail(orderId);
    expect(events.map((e) => [e.type, e.result, e.reason])).toEqual([
      ['signature.checked', 'pass', null],
      ['control.decision', 'fail', 'CTL_MISMATCH'],
    ]);
    expect(events[1]?.details).toMatchObject({ status: 'rejected', diffFields: ['sum'] });
  });

  it('records the check that let an ED wait, then the check, decision and signatures once its document came', async () => {
    const order = freshOrder();
    const orderId = `audit-wait-${randomUUID()}`;
    const { payload } = await formationPayload(order, { orderId, edNo: nextEdNo(), signer: formation });
    await sendF2c(payload, payload.messageId);
    await waitFor(async () => ((await trail(orderId)).length > 0 ? true : undefined));
    expect((await trail(orderId)).map((e) => e.type)).toEqual(['signature.checked']);
    await postSource(order);
    await controlled(orderId);
    expect((await trail(orderId)).map((e) => e.type)).toEqual([
      'signature.checked',
      'signature.checked',
      'control.decision',
      'signature.made',
      'signature.made',
    ]);
  });

  it('records refused requests as auth.failed (never the key), serves the log to security officers only, and verifies', async () => {
    const wrongKey = 'tck_wrong_key_for_audit_0000';
    const refused = await app.inject({ method: 'GET', url: '/v1/audit/events', headers: { 'x-api-key': wrongKey } });
    expect(refused.statusCode).toBe(401);
    const ops = await app.inject({ method: 'GET', url: '/v1/audit/events', headers: { 'x-api-key': keys.ops.key } });
    expect(ops.statusCode).toBe(403);
    const officer = await app.inject({
      method: 'GET',
      url: '/v1/audit/events?type=auth.failed',
      headers: { 'x-api-key': keys.security.key },
    });
    expect(officer.statusCode).toBe(200);
    await audit.flush();
    const failed = (await audit.query({ type: 'auth.failed', limit: 1000 })).events.slice(-2);
    expect(failed).toMatchObject([
      { actor: 'anonymous', result: 'fail', reason: 'AUTH_INVALID', details: { route: '/v1/audit/events' } },
      { actor: 'ops-1', result: 'fail', reason: 'AUTH_FORBIDDEN', details: { identityRole: 'ops' } },
    ]);
    expect(JSON.stringify(failed)).not.toContain(wrongKey);
    expect(JSON.stringify(failed)).not.toContain(keys.ops.key);

    expect(await audit.checkpoint()).toBeDefined();
    const verified = await audit.verify();
    expect(verified.problems).toEqual([]);
    expect(verified.ok).toBe(true);
  });
});
