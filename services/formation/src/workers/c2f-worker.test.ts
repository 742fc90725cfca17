import { randomUUID } from 'node:crypto';
import { JobError, type StatusPayload } from '@twincontour/platform';
import type { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriesValue } from '../adapters/metrics.js';
import type { OrderView } from '../domain/order-view.js';
import {
  auth,
  createFormationFixture,
  eventually,
  exampleOrder,
  type FormationFixture,
  TEST_KEYS,
} from '../testing/fixture.js';
import { C2F_CONSUMER, createC2fWorker, processStatusJob } from './c2f-worker.js';

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

async function view(id: string): Promise<OrderView> {
  const res = await fx.app.inject({ method: 'GET', url: `/v1/payment-orders/${id}`, headers: bo });
  return res.json() as OrderView;
}

function status(order: OrderView, stage: StatusPayload['stage'], extra: Partial<StatusPayload> = {}): StatusPayload {
  if (!order.ed) throw new Error('order without ED');
  return {
    type: 'order.status',
    version: 1,
    messageId: `c2f-${order.id}-${stage}`,
    orderId: order.id,
    ed: order.ed,
    stage,
    at: new Date().toISOString(),
    ...extra,
  };
}

async function stageRows(orderId: string): Promise<number> {
  const r = await fx.db.pool.query('select 1 from order_stages where order_id = $1', [orderId]);
  return r.rowCount ?? 0;
}

