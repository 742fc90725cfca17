import { randomUUID } from 'node:crypto';
import { loadSigner, readZks, verifyZks } from '@twincontour/crypto';
import { parseBoundaryPayload } from '@twincontour/platform';
import { parseEd101, xsdValidate } from '@twincontour/ufebs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriesValue } from './adapters/metrics.js';
import { findEdBytes } from './adapters/order-store.js';
import type { OrderView } from './domain/order-view.js';
import {
  auth,
  createFormationFixture,
  exampleOrder,
  type FormationFixture,
  opensslVerifyZks,
  TEST_KEYS,
} from './testing/fixture.js';

let fx: FormationFixture;

beforeAll(async () => {
  fx = await createFormationFixture();
});
afterAll(async () => {
  await fx?.close();
});

const bo = auth(TEST_KEYS.backoffice);

/** A valid order with its own document number, so orders of different tests differ. */
function order(docNo = String(1 + Math.floor(Math.random() * 899_999))): Record<string, unknown> {
  return { ...exampleOrder('payment-order'), accDocNo: docNo };
}

async function post(body: unknown, key: string = randomUUID(), headers: Record<string, string> = bo) {
  return fx.app.inject({
    method: 'POST',
    url: '/v1/payment-orders',
    headers: { ...headers, 'idempotency-key': key },
    payload: body as object,
  });
}

async function count(table: string): Promise<number> {
  const result = await fx.db.pool.query<{ n: string }>(`select count(*) as n from ${table}`);
  return Number(result.rows[0]?.n);
}

async function checkAcceptedOrder(view: OrderView, body: Record<string, unknown>): Promise<void> {
  expect(view.status).toBe('signed-by-formation');
  expect(view.stages.map((s) => s.stage)).toEqual(['accepted', 'formed', 'signed-by-formation']);
  expect(view.ed?.edAuthor).toBe('4525545000');
  expect(view.ed?.edNo).toMatch(/^[1-9][0-9]{0,8}$/);
  // EDDate is the Moscow operating date of acceptance (UTC+3).
  const moscow = new Date(Date.parse(view.createdAt) + 3 * 3600_000).toISOString().slice(0, 10);
  expect(view.ed?.edDate).toBe(moscow);

  const ed = await findEdBytes(fx.db.pool, view.id);
  if (!ed) throw new Error('no ED stored');
  // The official XSD (xmllint), the ED identity and the order inside it.
  const xsd = await xsdValidate(ed);
  expect(xsd.ok, xsd.output).toBe(true);
  const parsed = parseEd101(ed);
  if (!parsed.ok) throw new Error(parsed.code);
  expect({ edNo: parsed.value.edNo, edDate: parsed.value.edDate, edAuthor: parsed.value.edAuthor }).toEqual(view.ed);
  expect(parsed.value.sum).toBe(body.sum);
  expect(parsed.value.accDocNo).toBe(body.accDocNo);

  // Formation's ЗК: verified by the crypto package as the formation contour's, and by openssl.
  const zk = await verifyZks(ed, { validator: fx.trustStore, expectedContours: ['formation'] });
  expect(zk.ok, zk.message).toBe(true);
  expect(zk.zks).toHaveLength(1);
  expect(zk.zks[0]?.certificate?.contour).toBe('formation');
  const openssl = opensslVerifyZks(ed, fx.pkiDir, fx.workDir);
  expect(openssl).toHaveLength(1);
  expect(openssl[0]?.status, openssl[0]?.output).toBe(0);

  // The f2c job in the real BullMQ queue, once the relay ran: the contract's payload, the stored bytes.
  await fx.relay.runOnce();
  const job = await fx.queues.f2c.getJob(`f2c-${view.id}`);
  expect(job).toBeDefined();
  const payload = parseBoundaryPayload('f2c', job?.data);
  if (!payload.ok) throw new Error(JSON.stringify(payload.errors));
  expect(payload.value.messageId).toBe(`f2c-${view.id}`);
  expect(payload.value.orderId).toBe(view.id);
  expect(payload.value.ed).toEqual(view.ed);
  expect(Buffer.from(payload.value.edBase64, 'base64').equals(Buffer.from(ed))).toBe(true);
}

