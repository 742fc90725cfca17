import type { FieldError, Result } from './result.js';
import { ajvFieldErrors, createAjv } from './validation.js';

/**
 * What crosses the boundaries between contours: the queue names, which Redis each lives on, and the
 * job payloads. Producers and consumers of different services share nothing else (DESIGN.md: a
 * service never imports another service), so this file is the contract. A consumer validates every
 * payload against these schemas before acting: the other contour may be compromised.
 *
 *   formation ──f2c──▶ control ──c2t──▶ transport        (on the f2c boundary Redis / the c2t boundary Redis)
 *   formation ◀──c2f── control ◀──t2c── transport
 */

/** Queue names. `f2c` and `c2f` live on the formation↔control Redis; `c2t` and `t2c` on the control↔transport Redis. */
export const QUEUE_NAMES = Object.freeze({ f2c: 'f2c', c2f: 'c2f', c2t: 'c2t', t2c: 't2c' } as const);

/** Stages a payment order passes, in the order they normally happen (4600-У п. 2.2.3: the sender is told each). */
export const ORDER_STAGES = Object.freeze([
  'accepted', // formation: requisites passed, order stored
  'formed', // formation: ED101 built, EDNo assigned
  'signed-by-formation', // formation: ЗК 1 added, handed to control through the outbox
  'controlled', // control: formation ЗК verified, requisites match the primary document, no duplicate
  'signed-by-control', // control: ЗК 2 and КА added, handed to transport
  'sent', // transport: delivered to the Bank of Russia
  'accepted-by-cbr', // ED201 positive
  'executed', // ED206 confirmation
  // Terminal refusals:
  'rejected-by-formation',
  'rejected-by-control',
  'rejected-by-transport',
  'rejected-by-cbr',
  'annulled',
] as const);

/** One stage name. */
export type OrderStage = (typeof ORDER_STAGES)[number];

/** Stages after which nothing more happens to an order. */
export const TERMINAL_STAGES: ReadonlySet<OrderStage> = new Set<OrderStage>([
  'executed',
  'rejected-by-formation',
  'rejected-by-control',
  'rejected-by-transport',
  'rejected-by-cbr',
  'annulled',
]);

/** Identity of an ED (EDNo + EDDate + EDAuthor). */
export interface EdRefPayload {
  edNo: string;
  edDate: string;
  edAuthor: string;
}

/** One requisite that differs between the ED and the primary document (802-П прил. 1.4). */
export interface RequisiteDiff {
  /** Dotted path in the payment order, e.g. `payee.personalAcc`. */
  field: string;
  /** The value in the ED; null when the ED lacks the field. */
  ed: string | null;
  /** The value in the primary document; null when it lacks the field. */
  source: string | null;
}

/** formation → control (queue f2c): an ED101 formed and signed by formation. */
export interface F2cPayload {
  type: 'ed.formed';
  version: 1;
  /** Deterministic: `f2c-<orderId>`; also the BullMQ job id and the consumer's dedupe key. */
  messageId: string;
  /** Formation's order id, carried back with every status. */
  orderId: string;
  ed: EdRefPayload;
  /** The ED101 file exactly as formation signed it (Windows-1251 XML with its ЗК), base64. */
  edBase64: string;
  /** ISO 8601. */
  formedAt: string;
}

/** control → transport (queue c2t): the ED with both ЗК, wrapped in control's КА envelope. */
export interface C2tPayload {
  type: 'ed.controlled';
  version: 1;
  /** `c2t-<orderId>`. */
  messageId: string;
  orderId: string;
  ed: EdRefPayload;
  /** The `sen:SigEnvelope` file, base64. */
  envelopeBase64: string;
  controlledAt: string;
}

