import { randomUUID } from 'node:crypto';
import { auditError } from './errors.js';
import type { AuditEventFields } from './hash.js';
import { AUDIT_EVENT_TYPES, type AuditEventInput, type AuditResult } from './types.js';

/** What record() stores in audit_inbox: every field of the event but its chain position. */
export type InboxEvent = Omit<AuditEventFields, 'seq'>;

const TYPES: ReadonlySet<string> = new Set(AUDIT_EVENT_TYPES);
const RESULTS: ReadonlySet<string> = new Set<AuditResult>(['pass', 'fail', 'info']);
/** Longest plain field (an RFC 4514 issuer can be long; ids and codes are short). */
const MAX_FIELD = 2048;
/** Largest `details` as JSON: small facts, never message bodies (STYLE.md, Logging and the audit log). */
export const MAX_DETAILS_BYTES = 16 * 1024;
/** Years a timestamptz and an ISO 8601 string both carry without sign or extension. */
const MIN_TIME = Date.UTC(1970, 0, 1);
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** In `u` mode a surrogate pair is one code point, so this matches unpaired surrogates only. */
const LONE_SURROGATE = /\p{Cs}/u;

function invalid(field: string, why: string): never {
  throw auditError('AUDIT_EVENT_INVALID', `audit event field ${field} ${why}`);
}

/**
 * PostgreSQL refuses NUL in text and jsonb, and an unpaired surrogate would be stored as U+FFFD —
 * either way the value read back would differ from the value hashed, so both are refused up front.
 */
function checkString(field: string, value: unknown, max = MAX_FIELD): string {
  if (typeof value !== 'string') invalid(field, 'must be a string');
  if (value.length > max) invalid(field, `is longer than ${max} characters`);
  if (value.includes('\u0000')) invalid(field, 'contains NUL');
  if (LONE_SURROGATE.test(value)) invalid(field, 'contains an unpaired surrogate');
  return value;
}

function optionalString(field: string, value: unknown): string | null {
  return value === undefined || value === null ? null : checkString(field, value);
}

/** Walks `details`, refusing strings (keys included) that the database would change. */
function checkDetails(value: unknown, path: string, depth: number): void {
  if (depth > 16) invalid(path, 'is nested too deeply');
  if (typeof value === 'string') {
    checkString(path, value, MAX_DETAILS_BYTES);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      checkDetails(item, `${path}[${i}]`, depth + 1);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      checkString(`${path} key`, key, 256);
      checkDetails(item, `${path}.${key}`, depth + 1);
    }
  }
}

/**
 * Checks what a service records and turns it into the stored form: a new id, `at` as ISO 8601 with
 * milliseconds (what a timestamptz gives back), absent fields as null, details as plain JSON (what jsonb
 * gives back). Throws `AUDIT_EVENT_INVALID` naming the field: a bad event is a bug of the caller.
 */
export function toInboxEvent(input: AuditEventInput, contour: string, service: string): InboxEvent {
  if (typeof input !== 'object' || input === null) invalid('event', 'must be an object');
  if (!TYPES.has(input.type)) invalid('type', 'is not an audit event type');
  if (!RESULTS.has(input.result)) invalid('result', 'must be pass, fail or info');
  const at = input.at ?? new Date();
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) invalid('at', 'must be a valid Date');
  if (at.getTime() < MIN_TIME || at.getTime() > MAX_TIME) invalid('at', 'must lie in the years 1970–9999');
  let details: Record<string, unknown> | null = null;
  if (input.details !== undefined && input.details !== null) {
    if (typeof input.details !== 'object' || Array.isArray(input.details)) invalid('details', 'must be an object');
    checkDetails(input.details, 'details', 0);
    let json: string;
    try {
      json = JSON.stringify(input.details);
    } catch {
      invalid('details', 'is not JSON (a BigInt or a cycle)');
    }
    if (Buffer.byteLength(json, 'utf8') > MAX_DETAILS_BYTES) invalid('details', `is over ${MAX_DETAILS_BYTES} bytes`);
    details = JSON.parse(json) as Record<string, unknown>;
  }
  const ed = input.ed
    ? {
        edNo: checkString('ed.edNo', input.ed.edNo),
        edDate: checkString('ed.edDate', input.ed.edDate),
        edAuthor: checkString('ed.edAuthor', input.ed.edAuthor),
      }
    : null;
  const certificate = input.certificate
    ? {
        serial: checkString('certificate.serial', input.certificate.serial),
        issuer: checkString('certificate.issuer', input.certificate.issuer),
        thumbprint: checkString('certificate.thumbprint', input.certificate.thumbprint),
      }
    : null;
  return {
    id: randomUUID(),
    at: at.toISOString(),
    contour: checkString('contour', contour),
    service: checkString('service', service),
    type: input.type,
    actor: checkString('actor', input.actor),
    result: input.result,
    reason: optionalString('reason', input.reason),
    orderId: optionalString('orderId', input.orderId),
    messageId: optionalString('messageId', input.messageId),
    ed,
    digest: optionalString('digest', input.digest),
    certificate,
    details,
  };
}
