import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * The figures of one hostile test file: how many inputs were tried (by kind), how many crashed a process
 * or escaped as an untyped exception, how many were answered 5xx. `run.ts` adds the files' reports up and
 * prints `hostile: inputs=N crashes=N 5xx=N` last; every count is incremented where the input is sent.
 */
export interface TallyFigures {
  inputs: number;
  crashes: number;
  fiveXx: number;
  /** Inputs per kind (malformed-json, oversized, …), for docs/reliability.md. */
  kinds: Record<string, number>;
  /** One line per crash or 5xx: what was sent and what came back, for the failure message. */
  problems: string[];
}

/** The figures and how to add to them. */
export interface Tally extends TallyFigures {
  /** Counts `n` inputs of `kind`. */
  count(kind: string, n?: number): void;
  /** Writes the figures for run.ts (call in afterAll). */
  save(): void;
}

/** The directory run.ts collects reports from (HOSTILE_REPORT_DIR); without it nothing is written. */
const REPORT_DIR = process.env.HOSTILE_REPORT_DIR;

/** A tally for one test file; `save()` (in afterAll) writes it for run.ts. */
export function createTally(file: string): Tally {
  const tally: TallyFigures = { inputs: 0, crashes: 0, fiveXx: 0, kinds: {}, problems: [] };
  return Object.assign(tally, {
    count(kind: string, n = 1) {
      tally.inputs += n;
      tally.kinds[kind] = (tally.kinds[kind] ?? 0) + n;
    },
    save() {
      if (!REPORT_DIR) return;
      mkdirSync(REPORT_DIR, { recursive: true });
      const { inputs, crashes, fiveXx, kinds, problems } = tally;
      writeFileSync(
        join(REPORT_DIR, `${basename(file)}.json`),
        JSON.stringify({ inputs, crashes, fiveXx, kinds, problems: problems.slice(0, 50) }),
      );
    },
  });
}