describe('c2f worker', () => {
  it('applies a rejected-by-control status once, even when it is delivered twice; GET shows it', async () => {
    const order = await newOrder();
    const diff = [
      { field: 'sum', ed: '12500000', source: '1250000' },
      { field: 'payee.inn', ed: '7812345675', source: null },
    ];
    const payload = status(order, 'rejected-by-control', { code: 'CTL_MISMATCH', reason: 'requisites differ', diff });
    await fx.queues.c2f.add('c2f', payload, { jobId: payload.messageId });
    const rejected = await eventually(async () => {
      const v = await view(order.id);
      return v.status === 'rejected-by-control' ? v : undefined;
    });
    expect(rejected.code).toBe('CTL_MISMATCH');
    expect(rejected.reason).toBe('requisites differ');
    expect(rejected.diff).toEqual(diff);
    expect(rejected.stages.map((s) => s.stage)).toEqual([
      'accepted',
      'formed',
      'signed-by-formation',
      'rejected-by-control',
    ]);
    expect(rejected.stages[3]).toEqual({
      stage: 'rejected-by-control',
      at: payload.at,
      code: 'CTL_MISMATCH',
      reason: 'requisites differ',
      diff,
    });

    // A second delivery of the same message (as after Redis lost the completed job): no second effect.
    const again = await fx.queues.c2f.add('c2f', payload, { jobId: `${payload.messageId}.redelivered` });
    const result = await eventually(async () =>
      (await again.isCompleted()) ? fx.queues.c2f.getJob(again.id ?? '') : undefined,
    );
    expect(result?.returnvalue).toEqual({ duplicate: true });
    expect(await stageRows(order.id)).toBe(4);
    expect(await view(order.id)).toEqual(rejected);
    expect(await seriesValue(fx.app.formationMetrics.controlFailures, { code: 'CTL_MISMATCH' })).toBe(1);

    // The refusal is terminal: a late progress report is recorded but cannot hide it.
    const late = await processStatusJob(
      { pool: fx.db.pool, logger: fx.logger, metrics: fx.app.formationMetrics },
      status(order, 'controlled'),
    );
    expect(late).toEqual({ duplicate: false, inserted: true, status: 'rejected-by-control' });
    expect((await view(order.id)).status).toBe('rejected-by-control');
  });

  it('holds a stage that overtook its predecessor while attempts remain, and records it anyway on the last', async () => {
    const order = await newOrder();
    const deps = { pool: fx.db.pool, logger: fx.logger, metrics: fx.app.formationMetrics };
    for (const stage of ['controlled', 'signed-by-control', 'sent'] as const) {
      await processStatusJob(deps, status(order, stage), { made: 0, allowed: 5 });
    }
    // ED206 overtook ED201 on the way back: executed waits for accepted-by-cbr.
    const early = await processStatusJob(deps, status(order, 'executed'), { made: 0, allowed: 5 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(early).toMatchObject({ code: 'FRM_STATUS_EARLY', retryable: true });
    expect((await view(order.id)).stages.map((s) => s.stage)).not.toContain('executed');
    await processStatusJob(deps, status(order, 'accepted-by-cbr'), { made: 0, allowed: 5 });
    await processStatusJob(deps, status(order, 'executed'), { made: 1, allowed: 5 });
    expect((await view(order.id)).stages.map((s) => s.stage).slice(-3)).toEqual([
      'sent',
      'accepted-by-cbr',
      'executed',
    ]);

    // Without a positive ED201 at all, executed is recorded on its last attempt: never lost for order's sake.
    const other = await newOrder();
    for (const stage of ['controlled', 'signed-by-control', 'sent'] as const) {
      await processStatusJob(deps, status(other, stage), { made: 0, allowed: 5 });
    }
    const last = await processStatusJob(deps, status(other, 'executed'), { made: 4, allowed: 5 });
    expect(last).toMatchObject({ inserted: true, status: 'executed' });
  });

  it('moves the status forward with progress stages, in whatever order they arrive', async () => {
    const order = await newOrder();
    const deps = { pool: fx.db.pool, logger: fx.logger, metrics: fx.app.formationMetrics };
    await processStatusJob(deps, status(order, 'signed-by-control'));
    await processStatusJob(deps, status(order, 'controlled'));
    const v = await view(order.id);
    expect(v.status).toBe('signed-by-control');
    expect(v.stages.map((s) => s.stage)).toEqual([
      'accepted',
      'formed',
      'signed-by-formation',
      'controlled',
      'signed-by-control',
    ]);
    expect(v.code).toBeUndefined();
    expect(
      await seriesValue(fx.app.formationMetrics.stageLatency, { stage: 'controlled' }, '_count'),
    ).toBeGreaterThanOrEqual(1);
  });

  it.each([
    [
      'a payload that breaks the contract',
      (o: OrderView) => ({ ...status(o, 'controlled'), extra: 1 }),
      'QUE_BAD_PAYLOAD',
    ],
    [
      'a time that is not a time',
      (o: OrderView) => status(o, 'controlled', { at: 'not-a-time-at-all-x' }),
      'QUE_BAD_PAYLOAD',
    ],
    [
      'one of formation’s own stages',
      (o: OrderView) => status(o, 'signed-by-formation'),
      'FRM_STATUS_STAGE_NOT_ALLOWED',
    ],
    [
      'an unknown order',
      (o: OrderView) => ({ ...status(o, 'controlled'), orderId: randomUUID(), messageId: `c2f-${randomUUID()}` }),
      'FRM_STATUS_ORDER_UNKNOWN',
    ],
    [
      'another ED under the order id',
      (o: OrderView) =>
        status(o, 'controlled', { ed: { ...(o.ed ?? { edDate: '', edAuthor: '' }), edNo: '999999999' } }),
      'FRM_STATUS_ED_MISMATCH',
    ],
  ])('refuses %s without retry and changes nothing', async (_name, make, code) => {
    const order = await newOrder();
    const payload = make(order);
    const deps = { pool: fx.db.pool, logger: fx.logger, metrics: fx.app.formationMetrics };
    const error = await processStatusJob(deps, payload).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JobError);
    expect((error as JobError).code).toBe(code);
    expect((error as JobError).retryable).toBe(false);
    expect(await stageRows(order.id)).toBe(3);
    expect((await view(order.id)).status).toBe('signed-by-formation');
    const processed = await fx.db.pool.query(
      'select 1 from processed_messages where consumer = $1 and message_id = $2',
      [C2F_CONSUMER, (payload as { messageId: string }).messageId],
    );
    expect(processed.rowCount).toBe(0);
  });

  it('fails a hostile job in the real queue at once, with its code in the failed reason', async () => {
    const order = await newOrder();
    const job = await fx.queues.c2f.add(
      'c2f',
      { ...status(order, 'controlled'), stage: 'paid' },
      { jobId: `bad-${order.id}` },
    );
    const failed = await eventually(async () => {
      // Read the job again once failed: a Job object holds the fields as they were when it was fetched.
      const failedNow = await job.isFailed();
      return failedNow ? fx.queues.c2f.getJob(job.id ?? '') : undefined;
    });
    expect(failed?.failedReason).toMatch(/^QUE_BAD_PAYLOAD: /);
    expect(failed?.attemptsMade).toBe(1);
    expect(fx.logLines.some((l) => l.includes('"event":"security"') && l.includes('QUE_BAD_PAYLOAD'))).toBe(true);
  });
});
