/** One problem with one field: a stable code, where it is, and what is wrong. */
export interface FieldError {
  /** Stable `<AREA>_<REASON>` code; never renamed or reused. */
  code: string;
  /** Where the problem is: a dotted path (`body.payer.bank.bic`, `TWINCONTOUR_API_KEYS[0].role`). */
  path: string;
  /** Human-readable explanation; wording may change, the code does not. Never carries a secret value. */
  message: string;
}

/** An expected outcome returned as a value: success, or a coded failure. Exceptions are for bugs. */
export type Result<T> = { ok: true; value: T } | { ok: false; code: string; message: string; errors?: FieldError[] };

/** The failure half of {@link Result}. */
export type Failure = Extract<Result<never>, { ok: false }>;

/** Builds a success. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Builds a coded failure; `errors` is only set when there are any (exactOptionalPropertyTypes). */
export function fail(code: string, message: string, errors?: FieldError[]): Failure {
  return errors && errors.length > 0 ? { ok: false, code, message, errors } : { ok: false, code, message };
}
