/**
 * A minimal DER reader and writer: just what CMS SignedData needs, working on offsets into the
 * original bytes so that an existing SignerInfo, certificate or signed-attributes block is always
 * taken (and put back) exactly as it was found. CRYPTO.md: the asn1-schema object model is ~30×
 * slower and does not keep the raw bytes of signed attributes.
 *
 * The reader accepts BER indefinite lengths in constructed values (some CMS producers stream their
 * output); the writer always produces DER.
 */

/** One tag-length-value found in a buffer. Offsets are absolute positions in that buffer. */
export interface Tlv {
  /** First identifier octet: class bits, constructed bit and the low tag number (0x1f for a high one). */
  tag: number;
  /** Tag number (also for the high-tag-number form). */
  tagNumber: number;
  constructed: boolean;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just after the last content octet (before the end-of-contents octets if indefinite). */
  contentEnd: number;
  /** Offset just after the whole element. */
  end: number;
  indefinite: boolean;
}

/** Nesting deeper than this is refused: CMS never needs it, and it bounds recursion on hostile input. */
const MAX_DEPTH = 48;

/**
 * Reads the element starting at `pos`, which must end at or before `limit`.
 * Returns undefined when the bytes there are not a well-formed BER element.
 */
export function readTlv(buf: Uint8Array, pos: number, limit: number, depth = 0): Tlv | undefined {
  if (depth > MAX_DEPTH || pos >= limit || limit > buf.length) return undefined;
  const start = pos;
  const first = buf[pos++]!;
  let tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    for (let i = 0; ; i++) {
      if (pos >= limit || i > 3) return undefined;
      const b = buf[pos++]!;
      tagNumber = tagNumber * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  const constructed = (first & 0x20) !== 0;
  if (pos >= limit) return undefined;
  const lengthOctet = buf[pos++]!;
  if (lengthOctet === 0x80) {
    if (!constructed) return undefined;
    const contentStart = pos;
    for (;;) {
      if (pos + 1 < limit && buf[pos] === 0 && buf[pos + 1] === 0) {
        return {
          tag: first,
          tagNumber,
          constructed,
          start,
          contentStart,
          contentEnd: pos,
          end: pos + 2,
          indefinite: true,
        };
      }
      const child = readTlv(buf, pos, limit, depth + 1);
      if (!child) return undefined;
      pos = child.end;
    }
  }
  let length: number;
  if (lengthOctet < 0x80) {
    length = lengthOctet;
  } else {
    const count = lengthOctet & 0x7f;
    // Four length octets address 4 GiB, far beyond anything this package accepts.
    if (count > 4 || pos + count > limit) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[pos++]!;
  }
  const contentEnd = pos + length;
  if (contentEnd > limit) return undefined;
  return {
    tag: first,
    tagNumber,
    constructed,
    start,
    contentStart: pos,
    contentEnd,
    end: contentEnd,
    indefinite: false,
  };
}

/** Reads the children of a constructed element; undefined if any child is malformed or if it is primitive. */
export function readChildren(buf: Uint8Array, parent: Tlv, depth = 0): Tlv[] | undefined {
  if (!parent.constructed) return undefined;
  const out: Tlv[] = [];
  let pos = parent.contentStart;
  while (pos < parent.contentEnd) {
    const child = readTlv(buf, pos, parent.contentEnd, depth + 1);
    if (!child) return undefined;
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** Reads a whole buffer as exactly one element (no trailing bytes). */
export function readSingle(buf: Uint8Array): Tlv | undefined {
  const tlv = readTlv(buf, 0, buf.length);
  return tlv && tlv.end === buf.length ? tlv : undefined;
}

/** The bytes of an element (header included), as a view into the buffer. */
export function slice(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.start, tlv.end);
}

/** The content octets of an element, as a view into the buffer. */
export function content(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.contentStart, tlv.contentEnd);
}

/** Universal and context tags used by CMS. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
  CONTEXT_0: 0xa0,
  CONTEXT_1: 0xa1,
  CONTEXT_3: 0xa3,
  CONTEXT_PRIMITIVE_0: 0x80,
} as const;

/** Decodes the content of an OBJECT IDENTIFIER; undefined when malformed. */
export function decodeOid(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0 || bytes.length > 64) return undefined;
  const arcs: number[] = [];
  let value = 0;
  let started = false;
  for (const b of bytes) {
    // A leading 0x80 octet in an arc is not minimal: DER forbids it.
    if (!started && b === 0x80) return undefined;
    started = true;
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) return undefined;
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0;
      started = false;
    }
  }
  if (started) return undefined;
  const firstArc = arcs[0]!;
  const head = firstArc < 40 ? [0, firstArc] : firstArc < 80 ? [1, firstArc - 40] : [2, firstArc - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

/** Encoded OIDs: the same few are written for every signature. Callers only copy them into other elements. */
const oidCache = new Map<string, Uint8Array>();

/** Encodes an OBJECT IDENTIFIER element from its dotted form. Throws on a malformed OID (a bug). */
export function encodeOid(oid: string): Uint8Array {
  const cached = oidCache.get(oid);
  if (cached) return cached;
  const encoded = encodeOidUncached(oid);
  if (oidCache.size < 256) oidCache.set(oid, encoded);
  return encoded;
}

function encodeOidUncached(oid: string): Uint8Array {
  const parts = oid.split('.').map((p) => {
    if (!/^\d+$/.test(p)) throw new TypeError(`bad OID ${oid}`);
    return Number(p);
  });
  if (parts.length < 2) throw new TypeError(`bad OID ${oid}`);
  const arcs = [parts[0]! * 40 + parts[1]!, ...parts.slice(2)];
  const out: number[] = [];
  for (const arc of arcs) {
    const chunk: number[] = [arc & 0x7f];
    let rest = Math.floor(arc / 128);
    while (rest > 0) {
      chunk.unshift((rest & 0x7f) | 0x80);
      rest = Math.floor(rest / 128);
    }
    out.push(...chunk);
  }
  return tlv(TAG.OID, Uint8Array.from(out));
}

/** Encodes a length in DER (definite, minimal). */
function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  let rest = length;
  while (rest > 0) {
    bytes.unshift(rest & 0xff);
    rest = Math.floor(rest / 256);
  }
  return Uint8Array.from([0x80 | bytes.length, ...bytes]);
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Encodes one element with a low tag number (every tag CMS uses) around the given content parts. */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const length = encodeLength(total);
  const out = new Uint8Array(1 + length.length + total);
  out[0] = tag;
  out.set(length, 1);
  let pos = 1 + length.length;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** SEQUENCE of the given encoded elements. */
export function sequence(...elements: Uint8Array[]): Uint8Array {
  return tlv(TAG.SEQUENCE, ...elements);
}

/** Compares two encodings as DER orders the elements of a SET OF (X.690 11.6: as octet strings, shorter first on a tie). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

/** True when two byte arrays hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A SET OF (or an IMPLICIT-tagged SET OF, with `tag`) with its elements in DER order (X.690 11.6). */
export function setOf(elements: readonly Uint8Array[], tag: number = TAG.SET): Uint8Array {
  return tlv(tag, ...[...elements].sort(compareBytes));
}

/** OCTET STRING element. */
export function octetString(bytes: Uint8Array): Uint8Array {
  return tlv(TAG.OCTET_STRING, bytes);
}

/** INTEGER element for a small non-negative number. */
export function smallInteger(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 127) throw new RangeError('smallInteger: 0..127');
  return tlv(TAG.INTEGER, Uint8Array.of(value));
}

