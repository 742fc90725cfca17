/**
 * The archive list's cursor: a position in time order, `(at, id)`, where `at` is counted in whole
 * microseconds since 1970 (PostgreSQL's resolution: milliseconds would skip or repeat records written
 * in the same millisecond). Opaque to clients: base64url of `a1.<micros>.<id>`. Decoding accepts only
 * the canonical form an encoder writes, so one position has exactly one cursor.
 */

/** A position in the archive's time order. */
export interface ArchivePosition {
  /** Microseconds since 1970-01-01T00:00:00Z, a decimal integer string (may be negative). */
  atMicros: string;
  /** The record id, a decimal integer string. */
  id: string;
}

const PLAIN = /^a1\.(0|-?[1-9][0-9]{0,17})\.(0|[1-9][0-9]{0,18})$/;
const BASE64URL = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_ID = 9_223_372_036_854_775_807n;

/** The cursor of a position. Throws RangeError for a position that is not two decimal integers in range. */
export function encodeArchiveCursor(position: ArchivePosition): string {
  const plain = `a1.${position.atMicros}.${position.id}`;
  if (!PLAIN.test(plain) || BigInt(position.id) > MAX_ID) throw new RangeError('not an archive position');
  return Buffer.from(plain, 'utf8').toString('base64url');
}

/** The position of a cursor, or undefined when it is not one {@link encodeArchiveCursor} writes. Never throws. */
export function decodeArchiveCursor(cursor: unknown): ArchivePosition | undefined {
  if (typeof cursor !== 'string' || !BASE64URL.test(cursor)) return undefined;
  const plain = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = PLAIN.exec(plain);
  if (!match?.[1] || !match[2]) return undefined;
  if (BigInt(match[2]) > MAX_ID) return undefined;
  // Canonical only: another spelling of the same bytes (padding bits, a different alphabet) is refused.
  if (Buffer.from(plain, 'utf8').toString('base64url') !== cursor) return undefined;
  return { atMicros: match[1], id: match[2] };
}
