import type { EdIdentity } from '../model.js';
import type { FieldError } from '../result.js';
import { checkUis } from './codes-fields.js';
import { checkDate } from './date.js';
import { fieldError, joinPath } from './field-error.js';
import type { Loose } from './loose.js';

/** EDNo (`EDNumberType`): an integer 1..999999999, written without leading zeros. */
export const ED_NO_PATTERN = '^[1-9]\\d{0,8}$';

const ED_NO_RE = new RegExp(ED_NO_PATTERN);

/**
 * Checks the identity of an ED (EDNo + EDDate + EDAuthor, unique per author and date, NOTES.md):
 * EDNo 1..999999999, EDDate an existing YYYY-MM-DD date, EDAuthor a 10-digit УИС.
 * Paths are the model's field names, under `prefix` (e.g. `initialEd`).
 */
export function validateEdIdentity(identity: EdIdentity, prefix = ''): FieldError[] {
  return checkIdentity(identity, prefix);
}

/** {@link validateEdIdentity} for an identity whose fields may be missing (a missing one is left to the shape check). */
export function checkIdentity(identity: Loose<EdIdentity>, prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  if (identity.edNo !== undefined && !ED_NO_RE.test(identity.edNo)) {
    errors.push(fieldError('UFEBS_MESSAGE_NO_FORMAT', joinPath(prefix, 'edNo'), 'must be 1..999999999'));
  }
  if (identity.edDate !== undefined) errors.push(...checkDate(identity.edDate, joinPath(prefix, 'edDate')));
  if (identity.edAuthor !== undefined) errors.push(...checkUis(identity.edAuthor, joinPath(prefix, 'edAuthor')));
  return errors;
}
