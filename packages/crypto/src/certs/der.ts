/**
 * A small, strict DER reader and writer. Certificates and CRLs are read with it instead of an
 * ASN.1 object model: parsing with `asn1-schema` costs ~1.9 ms per certificate (CRYPTO.md) and keeps
 * no raw bytes, while signature checks need the exact TBS bytes. Being strict (definite, minimal
 * lengths; no trailing bytes) also means a single changed byte is either a parse failure or a changed
 * signed value — never a silently "repaired" structure. Nothing here throws on bad input.
 */

/** One decoded tag-length-value: offsets into the buffer it was read from. */
export interface Tlv {
  /** The identifier octet (class, constructed bit and tag number < 31). */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the last content octet. */
  readonly end: number;
}

/** Universal tags used by the readers. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  NUMERIC_STRING: 0x12,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag `[n]`, constructed or primitive. */
export function contextTag(n: number, constructed: boolean): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

/** Reads one TLV starting at `offset`, which must end at or before `limit`. Undefined when not valid DER. */
export function readTlv(buf: Uint8Array, offset: number, limit: number = buf.length): Tlv | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = buf[offset]!;
  // High-tag-number form never occurs in the structures read here; refusing it keeps the reader small.
  if ((tag & 0x1f) === 0x1f) return undefined;
  const first = buf[offset + 1]!;
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = offset + 2;
  } else {
    const n = first & 0x7f;
    // 0x80 is BER's indefinite length; more than 4 length octets is beyond anything we accept.
    if (n === 0 || n > 4 || offset + 2 + n > limit) return undefined;
    // DER: the shortest form, no leading zero octet.
    if (buf[offset + 2] === 0) return undefined;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[offset + 2 + i]!;
    if (length < 0x80) return undefined;
    contentStart = offset + 2 + n;
  }
  const end = contentStart + length;
  if (end > limit) return undefined;
  return { tag, start: offset, contentStart, end };
}

/** Reads a TLV that must span exactly the whole buffer. */
export function readWhole(buf: Uint8Array, expectedTag?: number): Tlv | undefined {
  const tlv = readTlv(buf, 0, buf.length);
  if (!tlv || tlv.end !== buf.length) return undefined;
  if (expectedTag !== undefined && tlv.tag !== expectedTag) return undefined;
  return tlv;
}

/** The children of a constructed TLV; undefined unless they exactly fill its content. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] | undefined {
  if ((parent.tag & 0x20) === 0) return undefined;
  const out: Tlv[] = [];
  let p = parent.contentStart;
  while (p < parent.end) {
    const c = readTlv(buf, p, parent.end);
    if (!c) return undefined;
    out.push(c);
    p = c.end;
  }
  return out;
}

/** The content octets of a TLV (a view, not a copy). */
export function content(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.contentStart, tlv.end);
}

/** The whole encoding of a TLV, identifier to last content octet (a view, not a copy). */
export function encoding(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.start, tlv.end);
}

/** Decodes an OBJECT IDENTIFIER's content to dotted form; arcs of any size (2.25.<UUID> needs 128 bits). */
export function decodeOid(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0 || bytes.length > 256) return undefined;
  const arcs: bigint[] = [];
  let value = 0n;
  let inArc = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    // DER: no leading 0x80 octet inside an arc.
    if (!inArc && b === 0x80) return undefined;
    value = (value << 7n) | BigInt(b & 0x7f);
    inArc = (b & 0x80) !== 0;
    if (!inArc) {
      arcs.push(value);
      value = 0n;
    }
  }
  if (inArc) return undefined;
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].map((a) => a.toString()).join('.');
}

