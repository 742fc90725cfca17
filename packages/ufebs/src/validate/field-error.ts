import type { FieldError } from '../result.js';
import type { ValidationCode } from './codes.js';

/** Builds one field error. Messages say what is expected and never echo the value (it may be logged). */
export function fieldError(code: ValidationCode, path: string, message: string): FieldError {
  return { code, path, message };
}

/** Joins a dotted path: `joinPath('payer', 'bank')` → `payer.bank`; an empty prefix gives the key alone. */
export function joinPath(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}
