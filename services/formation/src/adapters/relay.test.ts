import { randomUUID } from 'node:crypto';
import { createWorker, type F2cPayload, parseBoundaryPayload, QUEUE_NAMES } from '@twincontour/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderView } from '../domain/order-view.js';
import {
  auth,
  createFormationFixture,
  eventually,
  exampleOrder,
  type FormationFixture,
  TEST_KEYS,
} from '../testing/fixture.js';
import { findEdBytes } from './order-store.js';

let fx: FormationFixture;

beforeAll(async () => {
  fx = await createFormationFixture();
});
afterAll(async () => {
  await fx?.close();
});

async function outboxRow(id: string) {
  const r = await fx.db.pool.query<{ enqueued_at: Date | null; acked_at: Date | null; attempts: number }>(
    'select enqueued_at, acked_at, attempts from outbox where id = $1',
    [id],
  );
  return r.rows[0];
}

describe('f2c hand-over through the outbox', () => {
  it('loses nothing between commit and enqueue, refills a Redis that lost its keys, acks once consumed', async () => {
    // The relay is stopped: the order commits, the job is not in Redis yet (a crash right after COMMIT).
    const res = await fx.app.inject({
      method: 'POST',
      url: '/v1/payment-orders',
      headers: { ...auth(TEST_KEYS.backoffice), 'idempotency-key': randomUUID() },
      payload: exampleOrder('payment-order'),
    });
    expect(res.statusCode, res.body).toBe(201);
    const order = res.json() as OrderView;
    const jobId = `f2c-${order.id}`;
    expect(await fx.queues.f2c.getJob(jobId)).toBeUndefined();
    expect((await outboxRow(jobId))?.enqueued_at).toBeNull();
    const ed = await findEdBytes(fx.db.pool, order.id);

    // The relay starts (the restarted process): the committed hand-over reaches the queue.
    fx.relay.start();
    const job = await eventually(() => fx.queues.f2c.getJob(jobId));
    expect(await job.getState()).toBe('waiting');
    const payload = parseBoundaryPayload('f2c', job.data);
    if (!payload.ok) throw new Error(JSON.stringify(payload.errors));
    expect(Buffer.from(payload.value.edBase64, 'base64').equals(Buffer.from(ed ?? []))).toBe(true);

    // The boundary Redis loses every key: the relay adds the job again from the outbox.
    expect(await fx.deleteBoundaryKeys()).toBeGreaterThan(0);
    expect(await fx.queues.f2c.getJob(jobId)).toBeUndefined();
    const again = await eventually(() => fx.queues.f2c.getJob(jobId));
    expect(again.data).toEqual(job.data);
    expect((await outboxRow(jobId))?.attempts).toBeGreaterThanOrEqual(2);
    expect(fx.logLines.some((l) => l.includes('outbox rows re-enqueued') && l.includes(jobId))).toBe(true);

    // A consumer (control's side of the boundary) completes the job: the relay acknowledges the row.
    const received: F2cPayload[] = [];
    const consumer = createWorker(
      QUEUE_NAMES.f2c,
      async (j) => {
        const p = parseBoundaryPayload('f2c', j.data);
        if (p.ok) received.push(p.value);
      },
      { connection: fx.queues.connection, prefix: fx.queues.prefix },
    );
    try {
      await eventually(async () => (await outboxRow(jobId))?.acked_at ?? undefined);
      expect(received.map((p) => p.messageId)).toContain(jobId);
    } finally {
      await consumer.close();
      await fx.relay.stop();
    }
  });
});
