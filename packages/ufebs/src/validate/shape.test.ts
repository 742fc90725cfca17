import { describe, expect, it } from 'vitest';
import { checkShape, type ObjectShape, toJsonSchema } from './shape.js';

const shape: ObjectShape = {
  type: 'object',
  properties: {
    a: { type: 'string', pattern: '^\\d$' },
    inner: { type: 'object', properties: { x: { type: 'string' }, y: { type: 'string' } }, exactlyOne: ['x', 'y'] },
  },
  required: ['a'],
};

describe('checkShape', () => {
  it('keeps a well-shaped value as a fresh copy', () => {
    const input = { a: '1', inner: { x: 'q' } };
    const result = checkShape(input, shape);
    expect(result.errors).toEqual([]);
    expect(result.value).toEqual(input);
    expect(result.value).not.toBe(input);
  });

  it('reports unknown, missing, mistyped and choice problems at once, and drops the bad parts', () => {
    const result = checkShape({ b: 1, inner: { x: 1, y: 'z', w: null } }, shape);
    expect(result.errors.map((e) => [e.code, e.path])).toEqual([
      ['UFEBS_UNKNOWN_FIELD', 'b'],
      ['UFEBS_TYPE', 'inner.x'],
      ['UFEBS_UNKNOWN_FIELD', 'inner.w'],
      ['UFEBS_CHOICE', 'inner'],
      ['UFEBS_REQUIRED', 'a'],
    ]);
    expect(result.value).toEqual({ inner: { y: 'z' } });
  });

  it.each([null, 1, 'x', [], true])('refuses a root of %j with UFEBS_TYPE', (input) => {
    const result = checkShape(input, shape);
    expect(result.errors.map((e) => [e.code, e.path])).toEqual([['UFEBS_TYPE', '']]);
    expect(result.value).toBeUndefined();
  });

  it('treats __proto__ and constructor as unknown fields, not as the prototype', () => {
    const input = JSON.parse('{"a":"1","__proto__":{"polluted":"yes"},"constructor":"c"}') as unknown;
    const result = checkShape(input, shape);
    expect(result.errors.map((e) => e.path)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses class instances and arrays in place of objects', () => {
    expect(checkShape(new Date(0), shape).errors.map((e) => e.code)).toEqual(['UFEBS_TYPE']);
    expect(checkShape({ a: '1', inner: ['x'] }, shape).errors.map((e) => [e.code, e.path])).toEqual([
      ['UFEBS_TYPE', 'inner'],
    ]);
  });
});

describe('toJsonSchema', () => {
  it('closes every object and turns a choice into oneOf', () => {
    expect(toJsonSchema(shape)).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: {
        a: { type: 'string', pattern: '^\\d$' },
        inner: {
          type: 'object',
          additionalProperties: false,
          properties: { x: { type: 'string' }, y: { type: 'string' } },
          oneOf: [
            { type: 'object', required: ['x'], properties: { x: {} } },
            { type: 'object', required: ['y'], properties: { y: {} } },
          ],
        },
      },
      required: ['a'],
    });
  });
});
