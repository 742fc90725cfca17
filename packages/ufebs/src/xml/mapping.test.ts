import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Ed101 } from '../model.js';
import { ed101Arbitrary, edIdentityArbitrary, paymentOrderXsdArbitrary } from './arbitrary.js';
import { edToOrder, orderToEd101 } from './mapping.js';

describe('orderToEd101 and edToOrder', () => {
  it('edToOrder(orderToEd101(order, identity)) is the order again', () => {
    fc.assert(
      fc.property(
        paymentOrderXsdArbitrary(),
        edIdentityArbitrary,
        fc.option(fc.stringMatching(/^\d{10}$/)),
        (order, identity, receiver) => {
          const ed = orderToEd101(order, receiver === null ? identity : { ...identity, edReceiver: receiver });
          expect(ed).toMatchObject({ kind: 'ED101', ...identity });
          expect('edReceiver' in ed).toBe(receiver !== null);
          expect(edToOrder(ed)).toStrictEqual(order);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('keeps only the order: no ЗК, identity, receiver or ProcessingDetails cross over', () => {
    fc.assert(
      fc.property(ed101Arbitrary(), edIdentityArbitrary, (ed, identity) => {
        const order = edToOrder(ed);
        for (const key of ['kind', 'edNo', 'edDate', 'edAuthor', 'edReceiver', 'processingDetails', 'sigValues']) {
          expect(key in order).toBe(false);
        }
        // An Ed101 given as the order carries its order fields only.
        const again: Ed101 = orderToEd101(ed, identity);
        expect(again.sigValues).toBeUndefined();
        expect(again.processingDetails).toBeUndefined();
        expect(again.edNo).toBe(identity.edNo);
      }),
      { numRuns: 100 },
    );
  });

  it('copies nested objects, so that changing the result leaves the source alone', () => {
    const [ed] = fc.sample(ed101Arbitrary(), { numRuns: 1, seed: 7 });
    if (ed === undefined) throw new Error('sample');
    const name = ed.payer.name;
    edToOrder(ed).payer.name = 'changed';
    orderToEd101(ed, ed).payer.name = 'changed';
    expect(ed.payer.name).toBe(name);
  });
});