describe('POST /v1/payment-orders', () => {
  it('accepts a valid order: 201, ED valid against the XSD, ЗК verified (crypto + openssl), f2c job queued', async () => {
    const body = order();
    const res = await post(body);
    expect(res.statusCode, res.body).toBe(201);
    const view = res.json() as OrderView;
    await checkAcceptedOrder(view, body);

    const got = await fx.app.inject({ method: 'GET', url: `/v1/payment-orders/${view.id}`, headers: bo });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(view);
  });

  it('accepts the budget example order the same way', async () => {
    const body = exampleOrder('budget-payment-order');
    const res = await post(body);
    expect(res.statusCode, res.body).toBe(201);
    await checkAcceptedOrder(res.json() as OrderView, body);
  });

  it('writes the configured SigId on its ЗК', async () => {
    const app = await fx.build({ sigId: '01' });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/payment-orders',
      headers: { ...bo, 'idempotency-key': randomUUID() },
      payload: order(),
    });
    expect(res.statusCode, res.body).toBe(201);
    const ed = await findEdBytes(fx.db.pool, (res.json() as OrderView).id);
    const zks = readZks(ed ?? new Uint8Array());
    if (!zks.ok) throw new Error(zks.code);
    expect(zks.value.map((z) => z.sigId)).toEqual(['01']);
  });

  it('refuses an order with several bad requisites: 422 with every field error, nothing stored', async () => {
    const body = order() as { payer: { inn: string; bank: { bic: string } }; payee: { personalAcc: string } } & Record<
      string,
      unknown
    >;
    body.payer = { ...body.payer, inn: '7709123454', bank: { ...body.payer.bank, bic: '04452522' } };
    body.payee = { ...body.payee, personalAcc: '40702810001100012346' };
    body.accDocDate = '2025-02-30';
    body.sum = '0';
    body.colour = 'red';
    const before = await Promise.all(['orders', 'order_stages', 'outbox', 'idempotency_keys'].map(count));
    const key = randomUUID();
    const res = await post(body, key);
    expect(res.statusCode).toBe(422);
    const error = res.json() as { code: string; details: { code: string; path: string }[] };
    expect(error.code).toBe('FRM_ORDER_INVALID');
    expect(error.details.map((d) => [d.path, d.code]).sort()).toEqual(
      [
        ['colour', 'UFEBS_UNKNOWN_FIELD'],
        ['accDocDate', 'UFEBS_DATE_INVALID'],
        ['sum', 'UFEBS_AMOUNT_FORMAT'],
        ['payer.inn', 'UFEBS_INN_CHECKSUM'],
        ['payer.bank.bic', 'UFEBS_BIC_FORMAT'],
        ['payee.personalAcc', 'UFEBS_ACCOUNT_KEY'],
      ].sort(),
    );
    const after = await Promise.all(['orders', 'order_stages', 'outbox', 'idempotency_keys'].map(count));
    expect(after).toEqual(before);
    // The key was not consumed: the corrected order is accepted under it.
    const fixed = await post(order(), key);
    expect(fixed.statusCode).toBe(201);
  });

  it('answers 400 PLT_VALIDATION without an Idempotency-Key or with a malformed one', async () => {
    const none = await fx.app.inject({ method: 'POST', url: '/v1/payment-orders', headers: bo, payload: order() });
    expect(none.statusCode).toBe(400);
    expect(none.json().code).toBe('PLT_VALIDATION');
    expect(none.json().details[0].path).toBe('headers.idempotency-key');
    const bad = await post(order(), 'has space');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('PLT_VALIDATION');
  });

  it('refuses to hand over an ED whose ЗК is not the formation contour’s: 503 FRM_SIGNATURE_FAILED, nothing stored', async () => {
    const control = await loadSigner('control', { pkiDir: fx.pkiDir });
    if (!control.ok) throw new Error(control.code);
    const app = await fx.build({ signer: control.value });
    const before = await Promise.all(['orders', 'outbox', 'idempotency_keys', 'ed_counters'].map(count));
    const counters = await fx.db.pool.query('select * from ed_counters order by ed_date');
    const res = await app.inject({
      method: 'POST',
      url: '/v1/payment-orders',
      headers: { ...bo, 'idempotency-key': randomUUID() },
      payload: order(),
    });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('FRM_SIGNATURE_FAILED');
    expect(await Promise.all(['orders', 'outbox', 'idempotency_keys', 'ed_counters'].map(count))).toEqual(before);
    // The EDNo taken inside the rolled-back transaction was given back.
    expect((await fx.db.pool.query('select * from ed_counters order by ed_date')).rows).toEqual(counters.rows);
    expect(await seriesValue(app.formationMetrics.signatureFailures, { code: 'SIG_WRONG_CONTOUR' })).toBe(1);
    const ready = await app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().details.map((d: { path: string }) => d.path)).toEqual(['signer']);
  });
});

