import { createHash } from 'node:crypto';
import type { AuditEvent } from './types.js';

/** The hash before the first event, and before the first checkpoint: 64 zeros. */
export const ZERO_HASH = '0'.repeat(64);

/** The fields of an event that its hash covers: everything it stores except the two hashes. */
export type AuditEventFields = Omit<AuditEvent, 'prevHash' | 'hash'>;

/**
 * JSON with object keys sorted at every depth, so two objects with the same content give the same
 * text whatever order their keys were written in (jsonb, for one, reorders them). Arrays keep their
 * order. Values JSON cannot carry are written as JSON.stringify writes them (undefined members are
 * dropped, non-finite numbers become null), which is also what the database stores.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined || typeof item === 'function' ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return canonicalJson((value as { toJSON: () => unknown }).toJSON());
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The canonical text of an event's stored fields: one JSON object whose keys come in one fixed order
 * and whose nested objects (ed, certificate, details) have sorted keys. Two events with the same
 * content give the same text however they were built; any change of any field changes it.
 */
export function canonicalEvent(fields: AuditEventFields): string {
  return canonicalJson({
    seq: fields.seq,
    id: fields.id,
    at: fields.at,
    contour: fields.contour,
    service: fields.service,
    type: fields.type,
    actor: fields.actor,
    result: fields.result,
    reason: fields.reason,
    orderId: fields.orderId,
    messageId: fields.messageId,
    ed: fields.ed ? { edNo: fields.ed.edNo, edDate: fields.ed.edDate, edAuthor: fields.ed.edAuthor } : null,
    digest: fields.digest,
    certificate: fields.certificate
      ? {
          serial: fields.certificate.serial,
          issuer: fields.certificate.issuer,
          thumbprint: fields.certificate.thumbprint,
        }
      : null,
    details: fields.details,
  });
}

/** SHA-256 (lowercase hex) of `prevHash`, a newline and the canonical text of the event: its link in the chain. */
export function eventHash(prevHash: string, fields: AuditEventFields): string {
  return createHash('sha256')
    .update(`${prevHash}\n${canonicalEvent(fields)}`, 'utf8')
    .digest('hex');
}

/** SHA-256 (lowercase hex) of UTF-8 text followed by bytes. */
export function sha256Hex(text: string, bytes: Uint8Array = new Uint8Array()): string {
  return createHash('sha256').update(text, 'utf8').update(bytes).digest('hex');
}
