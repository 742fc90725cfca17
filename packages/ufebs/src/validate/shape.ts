import type { FieldError } from '../result.js';
import { fieldError, joinPath } from './field-error.js';

/** A string field: its JSON Schema facets (the requisite validators check the same and more). */
export interface StringShape {
  readonly type: 'string';
  readonly description?: string;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly enum?: readonly string[];
}

/** An object: its fields, which are required, and at most one "exactly one of" choice (an XSD xs:choice). */
export interface ObjectShape {
  readonly type: 'object';
  readonly description?: string;
  readonly properties: Readonly<Record<string, Shape>>;
  readonly required?: readonly string[];
  readonly exactlyOne?: readonly string[];
}

/**
 * The JSON shape of a model: one description from which both the shape check of
 * `validatePaymentOrder` and the JSON Schema the HTTP API uses are derived, so the two never differ.
 */
export type Shape = StringShape | ObjectShape;

/** What {@link checkShape} found: the shape errors and the part of the input that has the right shape. */
export interface ShapeCheck {
  readonly errors: FieldError[];
  /** The input without unknown keys and wrongly typed values (a fresh object), or undefined if the root is wrong. */
  readonly value: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Checks a JSON value against a shape: types, unknown fields (refused), required fields and choices.
 * Never throws on any input; every problem is reported. Formats are left to the requisite checks.
 */
export function checkShape(input: unknown, shape: Shape, path = ''): ShapeCheck {
  const errors: FieldError[] = [];
  const value = walk(input, shape, path, errors);
  return { errors, value };
}

function walk(input: unknown, shape: Shape, path: string, errors: FieldError[]): unknown {
  if (shape.type === 'string') {
    if (typeof input === 'string') return input;
    errors.push(fieldError('UFEBS_TYPE', path, `must be a string, not ${jsonType(input)}`));
    return undefined;
  }
  if (!isPlainObject(input)) {
    errors.push(fieldError('UFEBS_TYPE', path, `must be an object, not ${jsonType(input)}`));
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    const fieldShape = Object.hasOwn(shape.properties, key) ? shape.properties[key] : undefined;
    if (fieldShape === undefined) {
      errors.push(fieldError('UFEBS_UNKNOWN_FIELD', joinPath(path, key), 'is not a field of this object'));
      continue;
    }
    const child = walk(input[key], fieldShape, joinPath(path, key), errors);
    if (child !== undefined) out[key] = child;
  }
  for (const key of shape.required ?? []) {
    if (!Object.hasOwn(input, key)) errors.push(fieldError('UFEBS_REQUIRED', joinPath(path, key), 'is required'));
  }
  if (shape.exactlyOne !== undefined) {
    const present = shape.exactlyOne.filter((key) => Object.hasOwn(input, key));
    if (present.length !== 1) {
      errors.push(fieldError('UFEBS_CHOICE', path, `must hold exactly one of ${shape.exactlyOne.join(', ')}`));
    }
  }
  return out;
}

/** A JSON Schema object (draft-07, which Ajv 8 and fastify use by default). */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** Derives the JSON Schema of a shape: `additionalProperties: false` on every object, choices as `oneOf`. */
export function toJsonSchema(shape: Shape): JsonSchema {
  if (shape.type === 'string') {
    return {
      type: 'string',
      ...(shape.description === undefined ? {} : { description: shape.description }),
      ...(shape.enum === undefined ? {} : { enum: [...shape.enum] }),
      ...(shape.pattern === undefined ? {} : { pattern: shape.pattern }),
      ...(shape.minLength === undefined ? {} : { minLength: shape.minLength }),
      ...(shape.maxLength === undefined ? {} : { maxLength: shape.maxLength }),
    };
  }
  const properties: Record<string, JsonSchema> = {};
  for (const [key, child] of Object.entries(shape.properties)) properties[key] = toJsonSchema(child);
  return {
    type: 'object',
    ...(shape.description === undefined ? {} : { description: shape.description }),
    additionalProperties: false,
    properties,
    ...(shape.required === undefined || shape.required.length === 0 ? {} : { required: [...shape.required] }),
    ...(shape.exactlyOne === undefined
      ? {}
      : { oneOf: shape.exactlyOne.map((key) => ({ type: 'object', required: [key], properties: { [key]: {} } })) }),
  };
}
