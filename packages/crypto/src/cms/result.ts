import type { SigFailureCode } from '../types.js';

/**
 * An expected outcome of the signature layer as a value: success, or a coded failure.
 * Structurally a `Result<T>` of `@twincontour/ufebs`, with the code narrowed to `SigFailureCode`.
 */
export type SigResult<T> = { ok: true; value: T } | { ok: false; code: SigFailureCode; message: string };

/** Builds a failure. */
export function fail(code: SigFailureCode, message: string): { ok: false; code: SigFailureCode; message: string } {
  return { ok: false, code, message };
}