describe('Idempotency-Key', () => {
  it('a repeat answers 200 with the same view and Idempotent-Replayed; another body answers 409', async () => {
    const body = order();
    const key = `key-${randomUUID()}`;
    const first = await post(body, key);
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // The same order with its keys in another order is the same body (canonical JSON).
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const again = await post(reordered, key);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());

    const other = await post({ ...body, sum: '100' }, key);
    expect(other.statusCode).toBe(409);
    expect(other.json().code).toBe('FRM_IDEMPOTENCY_CONFLICT');
    // Even an invalid body under a used key is a conflict: the key is bound to its order.
    const invalid = await post({ ...body, sum: '0' }, key);
    expect(invalid.statusCode).toBe(409);

    // The key is the caller's: another back-office identity may use the same key for its own order.
    const otherClient = await post(body, key, auth(TEST_KEYS.backoffice2));
    expect(otherClient.statusCode).toBe(201);
    expect(otherClient.json().id).not.toBe(first.json().id);
  });

  it('concurrent requests with one key make one order, one ED and one outbox row', async () => {
    const body = order();
    const key = `concurrent-${randomUUID()}`;
    const before = await Promise.all(['orders', 'outbox'].map(count));
    const answers = await Promise.all(Array.from({ length: 6 }, () => post(body, key)));
    const statuses = answers.map((a) => a.statusCode).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 201]);
    const ids = new Set(answers.map((a) => a.json().id));
    expect(ids.size).toBe(1);
    const views = answers.map((a) => a.json());
    for (const v of views) expect(v).toEqual(views[0]);
    expect(await Promise.all(['orders', 'outbox'].map(count))).toEqual(before.map((n) => n + 1));
    const rows = await fx.db.pool.query('select id from outbox where id = $1', [`f2c-${[...ids][0]}`]);
    expect(rows.rowCount).toBe(1);
  });
});

describe('EDNo', () => {
  it('is unique and increases in commit order under concurrent POSTs', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => post(order())));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(12).fill(201));
    const ids = answers.map((a) => a.json().id as string);
    const rows = await fx.db.pool.query<{ ed_no: number; ed_date: string }>(
      `select ed_no, to_char(ed_date, 'YYYY-MM-DD') as ed_date from orders where id = any($1) order by seq`,
      [ids],
    );
    const numbers = rows.rows.map((r) => r.ed_no);
    expect(new Set(numbers).size).toBe(12);
    for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBe((numbers[i - 1] ?? 0) + 1);
    // No other order of the same author and date holds one of these numbers.
    const all = await fx.db.pool.query<{ n: string }>(
      'select count(*) as n from orders where ed_author = $1 and ed_date = $2 and ed_no = any($3)',
      ['4525545000', rows.rows[0]?.ed_date, numbers],
    );
    expect(Number(all.rows[0]?.n)).toBe(12);
  });
});

