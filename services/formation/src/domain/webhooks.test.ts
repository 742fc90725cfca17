import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  checkWebhookUrl,
  generateWebhookSecret,
  MAX_WEBHOOK_URL_LENGTH,
  signatureHeader,
  stageEventBody,
} from './webhooks.js';

const ED = { edNo: '17', edDate: '2025-03-14', edAuthor: '4525545000' };

describe('stageEventBody', () => {
  it('carries the event, ids, ED and stage, and only the reason fields that exist', () => {
    const plain = JSON.parse(stageEventBody('d-1', 'o-1', ED, { stage: 'formed', at: '2025-03-14T09:00:00.000Z' }));
    expect(plain).toEqual({
      event: 'order.stage',
      deliveryId: 'd-1',
      orderId: 'o-1',
      ed: ED,
      stage: 'formed',
      at: '2025-03-14T09:00:00.000Z',
    });
    const diff = [{ field: 'sum', ed: '100', source: '10' }];
    const refused = JSON.parse(
      stageEventBody('d-2', 'o-1', ED, {
        stage: 'rejected-by-control',
        at: '2025-03-14T09:00:01.000Z',
        code: 'CTL_MISMATCH',
        reason: 'requisites differ',
        diff,
      }),
    );
    expect(refused).toMatchObject({
      stage: 'rejected-by-control',
      code: 'CTL_MISMATCH',
      reason: 'requisites differ',
      diff,
    });
  });
});

describe('signatureHeader', () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256 keyed with the secret text over "<t>.<body>">', () => {
    // Independent vector: computed with openssl (`printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key`).
    expect(signatureHeader('key', 1_700_000_000, '{"a":1}')).toBe(
      't=1700000000,v1=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03',
    );
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ stage: 'принято', sum: '1.00' });
    expect(signatureHeader(secret, 42, body)).toBe(
      `t=42,v1=${createHmac('sha256', Buffer.from(secret, 'utf8'))
        .update(Buffer.from(`42.${body}`, 'utf8'))
        .digest('hex')}`,
    );
  });

  it('changes with any change of body, time or secret', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 2 ** 32 }), (body, extra, t) => {
        const secret = generateWebhookSecret();
        const base = signatureHeader(secret, t, body);
        expect(signatureHeader(secret, t, body + extra)).not.toBe(base);
        expect(signatureHeader(secret, t + 1, body).split(',v1=')[1]).not.toBe(base.split(',v1=')[1]);
        expect(signatureHeader(generateWebhookSecret(), t, body)).not.toBe(base);
      }),
      { numRuns: 100 },
    );
  });

  it('makes secrets of 32 random bytes in base64url', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(a);
  });
});

describe('backoffDelayMs', () => {
  it.each([
    [1, 0, 500],
    [1, 0.999_999, 1000],
    [2, 0, 1000],
    [4, 0.5, 6000],
    [20, 0, 300_000],
    [20, 0.999_999, 600_000],
    [10_000, 0, 300_000],
  ])('attempt %i with random %d → %i ms (base 1 s, max 10 min)', (attempt, r, expected) => {
    expect(backoffDelayMs(attempt, { baseMs: 1000, maxMs: 600_000 }, () => r)).toBe(expected);
  });

  it('stays within [ceiling/2, ceiling] of an exponential capped at max, and its ceiling never shrinks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, extra, r) => {
          const backoff = { baseMs, maxMs: baseMs + extra };
          const ceiling = Math.min(backoff.maxMs, baseMs * 2 ** Math.min(attempt - 1, 52));
          const delay = backoffDelayMs(attempt, backoff, () => r);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
          expect(delay).toBeLessThanOrEqual(Math.ceil(ceiling));
          expect(backoffDelayMs(attempt + 1, backoff, () => 0.999_999)).toBeGreaterThanOrEqual(
            backoffDelayMs(attempt, backoff, () => 0.999_999),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('checkWebhookUrl', () => {
  it.each([
    ['https://abs.bank.example/hooks/stages?source=tc', true],
    ['http://127.0.0.1:9090/x', true],
    ['ftp://abs.bank.example/x', 'scheme'],
    ['javascript:alert(1)', 'scheme'],
    ['/relative/path', 'not-a-url'],
    ['not a url', 'not-a-url'],
    ['https://user:pass@abs.bank.example/x', 'credentials'],
    ['https://token@abs.bank.example/x', 'credentials'],
    [`https://abs.bank.example/${'a'.repeat(MAX_WEBHOOK_URL_LENGTH)}`, 'too-long'],
  ] as const)('%s → %s', (url, expected) => {
    const checked = checkWebhookUrl(url);
    if (expected === true) expect(checked).toEqual({ ok: true, value: url });
    else expect(checked).toEqual({ ok: false, problem: expected });
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        expect(typeof checkWebhookUrl(text).ok).toBe('boolean');
      }),
      { numRuns: 200 },
    );
  });
});
