import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edFileName } from '../../domain/handover.js';
import { answerEnvelope, controlPayload, createHarness, exampleOrder, type Harness, waitFor } from '../../testing.js';
import { createArmKbrAdapter } from './arm-kbr.js';

let h: Harness;
let outDir: string;
let inDir: string;
let edCounter = 3000;
let answerCounter = 500;

beforeAll(async () => {
  h = await createHarness(
    async (pki) => {
      outDir = join(pki, '..', 'arm-out');
      inDir = join(pki, '..', 'arm-in');
      mkdirSync(outDir);
      mkdirSync(inDir);
      return createArmKbrAdapter({ outDir, inDir });
    },
    { answerPollMs: 60 },
  );
}, 60_000);

afterAll(async () => {
  await h?.close();
});

async function deliverOne() {
  const orderId = `arm-${randomUUID()}`;
  const { payload, envelope } = await controlPayload(exampleOrder(), {
    orderId,
    edNo: String(edCounter++),
    zkSigners: [h.signers.formation, h.signers.control],
    kaSigner: h.signers.control,
  });
  await h.sendC2t(payload, payload.messageId);
  await waitFor(() => h.t2c(orderId, 'sent'), 15_000, 'sent');
  return { orderId, payload, envelope };
}

describe('arm-kbr: the АРМ КБР-Н folders', () => {
  it('puts the envelope in the pickup folder only complete (no .tmp left), and a redelivered job does not write it again', async () => {
    const { orderId, payload, envelope } = await deliverOne();
    const name = edFileName(payload.ed);
    expect(readdirSync(outDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readFileSync(join(outDir, name)).equals(Buffer.from(envelope))).toBe(true);
    const view = await h.app.inject({ url: `/v1/messages/${orderId}`, headers: { 'x-api-key': h.keys.security.key } });
    expect(view.json()).toMatchObject({
      state: 'sent',
      channel: 'arm-kbr',
      fileName: name,
      reference: join(outDir, name),
    });
    // Archive: exactly the envelope written (the АРМ does the channel encryption).
    const archived = await h.db.pool.query<{ kind: string; bytes: Buffer }>(
      `select kind, bytes from archive where order_id = $1 and direction = 'out'`,
      [orderId],
    );
    expect(archived.rows.map((r) => r.kind)).toEqual(['envelope']);
    expect(archived.rows[0]?.bytes.equals(Buffer.from(envelope))).toBe(true);

    // The АРМ takes the file; the same job comes again (BullMQ at-least-once): nothing is written.
    rmSync(join(outDir, name));
    expect(await h.runtime.c2t.handleC2t(payload, payload.messageId)).toEqual({ kind: 'duplicate-message' });
    expect(existsSync(join(outDir, name))).toBe(false);
    await h.runtime.queues.c2t.add('c2t', payload, { jobId: `${payload.messageId}-again` });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(existsSync(join(outDir, name))).toBe(false);
  });

  it('delivers idempotently: the same file again is a no-op, another file under the name is a conflict', async () => {
    const dir = join(h.work, 'idempotent');
    mkdirSync(dir);
    const adapter = createArmKbrAdapter({ outDir: dir, inDir: join(h.work, 'unused-in') });
    const ed = { edNo: '1', edDate: '2025-04-15', edAuthor: '4525545000' };
    const file = await adapter.prepare({ name: edFileName(ed), bytes: Buffer.from('<a/>'), ed });
    expect(await adapter.deliver(file)).toEqual({ ok: true, value: { reference: join(dir, edFileName(ed)) } });
    expect(await adapter.deliver(file)).toEqual({ ok: true, value: { reference: join(dir, edFileName(ed)) } });
    expect(readdirSync(dir)).toEqual([edFileName(ed)]);
    const other = await adapter.deliver({ ...file, wire: Buffer.from('<b/>') });
    expect(other.ok === false && other.code).toBe('TRN_DELIVERY_CONFLICT');
    expect(readFileSync(join(dir, edFileName(ed)), 'utf8')).toBe('<a/>');
    const bad = await adapter.deliver({ ...file, name: '../escape.xml' });
    expect(bad.ok === false && bad.code).toBe('TRN_DELIVERY_FAILED');
  });

  it('takes an answer from the incoming folder once, ignoring a half-written .tmp until it is renamed', async () => {
    const { orderId, payload } = await deliverOne();
    const answer = await answerEnvelope(
      {
        kind: 'ED201',
        edNo: String(answerCounter++),
        refersTo: payload.ed,
        ctrlCode: '0000',
        annotation: 'ЭС принято',
      },
      h.signers.cbr,
    );
    const final = `ED201_${orderId}.xml`;
    // Half-written: the first half only, under .tmp.
    writeFileSync(join(inDir, `${final}.tmp`), answer.subarray(0, Math.floor(answer.length / 2)));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(existsSync(join(inDir, `${final}.tmp`))).toBe(true);
    expect(await h.t2c(orderId, 'accepted-by-cbr')).toBeUndefined();
    const none = await h.db.pool.query("select 1 from archive where direction = 'in' and source_ref like $1", [
      `${final}%`,
    ]);
    expect(none.rowCount).toBe(0);

    // The АРМ finishes the file and renames it in.
    writeFileSync(join(inDir, `${final}.tmp`), answer);
    renameSync(join(inDir, `${final}.tmp`), join(inDir, final));
    const accepted = await waitFor(() => h.t2c(orderId, 'accepted-by-cbr'), 10_000, 'accepted-by-cbr');
    expect(accepted.ed).toEqual(payload.ed);
    await waitFor(async () => (existsSync(join(inDir, 'processed', final)) ? true : undefined));
    expect(existsSync(join(inDir, final))).toBe(false);

    // The same answer dropped again (another name): archived once, applied once.
    writeFileSync(join(inDir, `again-${final}`), answer);
    await waitFor(async () => (existsSync(join(inDir, 'processed', `again-${final}`)) ? true : undefined));
    const answers = await h.db.pool.query('select 1 from answers where order_id = $1', [orderId]);
    expect(answers.rowCount).toBe(1);
    const archived = await h.db.pool.query<{ source_ref: string }>(
      "select source_ref from archive where direction = 'in' and order_id = $1",
      [orderId],
    );
    expect(archived.rows.map((r) => r.source_ref)).toEqual([final]);
  });

  it('moves a refused answer (not signed by the Bank of Russia) to rejected/ and changes nothing', async () => {
    const { orderId, payload } = await deliverOne();
    const forged = await answerEnvelope(
      {
        kind: 'ED206',
        edNo: String(answerCounter++),
        refersTo: payload.ed,
        sum: '12500000',
        accDoc: { accDocNo: '1482', accDocDate: '2025-04-15' },
      },
      h.signers.transport,
    );
    const name = `ED206_${orderId}.xml`;
    writeFileSync(join(inDir, name), forged);
    await waitFor(async () => (existsSync(join(inDir, 'rejected', name)) ? true : undefined));
    const archived = await h.db.pool.query<{ code: string }>('select code from archive where source_ref = $1', [name]);
    expect(archived.rows.map((r) => r.code)).toEqual(['TRN_ANSWER_SIGNATURE_INVALID']);
    expect(await h.t2c(orderId, 'executed')).toBeUndefined();
    const line = h.logLines.find((l) => l.event === 'security' && l.answerRef === name);
    expect(line).toMatchObject({ code: 'TRN_ANSWER_SIGNATURE_INVALID', sigCode: 'SIG_WRONG_CONTOUR' });
  });
});
