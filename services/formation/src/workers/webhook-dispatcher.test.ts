import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OrderStage, StatusPayload } from '@twincontour/platform';
import type { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriesValue } from '../adapters/metrics.js';
import type { OrderView } from '../domain/order-view.js';
import type { StageEvent } from '../domain/webhooks.js';
import {
  auth,
  createFormationFixture,
  eventually,
  exampleOrder,
  type FormationFixture,
  TEST_KEYS,
} from '../testing/fixture.js';
import { createC2fWorker } from './c2f-worker.js';
import { createWebhookDispatcher, type WebhookDispatcher } from './webhook-dispatcher.js';

let fx: FormationFixture;
let worker: Worker;
let dispatcher: WebhookDispatcher;
const bo = auth(TEST_KEYS.backoffice);
/** Every secret this file was given: none may appear in a GET answer or a log line. */
const secrets: string[] = [];

// Small backoff so retries happen within the test's time (production: 1 s … 10 min).
const DISPATCH = { intervalMs: 20, timeoutMs: 2_000, backoff: { baseMs: 20, maxMs: 150 }, concurrency: 8 };

beforeAll(async () => {
  fx = await createFormationFixture();
  worker = createC2fWorker({
    pool: fx.db.pool,
    logger: fx.logger,
    metrics: fx.app.formationMetrics,
    connection: fx.queues.connection,
    prefix: fx.queues.prefix,
  });
  dispatcher = newDispatcher();
  dispatcher.start();
});
afterAll(async () => {
  await dispatcher?.stop();
  await worker?.close();
  await fx?.close();
});

function newDispatcher(): WebhookDispatcher {
  return createWebhookDispatcher({
    pool: fx.db.pool,
    logger: fx.logger,
    metrics: fx.app.formationMetrics,
    key: fx.webhookKey,
    ...DISPATCH,
  });
}

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  event: StageEvent;
  answered: number;
}

interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** What this receiver got for one order. */
  of(orderId: string): Received[];
  close(): Promise<void>;
}

/** A webhook receiver on 127.0.0.1; `answer(n)` is the status of its n-th request (1-based). */
async function startReceiver(answer: (n: number) => number = () => 200, port = 0): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const status = answer(received.length + 1);
      received.push({ headers: req.headers, raw, event: JSON.parse(raw) as StageEvent, answered: status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/hooks/stages`,
    port: bound,
    received,
    of: (orderId) => received.filter((r) => r.event.orderId === orderId),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (connection refused) that a receiver can bind later. */
async function freePort(): Promise<number> {
  const probe = await startReceiver();
  await probe.close();
  return probe.port;
}

async function subscribe(url: string, stages?: OrderStage[]): Promise<{ id: string; secret: string }> {
  const res = await fx.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: bo,
    payload: { url, ...(stages ? { stages } : {}) },
  });
  expect(res.statusCode, res.body).toBe(201);
  const created = res.json() as { id: string; secret: string };
  secrets.push(created.secret);
  return created;
}

async function unsubscribe(id: string): Promise<void> {
  const res = await fx.app.inject({ method: 'DELETE', url: `/v1/webhooks/${id}`, headers: bo });
  expect(res.statusCode).toBe(204);
}

async function newOrder(): Promise<OrderView> {
  const res = await fx.app.inject({
    method: 'POST',
    url: '/v1/payment-orders',
    headers: { ...bo, 'idempotency-key': randomUUID() },
    payload: { ...exampleOrder('payment-order'), accDocNo: String(1 + Math.floor(Math.random() * 899_999)) },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as OrderView;
}

/** Recomputes the signature independently of the service's code and checks its time. */
function signatureValid(secret: string, r: Received): boolean {
  const header = String(r.headers['x-twincontour-signature'] ?? '');
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match?.[1] || !match[2]) return false;
  const t = Number(match[1]);
  if (Math.abs(Date.now() / 1000 - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${r.raw}`, 'utf8').digest();
  return timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}