/** Decodes a small non-negative INTEGER (a version field); undefined if malformed or out of range. */
export function decodeSmallInteger(bytes: Uint8Array): number | undefined {
  if (bytes.length !== 1 || bytes[0]! > 127) return undefined;
  return bytes[0];
}

const pad2 = (n: number): string => n.toString().padStart(2, '0');

/**
 * Time as RFC 5652 §11.3 wants it for signingTime (and RFC 5280 for validity): UTCTime for years
 * 1950–2049, GeneralizedTime otherwise, always in UTC with whole seconds.
 */
export function encodeTime(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  const rest = `${pad2(date.getUTCMonth() + 1)}${pad2(date.getUTCDate())}${pad2(date.getUTCHours())}${pad2(date.getUTCMinutes())}${pad2(date.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(TAG.UTC_TIME, new TextEncoder().encode(`${pad2(y % 100)}${rest}`));
  return tlv(TAG.GENERALIZED_TIME, new TextEncoder().encode(`${y.toString().padStart(4, '0')}${rest}`));
}

const UTC_TIME_RE = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/;
const GENERALIZED_TIME_RE = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,9}))?Z$/;

/** Decodes a UTCTime or GeneralizedTime element in UTC ("Z"); undefined otherwise. */
export function decodeTime(buf: Uint8Array, t: Tlv): Date | undefined {
  if (t.constructed || t.contentEnd - t.contentStart > 32) return undefined;
  let text = '';
  for (let i = t.contentStart; i < t.contentEnd; i++) text += String.fromCharCode(buf[i]!);
  let parts: number[];
  let millis = 0;
  if (t.tag === TAG.UTC_TIME) {
    const m = UTC_TIME_RE.exec(text);
    if (!m) return undefined;
    const yy = Number(m[1]);
    parts = [
      yy < 50 ? 2000 + yy : 1900 + yy,
      Number(m[2]),
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6] ?? 0),
    ];
  } else if (t.tag === TAG.GENERALIZED_TIME) {
    const m = GENERALIZED_TIME_RE.exec(text);
    if (!m) return undefined;
    parts = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])];
    if (m[7]) millis = Math.floor(Number(`0.${m[7]}`) * 1000);
  } else {
    return undefined;
  }
  const [year, month, day, hour, minute, second] = parts as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  // Reject dates that roll over (31 February) rather than silently moving them.
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return undefined;
  return date;
}
