import { parseBoundaryPayload } from '@twincontour/platform';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exampleOrder } from '../testing.js';
import { decodeF2c, statusPayload } from './payload.js';
import { paymentFingerprint, sourceKeyOf } from './source-key.js';

const GOOD = {
  type: 'ed.formed',
  version: 1,
  messageId: 'f2c-order-1',
  orderId: 'order-1',
  ed: { edNo: '1', edDate: '2025-04-15', edAuthor: '4525545000' },
  edBase64: 'PEVELz4=',
  formedAt: '2025-04-15T10:00:00.000Z',
};

describe('decodeF2c', () => {
  it('accepts a payload of the contract', () => {
    expect(decodeF2c(GOOD)).toEqual({ ok: true, payload: GOOD });
  });

  it.each([
    ['an unknown field', { ...GOOD, extra: 1 }, true],
    ['a message id other than f2c-<orderId>', { ...GOOD, messageId: 'f2c-order-2' }, true],
    ['a bad ED number', { ...GOOD, ed: { ...GOOD.ed, edNo: '0' } }, false],
    ['no order id', { ...GOOD, orderId: undefined }, false],
    ['not an object', 'f2c', false],
  ])('refuses %s as QUE_BAD_PAYLOAD (addressable: %s)', (_name, value, addressable) => {
    const decoded = decodeF2c(value);
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.code).toBe('QUE_BAD_PAYLOAD');
    expect(decoded.address !== undefined).toBe(addressable);
  });

  it('never throws, whatever arrives (property)', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const decoded = decodeF2c(value);
        expect(typeof decoded.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });
});

describe('statusPayload', () => {
  it('builds c2f statuses that pass the boundary contract, capping reason and diff', () => {
    const diff = Array.from({ length: 250 }, (_, i) => ({ field: `f${i}`, ed: 'a', source: 'b' }));
    const status = statusPayload('order-1', GOOD.ed, 'rejected-by-control', new Date(), {
      code: 'CTL_MISMATCH',
      reason: 'x'.repeat(5000),
      diff,
    });
    expect(status.messageId).toBe('c2f-order-1-rejected-by-control');
    expect(parseBoundaryPayload('status', status).ok).toBe(true);
    expect(status.diff).toHaveLength(200);
  });
});

describe('source key and fingerprint', () => {
  it('key from payer account, BIC, document number and date; fingerprint changes with each compared requisite', () => {
    const order = exampleOrder();
    expect(sourceKeyOf(order)).toEqual({
      payerAccount: order.payer.personalAcc,
      payerBic: order.payer.bank.bic,
      accDocNo: order.accDocNo,
      accDocDate: order.accDocDate,
    });
    const base = paymentFingerprint(order);
    expect(paymentFingerprint({ ...order, purpose: 'other' })).toBe(base);
    expect(paymentFingerprint({ ...order, sum: '1' })).not.toBe(base);
    expect(paymentFingerprint({ ...order, accDocNo: '9' })).not.toBe(base);
    expect(paymentFingerprint({ ...order, payee: { ...order.payee, personalAcc: '1' } })).not.toBe(base);
  });
});
