import { BUDGET_FIELDS } from './validate/budget.js';
import { PAYMENT_ORDER_SHAPE } from './validate/order-shape.js';
import { type JsonSchema, toJsonSchema } from './validate/shape.js';

/**
 * The budget payment rules that JSON Schema can say (validate/budget.ts `checkBudgetRules` is the
 * full statement): when the payee account is a treasury revenue account (03100…, 40101…) or
 * departmentalInfo is given, поля 101 and 104–109, PaymentID and the INN/KPP of both parties are required.
 */
/** `{ type: 'object', required: keys }`, each key also listed under `properties` (Ajv's strictRequired). */
const requires = (keys: readonly string[], properties: Record<string, JsonSchema> = {}): JsonSchema => ({
  type: 'object',
  required: [...keys],
  properties: { ...Object.fromEntries(keys.map((k) => [k, {}])), ...properties },
});

const BUDGET_REQUIRES: JsonSchema = requires(['departmentalInfo', 'paymentId'], {
  departmentalInfo: requires(BUDGET_FIELDS),
  payer: requires(['inn', 'kpp']),
  payee: requires(['inn', 'kpp']),
});

/** "The payee account matches `pattern`" (types spelled out for Ajv's strict mode). */
const payeeAccountMatches = (pattern: string): JsonSchema =>
  requires(['payee'], { payee: requires(['personalAcc'], { personalAcc: { type: 'string', pattern } }) });

/** A JSON Schema conditional: when `condition` holds, `consequence` must hold too. */
const when = (condition: JsonSchema, consequence: JsonSchema): JsonSchema => ({
  if: condition,
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable object.
  then: consequence,
});

/**
 * JSON Schema (draft-07, Ajv 8's and fastify's default) of a payment order as the back office posts
 * it. Derived from the same shape description as `validatePaymentOrder`'s shape check, with the same
 * patterns as its requisite checks, so an order the validator accepts always passes the schema. The
 * schema cannot check control keys, checksums or calendar dates: always run `validatePaymentOrder`
 * after it. `additionalProperties: false` on every object.
 */
export const PAYMENT_ORDER_JSON_SCHEMA: JsonSchema = Object.freeze({
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'urn:twincontour:ufebs:payment-order',
  title: 'PaymentOrder',
  ...toJsonSchema(PAYMENT_ORDER_SHAPE),
  allOf: [
    when(payeeAccountMatches('^(03100|40101)'), BUDGET_REQUIRES),
    when(requires(['departmentalInfo']), BUDGET_REQUIRES),
    // A treasury account (03…) is reached only through a single treasury account (40102…).
    when(payeeAccountMatches('^03'), {
      type: 'object',
      properties: {
        payee: {
          type: 'object',
          properties: { bank: requires(['correspAcc'], { correspAcc: { type: 'string', pattern: '^40102' } }) },
        },
      },
    }),
  ],
});
