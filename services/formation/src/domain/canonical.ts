import { createHash } from 'node:crypto';

/**
 * Canonical JSON of a parsed JSON value: object keys sorted (code-unit order), no whitespace, strings
 * and numbers as `JSON.stringify` writes them. Two bodies that differ only in key order or layout
 * have one canonical form, so an Idempotency-Key repeat is recognised whatever the client's serializer.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/** SHA-256 (hex) of the canonical JSON of a request body: what a repeated Idempotency-Key is compared by. */
export function requestDigest(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body), 'utf8').digest('hex');
}