const FORMATION_STAGES: OrderStage[] = ['accepted', 'formed', 'signed-by-formation'];

describe('stage webhooks', () => {
  it("delivers an order's stages in order, signed, each with a stable delivery id", async () => {
    const receiver = await startReceiver();
    const sub = await subscribe(receiver.url);
    const order = await newOrder();
    const got = await eventually(async () => {
      const r = receiver.of(order.id);
      return r.length >= 3 ? r : undefined;
    });
    expect(got.map((r) => r.event.stage)).toEqual(FORMATION_STAGES);
    for (const [i, r] of got.entries()) {
      expect(signatureValid(sub.secret, r), r.raw).toBe(true);
      expect(signatureValid(`${sub.secret}x`, r)).toBe(false);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-twincontour-delivery']).toBe(r.event.deliveryId);
      expect(r.event).toEqual({
        event: 'order.stage',
        deliveryId: r.event.deliveryId,
        orderId: order.id,
        ed: order.ed,
        stage: FORMATION_STAGES[i],
        at: order.stages[i]?.at,
      });
    }
    expect(new Set(got.map((r) => r.event.deliveryId)).size).toBe(3);
    const rows = await fx.db.pool.query<{ id: string; state: string; attempts: number }>(
      'select id, state, attempts from webhook_deliveries where subscription_id = $1 and order_id = $2 order by seq',
      [sub.id, order.id],
    );
    expect(rows.rows).toEqual(got.map((r) => ({ id: r.event.deliveryId, state: 'delivered', attempts: 1 })));
    await unsubscribe(sub.id);
    await receiver.close();
  });

  it('retries a delivery the receiver refused (500, 500) with the same id and body, then the next stage', async () => {
    const receiver = await startReceiver((n) => (n <= 2 ? 500 : 200));
    const sub = await subscribe(receiver.url);
    const retriesBefore = await seriesValue(fx.app.formationMetrics.webhookDeliveries, { outcome: 'retry' });
    const order = await newOrder();
    const got = await eventually(async () => {
      const r = receiver.of(order.id);
      return r.length >= 5 ? r : undefined;
    });
    expect(got.map((r) => [r.event.stage, r.answered])).toEqual([
      ['accepted', 500],
      ['accepted', 500],
      ['accepted', 200],
      ['formed', 200],
      ['signed-by-formation', 200],
    ]);
    const [first, second, third] = got;
    expect(second?.raw).toBe(first?.raw);
    expect(third?.raw).toBe(first?.raw);
    expect(new Set(got.slice(0, 3).map((r) => r.headers['x-twincontour-delivery'])).size).toBe(1);
    for (const r of got) expect(signatureValid(sub.secret, r)).toBe(true);
    const attempts = await fx.db.pool.query<{ stage: string; attempts: number; last_status: number }>(
      `select stage, attempts, last_status from webhook_deliveries
        where subscription_id = $1 and order_id = $2 order by seq`,
      [sub.id, order.id],
    );
    expect(attempts.rows).toEqual([
      { stage: 'accepted', attempts: 3, last_status: 200 },
      { stage: 'formed', attempts: 1, last_status: 200 },
      { stage: 'signed-by-formation', attempts: 1, last_status: 200 },
    ]);
    expect(await seriesValue(fx.app.formationMetrics.webhookDeliveries, { outcome: 'retry' })).toBeGreaterThanOrEqual(
      retriesBefore + 2,
    );
    const failed = fx.logLines
      .map((l) => JSON.parse(l))
      .filter((l) => l.code === 'FRM_WEBHOOK_DELIVERY_FAILED' && l.subscriptionId === sub.id);
    expect(failed.map((l) => [l.stage, l.status, l.attempt])).toEqual([
      ['accepted', 500, 1],
      ['accepted', 500, 2],
    ]);
    await unsubscribe(sub.id);
    await receiver.close();
  });

  it('keeps everything for a receiver that is down (connection refused) and delivers it once it is back', async () => {
    const port = await freePort();
    const sub = await subscribe(`http://127.0.0.1:${port}/hooks/stages`);
    const order = await newOrder();
    // Several refused attempts of the first stage; the later stages wait behind it, untried.
    const waiting = await eventually(async () => {
      const r = await fx.db.pool.query<{ stage: string; attempts: number; last_error: string | null; state: string }>(
        `select stage, attempts, last_error, state from webhook_deliveries
          where subscription_id = $1 and order_id = $2 order by seq`,
        [sub.id, order.id],
      );
      return (r.rows[0]?.attempts ?? 0) >= 3 ? r.rows : undefined;
    });
    expect(waiting.map((r) => [r.stage, r.state, r.last_error])).toEqual([
      ['accepted', 'pending', 'ECONNREFUSED'],
      ['formed', 'pending', null],
      ['signed-by-formation', 'pending', null],
    ]);
    expect(waiting.slice(1).map((r) => r.attempts)).toEqual([0, 0]);
    const pending = await fx.app.inject({ method: 'GET', url: '/metrics', headers: auth(TEST_KEYS.ops) });
    expect(pending.body).toMatch(/formation_webhook_pending\{service="formation"\} [3-9]/);

    const receiver = await startReceiver(() => 200, port);
    const got = await eventually(async () => {
      const r = receiver.of(order.id);
      return r.length >= 3 ? r : undefined;
    });
    expect(got.map((r) => r.event.stage)).toEqual(FORMATION_STAGES);
    for (const r of got) expect(signatureValid(sub.secret, r)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.of(order.id)).toHaveLength(3);
    await unsubscribe(sub.id);
    await receiver.close();
  });

  it('delivers a status from control (rejected-by-control with its diff) and respects stage filters', async () => {
    const receiver = await startReceiver();
    const all = await subscribe(`${receiver.url}?all`);
    const filtered = await subscribe(`${receiver.url}?filtered`, ['signed-by-formation', 'rejected-by-control']);
    const order = await newOrder();
    const diff = [
      { field: 'sum', ed: '12500000', source: '1250000' },
      { field: 'payee.inn', ed: '7812345675', source: null },
    ];
    if (!order.ed) throw new Error('order without ED');
    const status: StatusPayload = {
      type: 'order.status',
      version: 1,
      messageId: `c2f-${order.id}-rejected-by-control`,
      orderId: order.id,
      ed: order.ed,
      stage: 'rejected-by-control',
      at: new Date().toISOString(),
      code: 'CTL_MISMATCH',
      reason: 'requisites differ',
      diff,
    };
    await fx.queues.c2f.add('c2f', status, { jobId: status.messageId });
    const got = await eventually(async () => {
      const r = receiver.of(order.id);
      return r.length >= 6 ? r : undefined;
    });
    const forSub = (secret: string) => got.filter((r) => signatureValid(secret, r));
    expect(forSub(all.secret).map((r) => r.event.stage)).toEqual([...FORMATION_STAGES, 'rejected-by-control']);
    expect(forSub(filtered.secret).map((r) => r.event.stage)).toEqual(['signed-by-formation', 'rejected-by-control']);
    const refusal = forSub(filtered.secret)[1]?.event;
    expect(refusal).toEqual({
      event: 'order.stage',
      deliveryId: refusal?.deliveryId,
      orderId: order.id,
      ed: order.ed,
      stage: 'rejected-by-control',
      at: status.at,
      code: 'CTL_MISMATCH',
      reason: 'requisites differ',
      diff,
    });
    // The same status delivered again announces nothing twice.
    await fx.queues.c2f.add('c2f', status, { jobId: `${status.messageId}.again` });
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.of(order.id)).toHaveLength(6);
    const rows = await fx.db.pool.query<{ subscription_id: string; n: number }>(
      `select subscription_id, count(*)::int as n from webhook_deliveries where order_id = $1
        group by subscription_id order by n`,
      [order.id],
    );
    expect(rows.rows).toEqual([
      { subscription_id: filtered.id, n: 2 },
      { subscription_id: all.id, n: 4 },
    ]);
    await unsubscribe(all.id);
    await unsubscribe(filtered.id);
    await receiver.close();
  });

  it('is safe with several dispatchers: each delivery posted once, each order in order', async () => {
    const second = newDispatcher();
    second.start();
    const receiver = await startReceiver();
    const sub = await subscribe(receiver.url);
    const orders = await Promise.all(Array.from({ length: 6 }, () => newOrder()));
    await eventually(async () => receiver.received.length >= 18 || undefined);
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.received).toHaveLength(18);
    expect(new Set(receiver.received.map((r) => r.event.deliveryId)).size).toBe(18);
    for (const order of orders) expect(receiver.of(order.id).map((r) => r.event.stage)).toEqual(FORMATION_STAGES);
    await second.stop();
    await unsubscribe(sub.id);
    await receiver.close();
  });

  it("drops a removed subscription's undelivered stages with a log line, and sends nothing more", async () => {
    const port = await freePort();
    const sub = await subscribe(`http://127.0.0.1:${port}/gone`);
    const order = await newOrder();
    await eventually(async () => {
      const r = await fx.db.pool.query<{ attempts: number }>(
        'select attempts from webhook_deliveries where subscription_id = $1 order by seq limit 1',
        [sub.id],
      );
      return (r.rows[0]?.attempts ?? 0) >= 1 || undefined;
    });
    await unsubscribe(sub.id);
    const line = fx.logLines
      .map((l) => JSON.parse(l))
      .find((l) => l.event === 'webhook-unsubscribed' && l.subscriptionId === sub.id);
    expect(line?.droppedPending).toBe(3);
    const left = await fx.db.pool.query('select 1 from webhook_deliveries where subscription_id = $1', [sub.id]);
    expect(left.rowCount).toBe(0);
    const receiver = await startReceiver(() => 200, port);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.of(order.id)).toHaveLength(0);
    await receiver.close();
  });

  it('sends nothing unsigned: a secret that does not open under the key holds its deliveries until it does', async () => {
    const receiver = await startReceiver();
    const sub = await subscribe(receiver.url);
    const sealed = await fx.db.pool.query<{ secret_enc: Buffer }>(
      'select secret_enc from webhook_subscriptions where id = $1',
      [sub.id],
    );
    const original = sealed.rows[0]?.secret_enc;
    if (!original) throw new Error('no sealed secret');
    const tampered = Buffer.from(original);
    tampered[20] = (tampered[20] ?? 0) ^ 1;
    await fx.db.pool.query('update webhook_subscriptions set secret_enc = $2 where id = $1', [sub.id, tampered]);
    const order = await newOrder();
    await eventually(async () =>
      fx.logLines.some((l) => {
        const line = JSON.parse(l);
        return line.code === 'FRM_WEBHOOK_SECRET_UNREADABLE' && line.subscriptionId === sub.id;
      }),
    );
    expect(receiver.of(order.id)).toHaveLength(0);
    await fx.db.pool.query('update webhook_subscriptions set secret_enc = $2 where id = $1', [sub.id, original]);
    const got = await eventually(async () => {
      const r = receiver.of(order.id);
      return r.length >= 3 ? r : undefined;
    });
    expect(got.map((r) => r.event.stage)).toEqual(FORMATION_STAGES);
    for (const r of got) expect(signatureValid(sub.secret, r)).toBe(true);
    await unsubscribe(sub.id);
    await receiver.close();
  });

  it('never shows a secret in GET answers or log lines', async () => {
    expect(secrets.length).toBeGreaterThanOrEqual(7);
    const listed = await fx.app.inject({ method: 'GET', url: '/v1/webhooks', headers: bo });
    const logs = fx.logLines.join('\n');
    expect(logs).toContain('webhook delivered');
    for (const secret of secrets) {
      expect(listed.body).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });
});
