/**
 * PEM (RFC 7468) reading and writing. Strict enough that garbage is refused, lenient about line
 * lengths and CRLF so files edited on Windows still read.
 */

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** One decoded PEM block. */
export interface PemBlock {
  label: string;
  der: Uint8Array;
}

/** Every well-formed PEM block in the text, in order; a block with bad base64 is skipped. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const body = m[2]!.replace(/\s+/g, '');
    if (body.length === 0 || body.length % 4 !== 0 || !BASE64.test(body)) continue;
    out.push({ label: m[1]!, der: new Uint8Array(Buffer.from(body, 'base64')) });
  }
  return out;
}

/** Encodes DER as a PEM block with 64-character lines. */
export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** True when the bytes look like DER (a SEQUENCE) rather than PEM text. */
export function looksLikeDer(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] === 0x30;
}

/**
 * The DER objects in a PEM text or DER buffer: DER passes through as one object, PEM yields every
 * block whose label is one of `labels`.
 */
export function derObjects(input: string | Uint8Array, labels: readonly string[]): Uint8Array[] {
  if (typeof input !== 'string') {
    if (looksLikeDer(input)) return [input];
    input = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
  }
  return pemBlocks(input)
    .filter((b) => labels.includes(b.label))
    .map((b) => b.der);
}
