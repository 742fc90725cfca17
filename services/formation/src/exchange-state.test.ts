import { randomUUID } from 'node:crypto';
import { type ExchangeStatePayload, JobError, type StatusPayload } from '@twincontour/platform';
import type { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExchangeGate } from './adapters/exchange-state.js';
import type { OrderView } from './domain/order-view.js';
import {
  auth,
  createFormationFixture,
  eventually,
  exampleOrder,
  type FormationFixture,
  TEST_KEYS,
} from './testing/fixture.js';
import { createC2fWorker, processC2fJob } from './workers/c2f-worker.js';

// 802-П п. 19 at formation: transport's exchange-state message (through control, queue c2f) closes the
// intake with 503 EXCHANGE_SUSPENDED; an order transport annulled says the back office must send a new one.

let fx: FormationFixture;
let worker: Worker;
const bo = auth(TEST_KEYS.backoffice);

beforeAll(async () => {
  fx = await createFormationFixture();
  worker = createC2fWorker({
    pool: fx.db.pool,
    logger: fx.logger,
    metrics: fx.app.formationMetrics,
    connection: fx.queues.connection,
    prefix: fx.queues.prefix,
  });
});

afterAll(async () => {
  await worker?.close();
  await fx?.close();
});

const deps = () => ({ pool: fx.db.pool, logger: fx.logger, metrics: fx.app.formationMetrics });

function exchange(seq: number, state: ExchangeStatePayload['state']): ExchangeStatePayload {
  return {
    type: 'exchange.state',
    version: 1,
    messageId: `c2f-exchange-${seq}`,
    seq,
    state,
    ...(state === 'running' ? {} : { incidentId: '5d0c1f4e-0c55-4d1a-b7a4-7f6f1d2a9b10' }),
    at: new Date().toISOString(),
  };
}

function freshOrder(): Record<string, unknown> {
  return { ...exampleOrder('payment-order'), accDocNo: String(1 + Math.floor(Math.random() * 899_999)) };
}

async function post(key: string = randomUUID(), payload = freshOrder(), app = fx.app) {
  return app.inject({
    method: 'POST',
    url: '/v1/payment-orders',
    headers: { ...bo, 'idempotency-key': key },
    payload,
  });
}

async function orders(): Promise<number> {
  return Number((await fx.db.pool.query<{ n: string }>('select count(*) as n from orders')).rows[0]?.n);
}

describe('the exchange state at formation (802-П п. 19)', () => {
  let accepted: OrderView;
  let acceptedKey: string;
  let acceptedBody: Record<string, unknown>;

  it('takes orders while the exchange runs', async () => {
    acceptedKey = randomUUID();
    acceptedBody = freshOrder();
    const res = await post(acceptedKey, acceptedBody);
    expect(res.statusCode, res.body).toBe(201);
    accepted = res.json() as OrderView;
  });

  it('answers 503 EXCHANGE_SUSPENDED with Retry-After once transport reports a suspension; stores nothing', async () => {
    await worker.close();
    expect(await processC2fJob(deps(), exchange(2, 'suspending'))).toEqual({ duplicate: false, recorded: true });
    const before = await orders();
    // A fresh app reads the state at once (the running app's cache may hold `running` for up to a second).
    const refused = await post(randomUUID(), freshOrder(), await fx.build());
    expect(refused.json()).toMatchObject({ statusCode: 503, code: 'EXCHANGE_SUSPENDED' });
    expect(refused.headers['retry-after']).toBe('60');
    expect(await orders()).toBe(before);

    // A replay of an order accepted before is still answered (it is not a new order).
    const replay = await post(acceptedKey, acceptedBody);
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('keeps the newest state whatever order the messages arrive in, and a restart keeps it (PostgreSQL)', async () => {
    expect(await processC2fJob(deps(), exchange(1, 'running'))).toEqual({ duplicate: false, recorded: false });
    expect(await processC2fJob(deps(), exchange(2, 'suspending'))).toEqual({ duplicate: true, recorded: false });
    expect(await processC2fJob(deps(), exchange(3, 'suspended'))).toEqual({ duplicate: false, recorded: true });
    expect((await createExchangeGate(fx.db.pool).current()).state).toBe('suspended');
    const restarted = await fx.build();
    const res = await restarted.inject({
      method: 'POST',
      url: '/v1/payment-orders',
      headers: { ...bo, 'idempotency-key': randomUUID() },
      payload: exampleOrder('payment-order'),
    });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('EXCHANGE_SUSPENDED');
  });

  it('refuses an exchange-state message that breaks the contract, without retry', async () => {
    for (const bad of [
      { ...exchange(9, 'suspended'), state: 'paused' },
      { ...exchange(9, 'suspended'), messageId: 'c2f-exchange-8' },
    ]) {
      const error = await processC2fJob(deps(), bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JobError);
      expect((error as JobError).retryable).toBe(false);
    }
    expect((await createExchangeGate(fx.db.pool).current()).seq).toBe(3);
  });

  it('shows an annulled order with the code and the instruction to send a new order', async () => {
    if (!accepted.ed) throw new Error('no ED');
    const annulled: StatusPayload = {
      type: 'order.status',
      version: 1,
      messageId: `c2f-${accepted.id}-annulled`,
      orderId: accepted.id,
      ed: accepted.ed,
      stage: 'annulled',
      at: new Date().toISOString(),
      code: 'EXCHANGE_SUSPENDED',
      reason: 'the exchange with the Bank of Russia was suspended for incident x (802-П п. 19): send a new order',
    };
    await processC2fJob(deps(), annulled);
    const view = (await fx.app.inject({ url: `/v1/payment-orders/${accepted.id}`, headers: bo })).json() as OrderView;
    expect(view).toMatchObject({ status: 'annulled', code: 'EXCHANGE_SUSPENDED' });
    expect(view.reason).toContain('send a new order');
  });

  it('takes orders again once transport reports the exchange running', async () => {
    await processC2fJob(deps(), exchange(4, 'resuming'));
    await processC2fJob(deps(), exchange(5, 'running'));
    const res = await eventually(async () => {
      const answer = await post();
      return answer.statusCode === 201 ? answer : undefined;
    }, 5_000);
    expect(res.json().status).toBe('signed-by-formation');
  });
});
