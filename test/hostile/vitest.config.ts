import { defineConfig } from 'vitest/config';

// The hostile-input suite (issue 8): `pnpm test:hostile` runs it through run.ts, which prints the tally
// `hostile: inputs=N crashes=N 5xx=N` as the last line. Two files at a time: processes.test.ts spends most
// of its time waiting on real processes (start-up, restarts, retries), which the in-process files fill.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['**/*.test.ts'],
    // processes.test.ts first: it is the longest.
    sequence: { shuffle: false },
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
