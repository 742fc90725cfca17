import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createCollectedGauge, type GaugeSample, seriesValue } from './metrics.js';

describe('createCollectedGauge', () => {
  it('serves only what the latest scrape read', async () => {
    const registry = new Registry();
    let samples: GaugeSample<'queue'>[] = [
      { labels: { queue: 'a' }, value: 3 },
      { labels: { queue: 'b' }, value: 5 },
    ];
    const gauge = createCollectedGauge(registry, {
      name: 'test_queue_depth',
      help: 'Depth by queue.',
      labelNames: ['queue'],
      read: async () => samples,
    });
    const first = await registry.metrics();
    expect(first).toContain('# HELP test_queue_depth Depth by queue.');
    expect(first).toContain('test_queue_depth{queue="a"} 3');
    expect(first).toContain('test_queue_depth{queue="b"} 5');
    samples = [{ labels: { queue: 'a' }, value: 1 }];
    const second = await registry.metrics();
    expect(second).toContain('test_queue_depth{queue="a"} 1');
    expect(second).not.toContain('queue="b"');
    expect(await seriesValue(gauge, { queue: 'a' })).toBe(1);
  });

  it('rejects the scrape when the source fails and no onError is given', async () => {
    const registry = new Registry();
    createCollectedGauge(registry, {
      name: 'test_down',
      help: 'Down.',
      labelNames: [],
      read: () => Promise.reject(new Error('redis down')),
    });
    await expect(registry.metrics()).rejects.toThrow('redis down');
  });

  it('with onError, reports the failure and serves the other metrics', async () => {
    const registry = new Registry();
    const seen: unknown[] = [];
    let fail = false;
    createCollectedGauge(registry, {
      name: 'test_flaky',
      help: 'Flaky.',
      labelNames: ['queue'],
      read: async () => {
        if (fail) throw new Error('pg down');
        return [{ labels: { queue: 'a' }, value: 7 }];
      },
      onError: (error) => seen.push(error),
    });
    createCollectedGauge(registry, {
      name: 'test_fine',
      help: 'Fine.',
      labelNames: [],
      read: async () => [{ labels: {}, value: 2 }],
    });
    expect(await registry.metrics()).toContain('test_flaky{queue="a"} 7');
    fail = true;
    const text = await registry.metrics();
    expect(text).toContain('# TYPE test_flaky gauge');
    expect(text).not.toContain('test_flaky{');
    expect(text).toContain('test_fine 2');
    expect(seen).toHaveLength(1);
    expect((seen[0] as Error).message).toBe('pg down');
  });
});

describe('seriesValue', () => {
  it('reads a counter series by its exact label set, 0 when absent', async () => {
    const counter = new Counter({ name: 'test_total', help: 'T.', labelNames: ['code', 'stage'], registers: [] });
    counter.inc({ code: 'X_ONE', stage: 'a' }, 2);
    counter.inc({ code: 'X_ONE' });
    expect(await seriesValue(counter, { code: 'X_ONE', stage: 'a' })).toBe(2);
    expect(await seriesValue(counter, { code: 'X_ONE' })).toBe(1);
    expect(await seriesValue(counter, { code: 'X_TWO' })).toBe(0);
  });

  it('reads a histogram by its _count and _sum series', async () => {
    const histogram = new Histogram({
      name: 'test_seconds',
      help: 'S.',
      labelNames: ['stage'],
      buckets: [1, 10],
      registers: [],
    });
    histogram.observe({ stage: 'sent' }, 0.5);
    histogram.observe({ stage: 'sent' }, 4);
    expect(await seriesValue(histogram, { stage: 'sent' }, '_count')).toBe(2);
    expect(await seriesValue(histogram, { stage: 'sent' }, '_sum')).toBe(4.5);
    expect(await seriesValue(histogram, { stage: 'other' }, '_count')).toBe(0);
  });
});
