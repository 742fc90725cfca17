import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PaymentOrder } from './model.js';
import { PAYMENT_ORDER_JSON_SCHEMA } from './order-schema.js';
import { paymentOrderArbitrary } from './validate/arbitrary.js';
import { validatePaymentOrder } from './validate/index.js';

const ajv = new Ajv({ strict: true, allErrors: true });
const schemaValid = ajv.compile(PAYMENT_ORDER_JSON_SCHEMA);

const load = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../examples/${name}`, import.meta.url), 'utf8')) as PaymentOrder;

type Node = { [key: string]: unknown };
/** Every object schema of the structure (root and nested `properties`, not the if/then/oneOf applicators). */
function* objectSchemas(node: Node): Generator<Node> {
  if (node.type !== 'object') return;
  yield node;
  for (const child of Object.values((node.properties ?? {}) as Record<string, Node>)) yield* objectSchemas(child);
}

/** Sets `value` at a dotted path of a JSON object, copying along the way. */
function setPath(root: unknown, path: readonly string[], value: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  const obj = typeof root === 'object' && root !== null && !Array.isArray(root) ? (root as Node) : {};
  return { ...obj, [head]: setPath(obj[head], rest, value) };
}

function leafPaths(node: unknown, prefix: string[] = []): string[][] {
  if (typeof node !== 'object' || node === null) return [prefix];
  return Object.entries(node as Node).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
}

describe('PAYMENT_ORDER_JSON_SCHEMA', () => {
  it('compiles under Ajv 8 strict mode and closes every object', () => {
    const objects = [...objectSchemas(PAYMENT_ORDER_JSON_SCHEMA as Node)];
    expect(objects.length).toBeGreaterThan(10);
    for (const o of objects) expect(o.additionalProperties).toBe(false);
  });

  it.each(['payment-order.json', 'budget-payment-order.json'])(
    'accepts the example %s, as the validator does',
    (name) => {
      const order = load(name);
      expect(schemaValid(order)).toBe(true);
      expect(validatePaymentOrder(order).ok).toBe(true);
    },
  );

  it('accepts every generated valid order, as the validator does', () => {
    fc.assert(
      fc.property(paymentOrderArbitrary(), (order) => {
        expect(validatePaymentOrder(order).ok).toBe(true);
        expect(schemaValid(order)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('never refuses what the validator accepts when a field is changed or dropped', () => {
    const replacement = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.stringMatching(/^\d{1,25}$/),
      fc.constantFrom('0', '', ' ', 'ТП', '01', 'МС.03.2025', '2025-02-30', '03100643000000018500'),
      fc.jsonValue(),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(paymentOrderArbitrary(), fc.nat(), replacement, (order, pick, value) => {
        const paths = leafPaths(order);
        const path = paths[pick % paths.length] ?? ['sum'];
        const mutated = JSON.parse(JSON.stringify(setPath(order, path, value)) ?? 'null') as unknown;
        if (validatePaymentOrder(mutated).ok) expect(schemaValid(mutated)).toBe(true);
        if (!schemaValid(mutated)) expect(validatePaymentOrder(mutated).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['an unknown field', { ...load('payment-order.json'), comment: 'x' }],
    ['a number amount', { ...load('payment-order.json'), sum: 1 }],
    [
      'a treasury payee without departmental info',
      (() => {
        const { departmentalInfo: _d, ...rest } = load('budget-payment-order.json');
        return rest;
      })(),
    ],
    [
      'a treasury payee reached through a 30101 account',
      (() => {
        const o = load('budget-payment-order.json');
        return { ...o, payee: { ...o.payee, bank: { bic: '017003983', correspAcc: '30101810400000000225' } } };
      })(),
    ],
  ])('refuses %s, as the validator does', (_label, order) => {
    expect(schemaValid(order)).toBe(false);
    expect(validatePaymentOrder(order).ok).toBe(false);
  });
});
