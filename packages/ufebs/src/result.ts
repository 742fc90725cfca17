/** One problem with one field: a stable code, where it is, and what is wrong. */
export interface FieldError {
  /** Stable `UFEBS_*` code; never renamed or reused. */
  code: string;
  /** Dotted path in the payment order (`payer.bank.bic`) or the ED model. */
  path: string;
  /** Human-readable explanation for the operator; wording may change, the code does not. */
  message: string;
}

/** An expected outcome returned as a value: success, or a coded failure. Exceptions are for bugs. */
export type Result<T> = { ok: true; value: T } | { ok: false; code: string; message: string; errors?: FieldError[] };

/** What a code means and what an operator does about it (one entry of a package's code catalog). */
export interface CodeInfo {
  /** One line: what the code means. */
  meaning: string;
  /** What an operator or integrator does about it. */
  action: string;
}
