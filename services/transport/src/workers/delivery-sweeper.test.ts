import { randomUUID } from 'node:crypto';
import { loadTrustStore } from '@twincontour/crypto';
import { createLogger } from '@twincontour/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryAdapter, loadTransportKeys } from '../adapters/delivery/index.js';
import type { DeliveryAdapter, PreparedFile } from '../adapters/delivery/types.js';
import { parseTransportConfig } from '../config.js';
import {
  answerEnvelope,
  controlPayload,
  createHarness,
  exampleOrder,
  type Harness,
  startPeer,
  type TestPeer,
  waitFor,
} from '../testing.js';
import { C2T_CONSUMER } from './c2t-processor.js';
import { createDeliverySweeper } from './delivery-sweeper.js';

// Issue 8: a message recorded `delivering` whose worker died after the Bank of Russia took it (and before
// `sent` committed) must be delivered by the sweeper with the same bytes, and take effect exactly once.

let h: Harness;
let peer: TestPeer;
/** The wire bytes of every delivery attempt, in order. */
const attempts: { edRef: string; wire: Buffer }[] = [];
/** When set, the next delivery reaches the peer and then "the process dies" before anything is recorded. */
let dieAfterNextDelivery = false;

beforeAll(async () => {
  h = await createHarness(async (pki, pool) => {
    peer = await startPeer(pki);
    const config = parseTransportConfig({
      TWINCONTOUR_DATABASE_URL: 'postgres://transport@127.0.0.1/transport',
      TWINCONTOUR_C2T_REDIS_URL: 'redis://127.0.0.1:6379',
      TWINCONTOUR_PKI_DIR: pki,
      TWINCONTOUR_PEER_URL: peer.url,
      TWINCONTOUR_PEER_TIMEOUT_MS: '5000',
    });
    if (!config.ok) throw new Error(JSON.stringify(config.errors));
    const keys = await loadTransportKeys(config.value);
    if (!keys.ok) throw new Error(keys.message);
    const trust = await loadTrustStore(pki);
    if (!trust.ok) throw new Error(trust.code);
    const real = await createDeliveryAdapter(config.value, { pool, keys: keys.value, validator: trust.value });
    trust.value.close();
    if (!real.ok) throw new Error(real.message);
    const adapter: DeliveryAdapter = {
      ...real.value,
      async deliver(file: PreparedFile) {
        attempts.push({ edRef: `${file.ed.edAuthor}-${file.ed.edDate}-${file.ed.edNo}`, wire: Buffer.from(file.wire) });
        const result = await real.value.deliver(file);
        if (dieAfterNextDelivery) {
          dieAfterNextDelivery = false;
          throw new Error('killed after the peer took the ED');
        }
        return result;
      },
    };
    return adapter;
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
  await peer?.close();
});

async function messageRow(orderId: string) {
  const result = await h.db.pool.query<{ state: string; lease_live: boolean }>(
    'select state, coalesce(lease_until > now(), false) as lease_live from messages where order_id = $1',
    [orderId],
  );
  return result.rows[0];
}

describe('the delivery sweeper', () => {
  it('re-drives a delivery whose worker died after the peer took it: same bytes, one receipt, one `sent`', async () => {
    const orderId = `ord-${randomUUID()}`;
    const { payload, envelope } = await controlPayload(exampleOrder(), {
      orderId,
      edNo: '7001',
      zkSigners: [h.signers.formation, h.signers.control],
      kaSigner: h.signers.control,
    });
    const edRef = `${payload.ed.edAuthor}-${payload.ed.edDate}-${payload.ed.edNo}`;
    dieAfterNextDelivery = true;
    // The job's first attempt: recorded, delivered, then the process "dies" before `sent` commits.
    await expect(h.runtime.c2t.handleC2t(payload, payload.messageId)).rejects.toThrow(/killed/);
    expect(peer.received.filter((r) => r.edRef === edRef)).toHaveLength(1);
    expect(await messageRow(orderId)).toEqual({ state: 'delivering', lease_live: false });

    // The Bank of Russia answers at once: its ED201 names an ED transport has not recorded `sent` yet. It
    // must wait for the delivery to complete, not be refused as unmatched (and lost).
    await peer.pushAnswer(
      await answerEnvelope(
        { kind: 'ED201', edNo: '9001', refersTo: payload.ed, ctrlCode: '0000', annotation: 'accepted' },
        h.signers.cbr,
      ),
    );
    const polled = peer.polls();
    await waitFor(async () => (peer.polls() >= polled + 3 ? true : undefined), 10_000, 'three answer polls');
    const unmatched = await h.db.pool.query(
      `select 1 from archive where direction = 'in' and code = 'TRN_ANSWER_UNMATCHED'`,
    );
    expect(unmatched.rowCount).toBe(0);

    const sweeper = createDeliverySweeper({
      pool: h.db.pool,
      logger: createLogger({ service: 'transport', level: 'fatal' }),
      redeliver: (id) => h.runtime.c2t.redeliver(id),
      graceMs: 60_000,
    });
    // Touched within the grace period, the message may still be in a retrying job's hands: left alone.
    await sweeper.sweep();
    expect(attempts.filter((a) => a.edRef === edRef)).toHaveLength(1);

    // Time passes and no job comes back for it (its retries were spent, or its worker is gone).
    await h.db.pool.query(
      `update messages set lease_until = now() - interval '1 second', updated_at = now() - interval '2 minutes'
        where order_id = $1`,
      [orderId],
    );
    await sweeper.sweep();
    const sent = await waitFor(() => h.t2c(orderId, 'sent'), 15_000, 'the sent status');
    expect(sent).toMatchObject({ stage: 'sent', ed: payload.ed });
    expect((await messageRow(orderId))?.state).toBe('sent');
    // The answer that waited is taken now.
    const accepted = await waitFor(() => h.t2c(orderId, 'accepted-by-cbr'), 15_000, 'the accepted-by-cbr status');
    expect(accepted).toMatchObject({ stage: 'accepted-by-cbr', ed: payload.ed });

    // Same wire bytes both times (the channel's idempotency key is the ED identity with the same envelope),
    // and the peer holds one receipt.
    const mine = attempts.filter((a) => a.edRef === edRef);
    expect(mine).toHaveLength(2);
    expect(mine[1]?.wire.equals(mine[0]?.wire ?? Buffer.alloc(0))).toBe(true);
    expect(peer.received.filter((r) => r.edRef === edRef)).toHaveLength(1);
    expect(
      Buffer.from(peer.received.find((r) => r.edRef === edRef)?.envelope ?? []).equals(Buffer.from(envelope)),
    ).toBe(true);

    // The effect happened once: one processed message, the envelope archived once as sent.
    const processed = await h.db.pool.query(
      'select 1 from processed_messages where consumer = $1 and message_id = $2',
      [C2T_CONSUMER, payload.messageId],
    );
    expect(processed.rowCount).toBe(1);
    const archived = await h.db.pool.query<{ kind: string; n: number }>(
      `select kind, count(*)::int as n from archive where order_id = $1 and direction = 'out' group by kind order by kind collate "C"`,
      [orderId],
    );
    expect(archived.rows).toEqual([
      { kind: 'envelope', n: 1 },
      { kind: 'enveloped-data', n: 1 },
    ]);

    // Sweeping again, or the job coming back late, sends nothing more.
    await sweeper.sweep();
    expect(await h.runtime.c2t.handleC2t(payload, payload.messageId)).toEqual({ kind: 'duplicate-message' });
    expect(attempts.filter((a) => a.edRef === edRef)).toHaveLength(2);
  });
});
