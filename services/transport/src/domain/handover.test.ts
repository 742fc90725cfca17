import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapAnswer } from './answer.js';
import { decodeC2t, edFileName, edRef, expectedZkContours, statusPayload } from './handover.js';

const ED = { edNo: '42', edDate: '2025-04-15', edAuthor: '4525545000' };
const GOOD = {
  type: 'ed.controlled',
  version: 1,
  messageId: 'c2t-ord-1',
  orderId: 'ord-1',
  ed: ED,
  envelopeBase64: 'PHgvPg==',
  controlledAt: '2025-04-15T10:00:00.000Z',
};

describe('decodeC2t', () => {
  it.each([
    ['a well-formed payload', GOOD, true, true],
    ['a message id that is not c2t-<orderId>', { ...GOOD, messageId: 'c2t-other' }, false, true],
    ['an unknown field', { ...GOOD, extra: 1 }, false, true],
    ['a bad ED number', { ...GOOD, ed: { ...ED, edNo: '0' } }, false, false],
    ['not an object', 'c2t', false, false],
  ])('%s', (_name, value, ok, addressed) => {
    const decoded = decodeC2t(value);
    expect(decoded.ok).toBe(ok);
    if (!decoded.ok) {
      expect(decoded.code).toBe('QUE_BAD_PAYLOAD');
      expect(decoded.address !== undefined).toBe(addressed);
    }
  });

  it('never throws on arbitrary values', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const decoded = decodeC2t(value);
        expect(typeof decoded.ok).toBe('boolean');
      }),
      { numRuns: 200 },
    );
  });
});

describe('mapAnswer', () => {
  const accept = new Set(['0000', '0001']);
  const ed201 = (ctrlCode: string) => ({
    kind: 'ED201' as const,
    ...ED,
    ctrlCode,
    ctrlTime: '2025-04-15T10:15:00Z',
    annotation: 'Пояснение',
  });
  it.each([
    ['0000', { stage: 'accepted-by-cbr', ctrlCode: '0000', annotation: 'Пояснение' }],
    ['0001', { stage: 'accepted-by-cbr', ctrlCode: '0001', annotation: 'Пояснение' }],
    ['0101', { stage: 'rejected-by-cbr', code: 'CBR_0101', ctrlCode: '0101', annotation: 'Пояснение' }],
    ['0303', { stage: 'rejected-by-cbr', code: 'CBR_0303', ctrlCode: '0303', annotation: 'Пояснение' }],
  ])('maps an ED201 with CtrlCode %s', (code, expected) => {
    expect(mapAnswer(ed201(code), accept)).toEqual(expected);
  });

  it('maps an ED206 to executed', () => {
    const ed206 = {
      kind: 'ED206' as const,
      ...ED,
      sum: '1',
      transDate: '2025-04-15',
      transTime: '10:00:00',
      dc: '1',
      bicCorr: '044525225',
      accDoc: { accDocNo: '1', accDocDate: '2025-04-15' },
      edRefId: ED,
    };
    expect(mapAnswer(ed206, accept)).toEqual({ stage: 'executed' });
  });
});

describe('names and statuses', () => {
  it('derives one file name and one reference per ED identity', () => {
    expect(edFileName(ED)).toBe('ED101_4525545000_20250415_42.xml');
    expect(edRef(ED)).toBe('4525545000-2025-04-15-42');
    expect(expectedZkContours('zk+ka')).toEqual(['formation', 'control']);
    expect(expectedZkContours('ka')).toEqual(['formation']);
  });

  it('builds t2c statuses with bounded reasons', () => {
    const at = new Date('2025-04-15T10:00:00Z');
    expect(statusPayload('ord-1', ED, 'sent', at)).toEqual({
      type: 'order.status',
      version: 1,
      messageId: 't2c-ord-1-sent',
      orderId: 'ord-1',
      ed: ED,
      stage: 'sent',
      at: '2025-04-15T10:00:00.000Z',
    });
    const refused = statusPayload('ord-1', ED, 'rejected-by-cbr', at, { code: 'CBR_0101', reason: 'x'.repeat(5000) });
    expect(refused.code).toBe('CBR_0101');
    expect(refused.reason).toHaveLength(2000);
  });
});
