// Throughput of the message path formation runs for every order, on one core, one at a time:
// requisite validation, ED101 writing, parsing, the whole-message check and ЗК normalization.
// Run: `pnpm bench ufebs` from the repository root, or `npx tsx bench/ufebs-bench.ts` here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkEd } from '../src/check.js';
import type { PaymentOrder } from '../src/model.js';
import { validatePaymentOrder } from '../src/validate/index.js';
import { orderToEd101 } from '../src/xml/mapping.js';
import { normalizeEd } from '../src/xml/normalize.js';
import { parseEd } from '../src/xml/parser.js';
import { writeEd101 } from '../src/xml/writer.js';

const MEASURE_MS = Number(process.env.BENCH_MS ?? 1000);

function measure(name: string, fn: () => unknown): void {
  for (let i = 0; i < 200; i++) fn(); // warm-up
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < MEASURE_MS) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
  }
  const opsPerSecond = Math.round((n * 1000) / (performance.now() - start));
  process.stdout.write(`${name.padEnd(44)}${String(opsPerSecond).padStart(8)}\n`);
}

const examples = join(import.meta.dirname, '../../../examples');
for (const file of ['payment-order.json', 'budget-payment-order.json']) {
  const json: unknown = JSON.parse(readFileSync(join(examples, file), 'utf8'));
  const validated = validatePaymentOrder(json);
  if (!validated.ok) throw new Error(`${file} does not validate`);
  const ed = orderToEd101(validated.value as PaymentOrder, { edNo: '1', edDate: '2026-11-24', edAuthor: '4525545000' });
  const written = writeEd101(ed);
  if (!written.ok) throw new Error(written.message);
  const bytes = written.value;
  process.stdout.write(`\n${file} (ED101 of ${bytes.length} bytes)\noperation${' '.repeat(35)}   ops/s\n`);
  measure('validatePaymentOrder', () => validatePaymentOrder(json));
  measure('writeEd101', () => writeEd101(ed));
  measure('parseEd', () => parseEd(bytes));
  measure('checkEd (parse + every requisite check)', () => checkEd(bytes));
  measure('normalizeEd (the bytes a ЗК covers)', () => normalizeEd(bytes));
}