/** A stage reached, travelling back: control → formation (c2f) and transport → control (t2c). */
export interface StatusPayload {
  type: 'order.status';
  version: 1;
  /** `<queue>-<orderId>-<stage>`: one message per stage of one order. */
  messageId: string;
  orderId: string;
  ed: EdRefPayload;
  stage: OrderStage;
  /** ISO 8601: when the stage was reached. */
  at: string;
  /** Stable reason code of a refusal (`CTL_*`, `SIG_*`, the CBR's CtrlCode as `CBR_<code>`, …). */
  code?: string;
  /** Human-readable reason or the CBR's annotation. */
  reason?: string;
  /** For a requisite mismatch: every differing field. */
  diff?: RequisiteDiff[];
}

/**
 * The state of the exchange with the Bank of Russia as transport holds it (802-П п. 19): `running`;
 * `suspending` (transport stopped every delivery for an incident; the Bank of Russia has not yet confirmed
 * the suspension); `suspended` (confirmed); `resuming` (the cancellation request is on its way; still
 * nothing is delivered until the Bank of Russia answers).
 */
export const EXCHANGE_STATES = Object.freeze(['running', 'suspending', 'suspended', 'resuming'] as const);

/** One exchange state. */
export type ExchangeState = (typeof EXCHANGE_STATES)[number];

/**
 * transport → control (t2c) → formation (c2f): the exchange state changed (802-П п. 19). Control passes it
 * on unchanged but for its message id; formation refuses new orders while it is not `running`.
 */
export interface ExchangeStatePayload {
  type: 'exchange.state';
  version: 1;
  /** `<queue>-exchange-<seq>`: one message per change. */
  messageId: string;
  /** Grows with every change: queues do not keep order, so a consumer keeps the highest it has seen. */
  seq: number;
  state: ExchangeState;
  /** The incident that stopped the exchange (absent once it runs again without one). */
  incidentId?: string;
  /** ISO 8601: when the state took effect. */
  at: string;
}

const ED_REF_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['edNo', 'edDate', 'edAuthor'],
  properties: {
    edNo: { type: 'string', pattern: '^[1-9][0-9]{0,8}$' },
    edDate: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
    edAuthor: { type: 'string', pattern: '^[0-9]{10}$' },
  },
} as const;

const ID = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._-]+$' } as const;
const TIME = { type: 'string', minLength: 20, maxLength: 40 } as const;
const BASE64 = {
  type: 'string',
  minLength: 4,
  maxLength: 16 * 1024 * 1024,
  pattern: '^[A-Za-z0-9+/]+={0,2}$',
} as const;

/** JSON Schemas of the payloads, for the consumers' validation (Ajv, no coercion, unknown keys refused). */
export const BOUNDARY_SCHEMAS = Object.freeze({
  f2c: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'version', 'messageId', 'orderId', 'ed', 'edBase64', 'formedAt'],
    properties: {
      type: { const: 'ed.formed' },
      version: { const: 1 },
      messageId: ID,
      orderId: ID,
      ed: ED_REF_SCHEMA,
      edBase64: BASE64,
      formedAt: TIME,
    },
  },
  c2t: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'version', 'messageId', 'orderId', 'ed', 'envelopeBase64', 'controlledAt'],
    properties: {
      type: { const: 'ed.controlled' },
      version: { const: 1 },
      messageId: ID,
      orderId: ID,
      ed: ED_REF_SCHEMA,
      envelopeBase64: BASE64,
      controlledAt: TIME,
    },
  },
  status: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'version', 'messageId', 'orderId', 'ed', 'stage', 'at'],
    properties: {
      type: { const: 'order.status' },
      version: { const: 1 },
      messageId: ID,
      orderId: ID,
      ed: ED_REF_SCHEMA,
      stage: { enum: [...ORDER_STAGES] },
      at: TIME,
      code: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Z][A-Z0-9_]*$' },
      reason: { type: 'string', maxLength: 2000 },
      diff: {
        type: 'array',
        maxItems: 200,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['field', 'ed', 'source'],
          properties: {
            field: { type: 'string', minLength: 1, maxLength: 200 },
            ed: { type: ['string', 'null'], maxLength: 1000 },
            source: { type: ['string', 'null'], maxLength: 1000 },
          },
        },
      },
    },
  },
  exchange: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'version', 'messageId', 'seq', 'state', 'at'],
    properties: {
      type: { const: 'exchange.state' },
      version: { const: 1 },
      messageId: ID,
      seq: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
      state: { enum: [...EXCHANGE_STATES] },
      incidentId: ID,
      at: TIME,
    },
  },
} as const);

