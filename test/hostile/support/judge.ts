import { type ErrorCatalog, PLATFORM_CODES } from '@twincontour/platform';
import { UFEBS_CODES } from '@twincontour/ufebs';
import type { Tally } from './tally.js';

/** Codes that may appear in `details` (field problems): the platform's field codes and the UFEBS validators'. */
const DETAIL_CODES: ReadonlySet<string> = new Set([...Object.keys(PLATFORM_CODES), ...Object.keys(UFEBS_CODES)]);

/** An answer as any HTTP client sees it. */
export interface Answer {
  statusCode: number;
  /** The body text ('' for HEAD). */
  body: string;
}

/**
 * Judges one answer to a hostile input and counts it: a 5xx is counted (and described); a 4xx must be the
 * platform error body whose `code` is in the service's catalog with exactly the status answered, and every
 * `details[].code` a known field code. Returns the problems found (empty when the answer is fine).
 */
export function judge(
  tally: Tally,
  catalog: ErrorCatalog,
  what: string,
  answer: Answer,
  options: { head?: boolean } = {},
): string[] {
  const problems: string[] = [];
  if (answer.statusCode >= 500) {
    tally.fiveXx += 1;
    problems.push(`${what}: ${answer.statusCode} ${answer.body.slice(0, 300)}`);
  }
  if (answer.statusCode >= 400 && !options.head) {
    let body: { statusCode?: unknown; code?: unknown; requestId?: unknown; details?: unknown };
    try {
      body = JSON.parse(answer.body) as typeof body;
    } catch {
      problems.push(`${what}: ${answer.statusCode} with a body that is not JSON: ${answer.body.slice(0, 200)}`);
      return record(tally, problems);
    }
    const code = typeof body.code === 'string' ? body.code : undefined;
    const info = code === undefined ? undefined : catalog[code];
    if (!info) problems.push(`${what}: ${answer.statusCode} with code ${String(body.code)} not in the catalog`);
    else if (info.status !== answer.statusCode) {
      problems.push(`${what}: ${code} answered ${answer.statusCode}, the catalog says ${info.status}`);
    }
    if (body.statusCode !== answer.statusCode || typeof body.requestId !== 'string') {
      problems.push(`${what}: the error body is not the platform's: ${answer.body.slice(0, 200)}`);
    }
    if (Array.isArray(body.details)) {
      for (const detail of body.details as { code?: unknown }[]) {
        if (typeof detail.code !== 'string' || !(DETAIL_CODES.has(detail.code) || detail.code in catalog)) {
          problems.push(`${what}: detail code ${String(detail.code)} is in no catalog`);
        }
      }
    }
  }
  return record(tally, problems);
}

function record(tally: Tally, problems: string[]): string[] {
  tally.problems.push(...problems);
  return problems;
}
