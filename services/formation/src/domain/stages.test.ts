import { ORDER_STAGES, type OrderStage, TERMINAL_STAGES } from '@twincontour/platform';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toOrderView } from './order-view.js';
import { statusOf } from './stages.js';

const stages = (...names: OrderStage[]) => names.map((stage) => ({ stage }));

describe('statusOf', () => {
  it.each([
    [['accepted', 'formed', 'signed-by-formation'], 'signed-by-formation'],
    [['accepted', 'formed', 'signed-by-formation', 'signed-by-control', 'controlled'], 'signed-by-control'],
    [['accepted', 'formed', 'signed-by-formation', 'rejected-by-control'], 'rejected-by-control'],
    [['accepted', 'formed', 'signed-by-formation', 'rejected-by-control', 'controlled'], 'rejected-by-control'],
    [['accepted', 'sent', 'executed'], 'executed'],
  ] as [OrderStage[], OrderStage][])('%j → %s', (list, expected) => {
    expect(statusOf(stages(...list))).toBe(expected);
  });

  it('is the same whatever order the stages arrive in, and a refusal always wins over progress', () => {
    const refusals = new Set<OrderStage>([...TERMINAL_STAGES].filter((s) => s !== 'executed'));
    const listAndPermutation = fc
      .uniqueArray(fc.constantFrom(...ORDER_STAGES), { minLength: 1 })
      .chain((list) =>
        fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length })),
      );
    fc.assert(
      fc.property(listAndPermutation, ([list, shuffled]) => {
        const status = statusOf(stages(...list));
        expect(statusOf(stages(...shuffled))).toBe(status);
        if (list.some((s) => refusals.has(s))) expect(refusals.has(status ?? 'accepted')).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('toOrderView', () => {
  it('shows the code, reason and diff of the status stage', () => {
    const diff = [{ field: 'sum', ed: '1', source: '2' }];
    const view = toOrderView(
      { id: 'o1', ed: { edNo: '1', edDate: '2025-04-15', edAuthor: '4525545000' }, createdAt: 'c', updatedAt: 'u' },
      [
        { stage: 'accepted', at: 'a' },
        { stage: 'rejected-by-control', at: 'b', code: 'CTL_MISMATCH', reason: 'differs', diff },
      ],
    );
    expect(view).toMatchObject({ status: 'rejected-by-control', code: 'CTL_MISMATCH', reason: 'differs', diff });
    expect(view.stages).toHaveLength(2);
  });
});
