import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeHandOver, type F2cPayload, parseBoundaryPayload, type StatusPayload } from './boundary.js';

const f2c: F2cPayload = {
  type: 'ed.formed',
  version: 1,
  messageId: 'f2c-0b6f1c2e-7d39-4c70-9a51-2f8e3c1d9a00',
  orderId: '0b6f1c2e-7d39-4c70-9a51-2f8e3c1d9a00',
  ed: { edNo: '17', edDate: '2026-11-24', edAuthor: '4525545000' },
  edBase64: Buffer.from('<ED101/>').toString('base64'),
  formedAt: '2026-11-24T07:00:00.000Z',
};
const status: StatusPayload = {
  type: 'order.status',
  version: 1,
  messageId: 'c2f-0b6f1c2e-rejected-by-control',
  orderId: '0b6f1c2e',
  ed: f2c.ed,
  stage: 'rejected-by-control',
  at: '2026-11-24T07:00:01.000Z',
  code: 'CTL_MISMATCH',
  diff: [{ field: 'sum', ed: '100', source: '101' }],
};

describe('boundary payloads', () => {
  it('accepts payloads that keep the contract', () => {
    expect(parseBoundaryPayload('f2c', f2c).ok).toBe(true);
    expect(parseBoundaryPayload('status', status).ok).toBe(true);
  });

  it.each([
    ['an unknown key', { ...f2c, extra: 1 }, 'payload.extra'],
    ['a wrong type tag', { ...f2c, type: 'ed.controlled' }, 'payload.type'],
    ['an EDNo with a leading zero', { ...f2c, ed: { ...f2c.ed, edNo: '017' } }, 'payload.ed.edNo'],
    ['a job id with a colon', { ...f2c, messageId: 'f2c:1' }, 'payload.messageId'],
    ['base64 with junk', { ...f2c, edBase64: '<xml>' }, 'payload.edBase64'],
  ])('refuses %s with QUE_BAD_PAYLOAD and the field', (_name, value, path) => {
    const result = parseBoundaryPayload('f2c', value);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe('QUE_BAD_PAYLOAD');
      expect(result.errors?.map((e) => e.path)).toContain(path);
    }
  });

  it('refuses an unknown stage and never throws on arbitrary values', () => {
    expect(parseBoundaryPayload('status', { ...status, stage: 'teleported' }).ok).toBe(false);
    fc.assert(
      fc.property(fc.anything(), (value) => {
        for (const kind of ['f2c', 'c2t', 'status'] as const) expect(parseBoundaryPayload(kind, value).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('decodeHandOver', () => {
  it('accepts a hand-over whose message id is <queue>-<orderId>', () => {
    expect(decodeHandOver('f2c', f2c)).toEqual({ ok: true, payload: f2c });
  });

  it('refuses another message id, keeping the address so the refusal reaches the sender', () => {
    const decoded = decodeHandOver('f2c', { ...f2c, messageId: 'f2c-someone-else' });
    expect(decoded).toMatchObject({
      ok: false,
      code: 'QUE_BAD_PAYLOAD',
      address: { orderId: f2c.orderId, ed: f2c.ed },
    });
  });

  it('keeps the address of a malformed payload only when its order id and ED identity are well-formed', () => {
    expect(decodeHandOver('f2c', { ...f2c, edBase64: '<xml>' })).toMatchObject({
      ok: false,
      address: { orderId: f2c.orderId, ed: f2c.ed },
    });
    const noAddress = decodeHandOver('f2c', { ...f2c, edBase64: '<xml>', orderId: 'a:b' });
    expect(noAddress.ok).toBe(false);
    expect('address' in noAddress).toBe(false);
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(decodeHandOver('c2t', value).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
