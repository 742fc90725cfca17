import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createLoop } from './loop.js';

const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('createLoop', () => {
  it('runs at once while work is waiting, then at the interval, never two runs at once', async () => {
    let runs = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const loop = createLoop(
      'test',
      async () => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        runs++;
        await sleep(5);
        concurrent--;
        return runs < 3; // busy for the first two runs
      },
      10_000,
      silent,
    );
    loop.start();
    loop.nudge();
    loop.nudge();
    await sleep(100);
    // Three back-to-back runs (two busy, one from the nudges), then the long interval.
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(runs).toBeLessThanOrEqual(4);
    expect(maxConcurrent).toBe(1);
    await loop.stop();
    const after = runs;
    await sleep(50);
    expect(runs).toBe(after);
  });

  it('keeps going after a failing run, and stop waits for the run in progress', async () => {
    let runs = 0;
    let finished = false;
    const loop = createLoop(
      'failing',
      async () => {
        runs++;
        if (runs === 1) throw new Error('boom');
        await sleep(30);
        finished = true;
        return false;
      },
      5,
      silent,
    );
    loop.start();
    await sleep(20);
    await loop.stop();
    expect(runs).toBe(2);
    expect(finished).toBe(true);
  });
});