describe('GET /v1/payment-orders', () => {
  it('filters by creation time and status, and pages with a cursor', async () => {
    const from = new Date(Date.now() - 1).toISOString();
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push(((await post(order())).json() as OrderView).id);
    const to = new Date(Date.now() + 1).toISOString();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query = new URLSearchParams({ from, to, limit: '2', ...(cursor ? { cursor } : {}) });
      const res = await fx.app.inject({
        method: 'GET',
        url: `/v1/payment-orders?${query}`,
        headers: auth(TEST_KEYS.operator),
      });
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { items: OrderView[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((v) => v.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());

    const byStatus = await fx.app.inject({
      method: 'GET',
      url: `/v1/payment-orders?status=rejected-by-control&from=${encodeURIComponent(from)}`,
      headers: auth(TEST_KEYS.security),
    });
    expect(byStatus.statusCode).toBe(200);
    expect(byStatus.json().items).toEqual([]);
    const signed = await fx.app.inject({
      method: 'GET',
      url: `/v1/payment-orders?status=signed-by-formation&from=${encodeURIComponent(from)}&limit=100`,
      headers: bo,
    });
    expect((signed.json().items as OrderView[]).map((v) => v.id).sort()).toEqual([...created].sort());
  });

  it.each([
    ['a cursor it did not issue', 'cursor=bm90LWEtY3Vyc29y', 400, 'FRM_CURSOR_INVALID'],
    ['an unknown status', 'status=lost', 400, 'PLT_VALIDATION'],
    ['a limit over 100', 'limit=101', 400, 'PLT_VALIDATION'],
    ['a malformed time', 'from=yesterday', 400, 'PLT_VALIDATION'],
  ])('refuses %s', async (_name, query, status, code) => {
    const res = await fx.app.inject({ method: 'GET', url: `/v1/payment-orders?${query}`, headers: bo });
    expect(res.statusCode).toBe(status);
    expect(res.json().code).toBe(code);
  });

  it('answers 404 FRM_ORDER_NOT_FOUND for an unknown id', async () => {
    const res = await fx.app.inject({ method: 'GET', url: `/v1/payment-orders/${randomUUID()}`, headers: bo });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('FRM_ORDER_NOT_FOUND');
  });
});

describe('authentication and roles', () => {
  it.each([
    ['POST without a key', 'POST', '/v1/payment-orders', undefined, 401, 'AUTH_REQUIRED'],
    ['POST with an unknown key', 'POST', '/v1/payment-orders', 'tck_nobody', 401, 'AUTH_INVALID'],
    ['POST by a formation operator', 'POST', '/v1/payment-orders', TEST_KEYS.operator, 403, 'AUTH_FORBIDDEN'],
    ['POST by a security officer', 'POST', '/v1/payment-orders', TEST_KEYS.security, 403, 'AUTH_FORBIDDEN'],
    [
      'POST by a control-contour identity',
      'POST',
      '/v1/payment-orders',
      TEST_KEYS.controlBackoffice,
      403,
      'AUTH_WRONG_CONTOUR',
    ],
    [
      'GET by a control-contour identity',
      'GET',
      '/v1/payment-orders',
      TEST_KEYS.controlBackoffice,
      403,
      'AUTH_WRONG_CONTOUR',
    ],
    ['GET without a key', 'GET', '/v1/payment-orders', undefined, 401, 'AUTH_REQUIRED'],
    ['GET by ops', 'GET', '/v1/payment-orders', TEST_KEYS.ops, 403, 'AUTH_FORBIDDEN'],
    ['metrics by a back office', 'GET', '/metrics', TEST_KEYS.backoffice, 403, 'AUTH_FORBIDDEN'],
    ['metrics without a key', 'GET', '/metrics', undefined, 401, 'AUTH_REQUIRED'],
  ] as const)('%s → %i %s', async (_name, method, url, key, status, code) => {
    const res = await fx.app.inject({
      method,
      url,
      headers: { ...(key ? auth(key) : {}), 'idempotency-key': randomUUID() },
      ...(method === 'POST' ? { payload: order() } : {}),
    });
    expect(res.statusCode).toBe(status);
    expect(res.json().code).toBe(code);
  });

  it.each([
    ['backoffice', TEST_KEYS.backoffice],
    ['formation-operator', TEST_KEYS.operator],
    ['security-officer', TEST_KEYS.security],
  ])('GET is allowed to %s', async (_role, key) => {
    const res = await fx.app.inject({ method: 'GET', url: '/v1/payment-orders?limit=1', headers: auth(key) });
    expect(res.statusCode).toBe(200);
  });
});

describe('platform routes', () => {
  it('/health and /ready answer without a key; /ready checks PostgreSQL, Redis and the signer', async () => {
    const health = await fx.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await fx.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode, ready.body).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok', signer: 'ok' } });
  });

  it('/metrics serves the formation metrics to ops', async () => {
    await post(order());
    const res = await fx.app.inject({ method: 'GET', url: '/metrics', headers: auth(TEST_KEYS.ops) });
    expect(res.statusCode).toBe(200);
    const text = res.body;
    expect(text).toMatch(/formation_orders_total\{outcome="created",service="formation"\} [1-9]/);
    // prom-client writes a histogram's registry default labels (service) before its own (stage);
    // label order carries no meaning in the exposition format.
    expect(text).toMatch(
      /formation_stage_latency_seconds_count\{service="formation",stage="signed-by-formation"\} [1-9]/,
    );
    expect(text).toMatch(/formation_queue_jobs\{queue="f2c",state="wait",service="formation"\} \d+/);
    expect(text).toMatch(/formation_queue_jobs\{queue="c2f",state="failed",service="formation"\} \d+/);
    expect(text).toMatch(/formation_outbox_pending\{queue="f2c",service="formation"\} \d+/);
    expect(text).toContain('# TYPE formation_signature_failures_total counter');
    expect(text).toContain('# TYPE formation_control_failures_total counter');
    expect(text).toMatch(/formation_requisite_failures_total\{code="UFEBS_INN_CHECKSUM",service="formation"\} [1-9]/);
  });

  it('/openapi.json documents the routes with their roles, the order schema and the error body', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    const create = doc.paths['/v1/payment-orders'].post;
    expect(create['x-roles']).toEqual(['backoffice']);
    expect(create.requestBody.content['application/json'].schema.title).toBe('PaymentOrder');
    expect(create.parameters.some((p: { name: string; in: string }) => p.name === 'idempotency-key')).toBe(true);
    expect(Object.keys(create.responses)).toEqual(
      expect.arrayContaining(['200', '201', '401', '403', '409', '422', '503']),
    );
    expect(doc.paths['/v1/payment-orders'].get['x-roles']).toEqual([
      'backoffice',
      'formation-operator',
      'security-officer',
    ]);
    expect(doc.paths['/v1/payment-orders/{id}'].get).toBeDefined();
  });

  it('logs ids and digests, never the ED or the order', async () => {
    const body = order('777001');
    await post(body);
    const joined = fx.logLines.join('\n');
    expect(joined).toContain('order-accepted');
    expect(joined).not.toContain('Северный ветер');
    expect(joined).not.toContain('PD94bWwg'); // base64 of '<?xml ': the ED never reaches the log
    expect(joined).not.toContain(TEST_KEYS.backoffice);
  });
});
