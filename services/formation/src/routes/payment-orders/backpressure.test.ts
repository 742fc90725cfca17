import { randomUUID } from 'node:crypto';
import { type StatusPayload, withTransaction } from '@twincontour/platform';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBacklog } from '../../adapters/backlog.js';
import { applyStatus } from '../../adapters/order-store.js';
import { auth, createFormationFixture, exampleOrder, type FormationFixture, TEST_KEYS } from '../../testing/fixture.js';

// Backpressure (issue 8): orders accepted but not yet at the Bank of Russia are counted; from
// TWINCONTOUR_BACKLOG_LIMIT on, a new order is refused 503 FRM_BACKPRESSURE with Retry-After, before anything
// is formed or stored. The cross-service run (control stopped, the channel down) is test/hostile/processes.test.ts.

const LIMIT = 2;
let fx: FormationFixture;
let app: FastifyInstance;

beforeAll(async () => {
  fx = await createFormationFixture();
  // refreshMs 0: every POST reads the count, so the test needs no waiting.
  app = await fx.build({ backlog: { limit: LIMIT, retryAfterSeconds: 9, refreshMs: 0 } });
});
afterAll(async () => {
  await fx?.close();
});

let docNo = 4_100;
const order = () => ({ ...exampleOrder('payment-order'), accDocNo: String(docNo++) });
const post = (body: unknown, key: string) =>
  app.inject({
    method: 'POST',
    url: '/v1/payment-orders',
    headers: { ...auth(TEST_KEYS.backoffice), 'idempotency-key': key },
    payload: body as object,
  });
const count = async (table: string) =>
  Number((await fx.db.pool.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]?.n);

async function report(orderId: string, stage: StatusPayload['stage']): Promise<void> {
  const row = await fx.db.pool.query<{ ed_no: number; ed_date: string; ed_author: string }>(
    "select ed_no, to_char(ed_date, 'YYYY-MM-DD') as ed_date, ed_author from orders where id = $1",
    [orderId],
  );
  const ed = row.rows[0];
  if (!ed) throw new Error('no order');
  const payload: StatusPayload = {
    type: 'order.status',
    version: 1,
    messageId: `c2f-${orderId}-${stage}`,
    orderId,
    ed: { edNo: String(ed.ed_no), edDate: ed.ed_date, edAuthor: ed.ed_author },
    stage,
    at: new Date().toISOString(),
  };
  const outcome = await withTransaction(fx.db.pool, (client) => applyStatus(client, payload, { inOrder: false }));
  expect(outcome.kind).toBe('applied');
}

async function gauge(name: string): Promise<number> {
  const metrics = await app.inject({ url: '/metrics', headers: auth(TEST_KEYS.ops) });
  return Number(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'm').exec(metrics.body)?.[1] ?? Number.NaN);
}

describe('formation backpressure', () => {
  it('accepts up to the bound, then answers 503 FRM_BACKPRESSURE with Retry-After and stores nothing', async () => {
    const accepted: { id: string; key: string; body: unknown }[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const body = order();
      const key = randomUUID();
      const answer = await post(body, key);
      expect(answer.statusCode, answer.body).toBe(201);
      accepted.push({ id: answer.json().id, key, body });
    }
    const before = {
      orders: await count('orders'),
      outbox: await count('outbox'),
      keys: await count('idempotency_keys'),
    };
    const refused = await post(order(), randomUUID());
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ statusCode: 503, code: 'FRM_BACKPRESSURE' });
    expect(refused.headers['retry-after']).toBe('9');
    expect({
      orders: await count('orders'),
      outbox: await count('outbox'),
      keys: await count('idempotency_keys'),
    }).toEqual(before);
    // A repeat of an accepted order is still answered: it adds nothing.
    const first = accepted[0];
    if (!first) throw new Error('unreachable');
    const replay = await post(first.body, first.key);
    expect(replay.statusCode).toBe(200);
    expect(replay.json().id).toBe(first.id);
    // An invalid order is still told what is wrong (422), not to come back later.
    expect((await post({ ...order(), sum: '-1' }, randomUUID())).statusCode).toBe(422);
    expect(await gauge('formation_backlog_orders')).toBe(LIMIT);
    expect(await gauge('formation_backlog_limit')).toBe(LIMIT);

    // One order reaches the Bank of Russia (sent), another is refused by control (terminal): both leave the
    // backlog, and new orders are taken again.
    const [a, b] = accepted;
    if (!a || !b) throw new Error('unreachable');
    for (const stage of ['controlled', 'signed-by-control', 'sent'] as const) await report(a.id, stage);
    expect((await post(order(), randomUUID())).statusCode).toBe(201);
    expect((await post(order(), randomUUID())).statusCode).toBe(503);
    await report(b.id, 'rejected-by-control');
    expect((await post(order(), randomUUID())).statusCode).toBe(201);
    expect((await post(order(), randomUUID())).statusCode).toBe(503);
    expect(await gauge('formation_backlog_orders')).toBe(LIMIT);
  });
});

describe('createBacklog', () => {
  it('reads the count at most once per refresh interval, counting the orders accepted meanwhile', async () => {
    let queries = 0;
    let now = 0;
    // The real database, with the reads counted.
    const db = {
      query: (...args: Parameters<typeof fx.db.pool.query>) => {
        queries += 1;
        return fx.db.pool.query(...args);
      },
    } as typeof fx.db.pool;
    const inFlight = Number(
      (
        await fx.db.pool.query<{ n: string }>(
          "select count(*) as n from orders where status in ('accepted', 'formed', 'signed-by-formation', 'controlled', 'signed-by-control')",
        )
      ).rows[0]?.n,
    );
    const backlog = createBacklog({ db, limit: inFlight + 2, refreshMs: 1000, now: () => now });
    expect(await backlog.admit()).toEqual({ ok: true, backlog: inFlight });
    backlog.accepted();
    expect(await backlog.admit()).toEqual({ ok: true, backlog: inFlight + 1 });
    backlog.accepted();
    expect(await backlog.admit()).toEqual({ ok: false, backlog: inFlight + 2, limit: inFlight + 2 });
    expect(queries).toBe(1);
    now = 1000;
    expect(await backlog.admit()).toEqual({ ok: true, backlog: inFlight });
    expect(queries).toBe(2);
    // Concurrent callers share one read.
    now = 2000;
    await Promise.all([backlog.admit(), backlog.admit(), backlog.admit()]);
    expect(queries).toBe(3);
  });
});
