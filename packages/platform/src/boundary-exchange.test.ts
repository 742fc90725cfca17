import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXCHANGE_STATES, type ExchangeStatePayload, isExchangeStateJob, parseBoundaryPayload } from './boundary.js';

// 802-П п. 19: the exchange-state message transport sends back along t2c → c2f.
const message: ExchangeStatePayload = {
  type: 'exchange.state',
  version: 1,
  messageId: 't2c-exchange-3',
  seq: 3,
  state: 'suspending',
  incidentId: '5d0c1f4e-0c55-4d1a-b7a4-7f6f1d2a9b10',
  at: '2026-12-02T09:00:00.123Z',
};

describe('exchange-state payload', () => {
  it('accepts every state, with or without an incident', () => {
    for (const state of EXCHANGE_STATES) {
      expect(parseBoundaryPayload('exchange', { ...message, state }).ok).toBe(true);
    }
    const { incidentId: _incident, ...running } = { ...message, state: 'running' as const };
    expect(parseBoundaryPayload('exchange', running).ok).toBe(true);
  });

  it.each([
    ['an unknown state', { ...message, state: 'paused' }, 'payload.state'],
    ['a seq of zero', { ...message, seq: 0 }, 'payload.seq'],
    ['a seq given as text', { ...message, seq: '3' }, 'payload.seq'],
    ['an unknown key', { ...message, orderId: 'x' }, 'payload.orderId'],
    ['a message id with a colon', { ...message, messageId: 't2c:exchange:3' }, 'payload.messageId'],
  ])('refuses %s with QUE_BAD_PAYLOAD and the field', (_name, value, path) => {
    const result = parseBoundaryPayload('exchange', value);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('QUE_BAD_PAYLOAD');
    expect(result.errors?.map((e) => e.path)).toContain(path);
  });

  it('is not mistaken for an order status, nor a status for it', () => {
    expect(parseBoundaryPayload('status', message).ok).toBe(false);
    expect(isExchangeStateJob(message)).toBe(true);
    expect(isExchangeStateJob({ type: 'order.status' })).toBe(false);
    expect(isExchangeStateJob(null)).toBe(false);
  });

  it('never throws on arbitrary values (property)', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const result = parseBoundaryPayload('exchange', value);
        expect(typeof result.ok).toBe('boolean');
        expect(typeof isExchangeStateJob(value)).toBe('boolean');
      }),
    );
  });
});
