import { describe, expect, it } from 'vitest';
import { validateEdIdentity } from './identity.js';

const valid = { edNo: '1', edDate: '2025-04-15', edAuthor: '4525545000' };

describe('validateEdIdentity', () => {
  it.each([valid, { ...valid, edNo: '999999999' }])('%j passes', (id) => {
    expect(validateEdIdentity(id)).toEqual([]);
  });

  it.each([
    [{ edNo: '0' }, 'UFEBS_MESSAGE_NO_FORMAT', 'edNo'],
    [{ edNo: '1000000000' }, 'UFEBS_MESSAGE_NO_FORMAT', 'edNo'],
    [{ edNo: '007' }, 'UFEBS_MESSAGE_NO_FORMAT', 'edNo'],
    [{ edNo: '-1' }, 'UFEBS_MESSAGE_NO_FORMAT', 'edNo'],
    [{ edDate: '2025-02-30' }, 'UFEBS_DATE_INVALID', 'edDate'],
    [{ edDate: '15.04.2025' }, 'UFEBS_DATE_FORMAT', 'edDate'],
    [{ edAuthor: '452554500' }, 'UFEBS_UIS_FORMAT', 'edAuthor'],
  ])('%j fails with %s at %s', (change, code, path) => {
    expect(validateEdIdentity({ ...valid, ...change })).toEqual([expect.objectContaining({ code, path })]);
  });

  it('puts the paths under the prefix and reports every field', () => {
    const errors = validateEdIdentity({ edNo: '0', edDate: 'x', edAuthor: 'y' }, 'initialEd');
    expect(errors.map((e) => e.path)).toEqual(['initialEd.edNo', 'initialEd.edDate', 'initialEd.edAuthor']);
  });
});
