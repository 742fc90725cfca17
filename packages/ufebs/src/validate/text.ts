import type { FieldError } from '../result.js';
import { fieldError } from './field-error.js';

/**
 * The character set of the schema's `TextCategory` / `IdentifierTextCategory`
 * (`cbr_ed_basetypes_v2018.3.0.xsd`): codes 32–126, А–я (U+0410–U+044F), Ё, ё, №.
 */
const TEXT_SET = ' -~А-яЁё№';
/** The same set without the space. */
const TEXT_SET_NO_SPACE = '!-~А-яЁё№';

/**
 * Pattern of a text requisite, as used by the validators and the JSON Schema alike.
 *
 * The XSD pattern is `[ ]*[!-~А-яЁё№][ -~А-яЁё№]*`: it allows leading spaces as long as one
 * character is not a space. NOTES.md ("Text fields … must not start with a space") is stricter and
 * binding here, so a leading space is refused (with its own code, UFEBS_TEXT_LEADING_SPACE, so that
 * the difference from the XSD stays visible).
 */
export const TEXT_PATTERN = `^[${TEXT_SET_NO_SPACE}][${TEXT_SET}]*$`;

const IN_SET = new RegExp(`^[${TEXT_SET}]*$`);

/** Maximum lengths of the schema's text types used by a payment order. */
export const TEXT_MAX = Object.freeze({
  /** Max160TextType: payer / payee name (поля 8, 16). */
  name: 160,
  /** Max210TextType: purpose (поле 24). */
  purpose: 210,
  /** Max35TextType: CodePurpose (поле 20), ResField (поле 23). */
  code35: 35,
  /** OperationIDType. */
  operationId: 32,
});

/**
 * Checks a text requisite: 1..maxLength characters of the UFEBS set, not starting with a space.
 * Every problem is reported (length, characters, leading space), not only the first.
 */
export function checkText(value: string, path: string, maxLength: number): FieldError[] {
  const errors: FieldError[] = [];
  if (value.length === 0 || value.length > maxLength) {
    errors.push(fieldError('UFEBS_TEXT_LENGTH', path, `must be 1..${maxLength} characters`));
  }
  if (!IN_SET.test(value)) {
    errors.push(
      fieldError('UFEBS_TEXT_CHARSET', path, 'allowed characters: codes 32–126, Russian letters А–я, Ё, ё and №'),
    );
  } else if (value.length > 0 && value.trim() === '') {
    errors.push(fieldError('UFEBS_TEXT_CHARSET', path, 'must hold a character other than a space'));
  }
  if (value.startsWith(' ')) {
    errors.push(fieldError('UFEBS_TEXT_LEADING_SPACE', path, 'must not start with a space'));
  }
  return errors;
}

/** True when `value` consists only of characters of the UFEBS text set (empty included). */
export function isInTextSet(value: string): boolean {
  return IN_SET.test(value);
}
