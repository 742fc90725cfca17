// Audit log throughput against the real PostgreSQL (QUEUES.md "Hash-chained audit table"): how fast
// record() fills the inbox from many connections, how fast the single chainer links it in batches,
// and how long verify() takes for the whole chain. Measured here, never asserted in tests.
// Run: `pnpm bench audit` from the repository root, or `npx tsx bench/audit-bench.ts` here.
// BENCH_EVENTS (default 20000) sets the chain length; BENCH_WRITERS (default 16) the connections.
import { createTestAuditLog } from '../src/testing.js';
import type { AuditEventInput } from '../src/types.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const WRITERS = Number(process.env.BENCH_WRITERS ?? 16);

const event = (n: number): AuditEventInput => ({
  type: 'signature.checked',
  actor: 'service:control',
  result: 'pass',
  orderId: `order-${n}`,
  messageId: `f2c-order-${n}`,
  ed: { edNo: String(n), edDate: '2026-12-02', edAuthor: '4525545000' },
  digest: 'ab'.repeat(32),
  certificate: { serial: '1f', issuer: 'CN=TwinContour Development Root CA', thumbprint: 'cd'.repeat(32) },
  details: { sigId: '01', channel: 'f2c' },
});

const rows: [string, string][] = [];
for (const batchSize of [500, 100]) {
  const t = await createTestAuditLog({ contour: 'control', batchSize });
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        while (next < EVENTS) await t.audit.record(event(next++));
      }),
    );
    const recorded = performance.now();
    await t.audit.flush();
    const chained = performance.now();
    await t.audit.checkpoint();
    const verifyStart = performance.now();
    const verdict = await t.audit.verify();
    const verified = performance.now();
    if (!verdict.ok || verdict.events !== EVENTS)
      throw new Error(`verification failed: ${JSON.stringify(verdict.firstBroken)}`);
    const perSecond = (ms: number) => `${Math.round((EVENTS * 1000) / ms)} events/s`;
    if (batchSize === 500) {
      rows.push([`record() into the inbox, ${WRITERS} connections`, perSecond(recorded - started)]);
    }
    rows.push([`chain (flush) in batches of ${batchSize}`, perSecond(chained - recorded)]);
    if (batchSize === 500) {
      rows.push([`verify() ${EVENTS} events + 1 checkpoint`, `${((verified - verifyStart) / 1000).toFixed(2)} s`]);
    }
  } finally {
    await t.close();
  }
}

const width = Math.max(...rows.map(([name]) => name.length));
process.stdout.write(`${'operation'.padEnd(width)}  result\n`);
for (const [name, value] of rows) process.stdout.write(`${name.padEnd(width)}  ${value}\n`);
