// Replayed messages (issue 8): the same Idempotency-Key with another body, the same primary document again,
// the same c2t message twice, the same answer of the Bank of Russia twice, all at once as well as in turn.
// Each repeat is answered with the first outcome or a stable refusal, and leaves exactly one set of rows.
// Also: markup in an order's text is accepted as text and written escaped into the ED, never as markup.
import { randomUUID } from 'node:crypto';
import { parseEd101, xsdValidate } from '@twincontour/ufebs';
import { describe, expect, it } from 'vitest';
import { findEdBytes } from '../../../services/formation/src/adapters/order-store.js';
import {
  answerEnvelope,
  controlPayload,
  exampleOrder as transportOrder,
} from '../../../services/transport/src/testing.js';
import { exampleOrder } from '../support/inputs.js';
import { judge } from '../support/judge.js';
import { as, rowCounts, type Stack } from '../support/stack.js';
import type { Tally } from '../support/tally.js';

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let docNo = 9000;
/** The example order as a new document (its own number), so tests never collide. */
function freshOrder(): Record<string, unknown> {
  return { ...exampleOrder(), accDocNo: String(docNo++) };
}

/** The replay tests, over the stack `current()` returns. */
export function replays(current: () => Stack, tally: Tally): void {
  describe('formation: POST /v1/payment-orders', () => {
    const post = (body: unknown, key: string) =>
      current().services.formation.app.inject({
        method: 'POST',
        url: '/v1/payment-orders',
        headers: { ...as('formation', 'backoffice'), 'idempotency-key': key },
        payload: body as object,
      });

    it('the same Idempotency-Key with another body is 409 FRM_IDEMPOTENCY_CONFLICT; the same body replays the order', async () => {
      const { pool, catalog } = current().services.formation;
      const key = `replay-${randomUUID()}`;
      const order = freshOrder();
      const first = await post(order, key);
      expect(first.statusCode, first.body).toBe(201);
      const before = await rowCounts(pool);
      const other = { ...order, sum: '100' };
      for (let i = 0; i < 5; i++) {
        tally.count('replay-idempotency-key');
        const conflict = await post(other, key);
        judge(tally, catalog, 'replay with another body', { statusCode: conflict.statusCode, body: conflict.body });
        expect(conflict.statusCode).toBe(409);
        expect(conflict.json().code).toBe('FRM_IDEMPOTENCY_CONFLICT');
        tally.count('replay-idempotency-key');
        const again = await post(order, key);
        expect(again.statusCode).toBe(200);
        expect(again.headers['idempotent-replayed']).toBe('true');
        expect(again.json().id).toBe(first.json().id);
      }
      expect(await rowCounts(pool)).toEqual(before);
    });

    it('one key sent many times at once, with two bodies: one order, every answer 201, 200 (replayed) or 409', async () => {
      const { pool, catalog } = current().services.formation;
      const before = await rowCounts(pool);
      const key = `race-${randomUUID()}`;
      const a = freshOrder();
      const b = { ...a, sum: '777' };
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => post(i % 2 === 0 ? a : b, key)));
      tally.count('replay-concurrent', answers.length);
      for (const answer of answers) {
        judge(tally, catalog, 'concurrent replay', { statusCode: answer.statusCode, body: answer.body });
        expect([200, 201, 409]).toContain(answer.statusCode);
      }
      expect(answers.filter((r) => r.statusCode === 201)).toHaveLength(1);
      const ids = new Set(answers.filter((r) => r.statusCode < 300).map((r) => (r.json() as { id: string }).id));
      expect(ids.size).toBe(1);
      const after = await rowCounts(pool);
      expect((after.orders ?? 0) - (before.orders ?? 0)).toBe(1);
      expect((after.outbox ?? 0) - (before.outbox ?? 0)).toBe(1);
    });

    it('markup in text fields is taken as text: the ED carries it escaped, parses back to the same text, and is valid against the XSD', async () => {
      const order = freshOrder();
      const purpose = 'Оплата ]]></Purpose><Payee>evil</Payee><!-- &lol; <![CDATA[ x ]]> "\'';
      order.purpose = purpose;
      tally.count('markup-injection');
      const answer = await post(order, `markup-${randomUUID()}`);
      expect(answer.statusCode, answer.body).toBe(201);
      const bytes = await findEdBytes(current().services.formation.pool, (answer.json() as { id: string }).id);
      if (!bytes) throw new Error('no ED stored');
      const ed = parseEd101(bytes);
      expect(ed.ok).toBe(true);
      if (ed.ok) expect(ed.value.purpose).toBe(purpose);
      expect((await xsdValidate(bytes)).ok).toBe(true);
    });
  });

  describe('control: POST /v1/source-documents', () => {
    it('the same document again is 200 replayed, another document under its key 409 CTL_SOURCE_CONFLICT, at once or in turn', async () => {
      const { app, pool, catalog } = current().services.control;
      const post = (body: unknown) =>
        app.inject({
          method: 'POST',
          url: '/v1/source-documents',
          headers: as('control', 'backoffice'),
          payload: body as object,
        });
      const document = freshOrder();
      const first = await post(document);
      expect(first.statusCode, first.body).toBe(201);
      const before = await rowCounts(pool);
      const changed = { ...document, sum: '999' };
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => post(i % 2 === 0 ? document : changed)));
      tally.count('replay-source-document', answers.length);
      for (const [i, answer] of answers.entries()) {
        judge(tally, catalog, 'source replay', { statusCode: answer.statusCode, body: answer.body });
        if (i % 2 === 0) {
          expect(answer.statusCode).toBe(200);
          expect(answer.headers['idempotent-replayed']).toBe('true');
          expect(answer.json().id).toBe(first.json().id);
        } else {
          expect(answer.statusCode).toBe(409);
          expect(answer.json().code).toBe('CTL_SOURCE_CONFLICT');
        }
      }
      expect(await rowCounts(pool)).toEqual(before);
    });
  });

  describe('transport: the same c2t message twice, the same answer twice', () => {
    it('delivers a c2t message sent twice (and twice at once) exactly once; a different message under its id is refused', async () => {
      const h = current().transport;
      const peer = current().peer;
      const orderId = `replay-${randomUUID()}`;
      const { payload } = await controlPayload(transportOrder(), {
        orderId,
        edNo: String(880_000 + Math.floor(Math.random() * 100_000)),
        zkSigners: [h.signers.formation, h.signers.control],
        kaSigner: h.signers.control,
      });
      const before = peer.received.length;
      // The relay's job id, then the same message under two other job ids at once (a Redis that lost its
      // memory and an outbox that re-enqueued).
      await h.sendC2t(payload, payload.messageId);
      await Promise.all([
        h.sendC2t(payload, `${payload.messageId}-again-1`),
        h.sendC2t(payload, `${payload.messageId}-again-2`),
      ]);
      tally.count('replay-c2t', 3);
      await waitFor(() => h.t2c(orderId, 'sent'), 'sent');
      // A different envelope under the same order id and message id.
      const { payload: other } = await controlPayload(transportOrder(), {
        orderId,
        edNo: String(770_000 + Math.floor(Math.random() * 100_000)),
        zkSigners: [h.signers.formation, h.signers.control],
        kaSigner: h.signers.control,
      });
      await h.sendC2t(other, `${payload.messageId}-other`);
      tally.count('replay-c2t');
      await new Promise((r) => setTimeout(r, 1_500));
      const rows = await h.db.pool.query('select 1 from messages where order_id = $1', [orderId]);
      expect(rows.rowCount).toBe(1);
      const mine = peer.received.slice(before).filter((r) => r.edRef.endsWith(`-${payload.ed.edNo}`));
      expect(mine).toHaveLength(1);
      expect(peer.received.slice(before).filter((r) => r.edRef.endsWith(`-${other.ed.edNo}`))).toHaveLength(0);

      // The same ED201 answer published twice (and a third time): one answer row, one status.
      const answer = await answerEnvelope(
        {
          kind: 'ED201',
          edNo: String(60_000 + Math.floor(Math.random() * 10_000)),
          refersTo: payload.ed,
          ctrlCode: '0000',
          annotation: 'ЭС принято',
        },
        h.signers.cbr,
      );
      for (let i = 0; i < 3; i++) await peer.pushAnswer(answer);
      tally.count('replay-answer', 3);
      await waitFor(() => h.t2c(orderId, 'accepted-by-cbr'), 'accepted-by-cbr');
      await new Promise((r) => setTimeout(r, 1_000));
      const answers = await h.db.pool.query('select 1 from answers where order_id = $1', [orderId]);
      expect(answers.rowCount).toBe(1);
    });
  });
}