const ajv = createAjv({ coerceTypes: false });
const validators = {
  f2c: ajv.compile(BOUNDARY_SCHEMAS.f2c),
  c2t: ajv.compile(BOUNDARY_SCHEMAS.c2t),
  status: ajv.compile(BOUNDARY_SCHEMAS.status),
  exchange: ajv.compile(BOUNDARY_SCHEMAS.exchange),
};

interface PayloadOf {
  f2c: F2cPayload;
  c2t: C2tPayload;
  status: StatusPayload;
  exchange: ExchangeStatePayload;
}

/**
 * Checks a job payload that arrived from another contour. A payload that does not match the
 * contract is refused as `QUE_BAD_PAYLOAD` with every field error: never acted on, never retried.
 */
export function parseBoundaryPayload<K extends keyof PayloadOf>(kind: K, value: unknown): Result<PayloadOf[K]> {
  const validate = validators[kind];
  if (validate(value)) return { ok: true, value: value as PayloadOf[K] };
  return {
    ok: false,
    code: 'QUE_BAD_PAYLOAD',
    message: `the ${kind} payload does not match the boundary contract`,
    errors: ajvFieldErrors(validate.errors, 'payload'),
  };
}

/** True when a job on t2c or c2f claims to be an exchange-state message (then parse it as `exchange`). */
export function isExchangeStateJob(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'exchange.state';
}

/** Where a refusal of a hand-over can still be sent: its order and ED, when those alone are well-formed. */
export interface HandOverAddress {
  orderId: string;
  ed: EdRefPayload;
}

/** A decoded hand-over job (f2c or c2t): the payload, or why it was refused and where the refusal goes. */
export type DecodedHandOver<K extends 'f2c' | 'c2t'> =
  | { ok: true; payload: PayloadOf[K] }
  | { ok: false; code: 'QUE_BAD_PAYLOAD'; message: string; errors: FieldError[]; address?: HandOverAddress };

const isAddressed = ajv.compile<HandOverAddress>({
  type: 'object',
  required: ['orderId', 'ed'],
  properties: { orderId: ID, ed: ED_REF_SCHEMA },
});

/**
 * Checks a hand-over job (queue f2c or c2t) against the contract: the sending contour may be
 * compromised, so nothing is acted on before this passes. Beyond the schema, the message id must be
 * `<queue>-<orderId>`, so the consumer's dedupe key is one per order. A refused job keeps its address
 * when its order id and ED identity alone are well-formed, so the refusal can still reach the sender.
 * Never throws.
 */
export function decodeHandOver<K extends 'f2c' | 'c2t'>(kind: K, value: unknown): DecodedHandOver<K> {
  const parsed = parseBoundaryPayload(kind, value);
  if (parsed.ok) {
    const payload = parsed.value as PayloadOf[K] & HandOverAddress & { messageId: string };
    if (payload.messageId === `${kind}-${payload.orderId}`) return { ok: true, payload };
    return {
      ok: false,
      code: 'QUE_BAD_PAYLOAD',
      message: `the ${kind} message id is not ${kind}-<orderId>`,
      errors: [{ code: 'QUE_BAD_PAYLOAD', path: 'payload.messageId', message: `must be ${kind}-<orderId>` }],
      address: { orderId: payload.orderId, ed: payload.ed },
    };
  }
  const failure = {
    ok: false as const,
    code: 'QUE_BAD_PAYLOAD' as const,
    message: parsed.message,
    errors: parsed.errors ?? [],
  };
  if (!isAddressed(value)) return failure;
  const { orderId, ed } = value;
  return { ...failure, address: { orderId, ed: { edNo: ed.edNo, edDate: ed.edDate, edAuthor: ed.edAuthor } } };
}
