import type { PaymentOrder } from '@twincontour/ufebs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exampleOrder } from '../testing.js';
import { compareRequisites } from './compare.js';

function leaves(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, prefix === '' ? k : `${prefix}.${k}`));
}

function setAt(order: PaymentOrder, path: string, value: string | undefined): void {
  const parts = path.split('.');
  let node = order as unknown as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  const last = parts.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

describe('compareRequisites', () => {
  const base = exampleOrder('budget-payment-order');

  it.each([
    ['identical orders', () => {}, []],
    ['one changed value', (o: PaymentOrder) => setAt(o, 'sum', '1'), [{ field: 'sum', ed: base.sum, source: '1' }]],
    [
      'a field only in the ED',
      (o: PaymentOrder) => setAt(o, 'payer.kpp', undefined),
      [{ field: 'payer.kpp', ed: base.payer.kpp, source: null }],
    ],
    [
      'a field only in the source',
      (o: PaymentOrder) => setAt(o, 'receiptDate', '2025-04-15'),
      [{ field: 'receiptDate', ed: null, source: '2025-04-15' }],
    ],
    [
      'a whole object only in the ED',
      (o: PaymentOrder) => {
        delete o.departmentalInfo;
      },
      Object.entries(base.departmentalInfo ?? {})
        .map(([k, v]) => ({ field: `departmentalInfo.${k}`, ed: v, source: null }))
        .sort((a, b) => (a.field < b.field ? -1 : 1)),
    ],
  ])('%s', (_name, change, expected) => {
    const source = structuredClone(base);
    change(source);
    expect(compareRequisites(base, source)).toEqual(expected);
  });

  it('lists exactly the changed fields, sorted, with both values (property)', () => {
    const paths = leaves(base);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...paths), { maxLength: paths.length }),
        fc.string({ minLength: 1, maxLength: 12 }),
        (chosen, suffix) => {
          const source = structuredClone(base);
          for (const path of chosen) setAt(source, path, `${suffix}~${path}`);
          const diff = compareRequisites(base, source);
          expect(diff.map((d) => d.field)).toEqual([...chosen].sort());
          for (const d of diff) {
            expect(d.source).toBe(`${suffix}~${d.field}`);
            expect(d.ed).not.toBeNull();
          }
          expect(compareRequisites(source, source)).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
