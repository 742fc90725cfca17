import {
  createLogger,
  createTestDatabase,
  type ExchangeStatePayload,
  JobError,
  migrate,
  PLATFORM_MIGRATIONS_DIR,
  type TestDatabase,
} from '@twincontour/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createT2cHandler } from './t2c.js';

// 802-П п. 19: transport's exchange-state message passes through control to formation unchanged but for
// its message id, once, through the outbox.

let db: TestDatabase;
let handle: ReturnType<typeof createT2cHandler>;

beforeAll(async () => {
  db = await createTestDatabase();
  const migrated = await migrate({ pool: db.pool, dir: PLATFORM_MIGRATIONS_DIR, scope: 'platform' });
  if (!migrated.ok) throw new Error(migrated.code);
  handle = createT2cHandler({ pool: db.pool, logger: createLogger({ service: 'control-test', level: 'silent' }) });
});

afterAll(async () => {
  await db?.drop();
});

const message: ExchangeStatePayload = {
  type: 'exchange.state',
  version: 1,
  messageId: 't2c-exchange-2',
  seq: 2,
  state: 'suspending',
  incidentId: '5d0c1f4e-0c55-4d1a-b7a4-7f6f1d2a9b10',
  at: '2026-12-02T09:00:00.123Z',
};

async function c2fRow(id: string): Promise<unknown> {
  const result = await db.pool.query<{ queue: string; payload: unknown }>(
    'select queue, payload from outbox where id = $1',
    [id],
  );
  return result.rows[0];
}

describe('exchange-state messages on t2c', () => {
  it('forwards one to c2f as c2f-exchange-<seq>, once', async () => {
    expect(await handle(message, message.messageId)).toBe('forwarded');
    expect(await c2fRow('c2f-exchange-2')).toEqual({
      queue: 'c2f',
      payload: { ...message, messageId: 'c2f-exchange-2' },
    });
    expect(await handle(message, message.messageId)).toBe('duplicate-message');
  });

  it.each([
    ['an unknown state', { ...message, state: 'paused' }],
    ['a message id that is not t2c-exchange-<seq>', { ...message, messageId: 't2c-exchange-99' }],
    ['an extra field', { ...message, orderId: 'x' }],
  ])('refuses %s without retry and forwards nothing', async (_name, value) => {
    const error = await handle(value, 'job').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobError);
    expect((error as JobError).retryable).toBe(false);
    expect((error as JobError).code).toBe('QUE_BAD_PAYLOAD');
    expect(await c2fRow('c2f-exchange-99')).toBeUndefined();
  });
});