/** Encodes a dotted OID to its DER content. Throws on a malformed OID: callers pass constants. */
export function encodeOidContent(oid: string): Uint8Array {
  const parts = oid.split('.').map((p) => {
    if (!/^(0|[1-9][0-9]*)$/.test(p)) throw new Error(`bad OID ${oid}`);
    return BigInt(p);
  });
  if (parts.length < 2 || parts[0]! > 2n || (parts[0]! < 2n && parts[1]! > 39n)) throw new Error(`bad OID ${oid}`);
  const arcs = [parts[0]! * 40n + parts[1]!, ...parts.slice(2)];
  const out: number[] = [];
  for (const arc of arcs) {
    const groups: number[] = [];
    let v = arc;
    do {
      groups.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    for (let i = 0; i < groups.length; i++) out.push(groups[i]! | (i < groups.length - 1 ? 0x80 : 0));
  }
  return Uint8Array.from(out);
}

/** An INTEGER's content as lowercase hex without leading zeros ("0" for zero); undefined if not minimal DER. */
export function integerHex(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return undefined;
  if (bytes.length > 1 && bytes[0] === 0 && (bytes[1]! & 0x80) === 0) return undefined;
  if (bytes.length > 1 && bytes[0] === 0xff && (bytes[1]! & 0x80) !== 0) return undefined;
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}

/** A small non-negative INTEGER (versions, path lengths, reason codes); undefined if negative or too big. */
export function smallInteger(bytes: Uint8Array): number | undefined {
  if (integerHex(bytes) === undefined || (bytes[0]! & 0x80) !== 0 || bytes.length > 6) return undefined;
  let v = 0;
  for (const b of bytes) v = v * 256 + b;
  return v;
}

/** Decodes UTCTime or GeneralizedTime in the RFC 5280 profile (seconds, `Z`, no fractions). */
export function decodeTime(tag: number, bytes: Uint8Array): Date | undefined {
  const s = String.fromCharCode(...bytes);
  let year: number;
  let rest: string;
  if (tag === TAG.UTC_TIME) {
    if (!/^[0-9]{12}Z$/.test(s)) return undefined;
    const yy = Number(s.slice(0, 2));
    // RFC 5280 4.1.2.5.1: YY >= 50 is 19YY, otherwise 20YY.
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = s.slice(2);
  } else if (tag === TAG.GENERALIZED_TIME) {
    if (!/^[0-9]{14}Z$/.test(s)) return undefined;
    year = Number(s.slice(0, 4));
    rest = s.slice(4);
  } else {
    return undefined;
  }
  const [mo, d, h, mi, se] = [0, 2, 4, 6, 8].map((i) => Number(rest.slice(i, i + 2))) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const t = Date.UTC(year, mo - 1, d, h, mi, se);
  const date = new Date(t);
  // Reject 31 February and the like: Date.UTC would silently roll them over.
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== mo - 1 ||
    date.getUTCDate() !== d ||
    date.getUTCHours() !== h ||
    date.getUTCMinutes() !== mi ||
    date.getUTCSeconds() !== se
  ) {
    return undefined;
  }
  return date;
}

/** A BIT STRING's content as its bytes, requiring zero unused bits unless `allowUnused` (named-bit lists). */
export function bitStringBytes(bytes: Uint8Array, allowUnused = false): Uint8Array | undefined {
  if (bytes.length === 0) return undefined;
  const unused = bytes[0]!;
  if (unused > 7 || (unused > 0 && (!allowUnused || bytes.length === 1))) return undefined;
  if (unused > 0) {
    // DER: the unused bits are zero.
    const last = bytes[bytes.length - 1]!;
    if ((last & ((1 << unused) - 1)) !== 0) return undefined;
  }
  return bytes.subarray(1);
}

// ---------------------------------------------------------------------------------------------
// Writer: enough DER to build the few structures we emit ourselves (PKCS#8 with scrypt, CRL number).

/** Encodes one TLV with the given tag around the content. */
export function tlv(tag: number, body: Uint8Array): Uint8Array {
  const len = body.length;
  let header: number[];
  if (len < 0x80) {
    header = [tag, len];
  } else {
    const lenBytes: number[] = [];
    for (let v = len; v > 0; v = Math.floor(v / 256)) lenBytes.unshift(v & 0xff);
    header = [tag, 0x80 | lenBytes.length, ...lenBytes];
  }
  const out = new Uint8Array(header.length + len);
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}

/** SEQUENCE of the given encodings. */
export function sequence(...items: Uint8Array[]): Uint8Array {
  return tlv(TAG.SEQUENCE, Buffer.concat(items));
}

/** OBJECT IDENTIFIER. */
export function oid(dotted: string): Uint8Array {
  return tlv(TAG.OID, encodeOidContent(dotted));
}

/** OCTET STRING. */
export function octetString(bytes: Uint8Array): Uint8Array {
  return tlv(TAG.OCTET_STRING, bytes);
}

/** A non-negative INTEGER from a number or bigint. */
export function integer(value: number | bigint): Uint8Array {
  let v = BigInt(value);
  if (v < 0n) throw new RangeError('negative INTEGER not supported');
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(TAG.INTEGER, Uint8Array.from(bytes));
}
