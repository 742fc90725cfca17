import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCrl } from './crl.js';
import {
  bitStringBytes,
  children,
  decodeOid,
  decodeTime,
  encodeOidContent,
  integer,
  integerHex,
  readTlv,
  readWhole,
  sequence,
  TAG,
} from './der.js';
import { formatName } from './name.js';
import { parseCertificate } from './parse.js';

describe('OIDs', () => {
  it.each([
    ['1.2.840.10045.4.3.2', '2a8648ce3d040302'],
    ['2.5.29.32', '551d20'],
    ['2.25.340116159082910906066318596552737250489.1.1', null],
  ])('encodes and decodes %s', (oid, hex) => {
    const enc = encodeOidContent(oid);
    if (hex) expect(Buffer.from(enc).toString('hex')).toBe(hex);
    expect(decodeOid(enc)).toBe(oid);
  });

  it('round-trips arbitrary OIDs, including arcs far beyond 64 bits', () => {
    const arc = fc.bigInt({ min: 0n, max: (1n << 200n) - 1n });
    fc.assert(
      fc.property(
        fc.constantFrom(0n, 1n, 2n),
        fc.bigInt({ min: 0n, max: 39n }),
        fc.array(arc, { maxLength: 6 }),
        (a, b, rest) => {
          const oid = [a, b, ...rest].join('.');
          expect(decodeOid(encodeOidContent(oid))).toBe(oid);
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    ['empty', []],
    ['unterminated arc', [0x2a, 0x86]],
    ['non-minimal arc (leading 0x80)', [0x2a, 0x80, 0x01]],
  ])('refuses %s', (_n, bytes) => {
    expect(decodeOid(Uint8Array.from(bytes))).toBeUndefined();
  });
});

describe('TLV reading is strict DER', () => {
  it.each([
    ['indefinite length', [0x30, 0x80, 0x00, 0x00]],
    ['non-minimal long form', [0x04, 0x81, 0x01, 0x00]],
    ['leading zero length octet', [0x04, 0x82, 0x00, 0x81, ...new Array(0x81).fill(0)]],
    ['length past the end', [0x04, 0x05, 0x00]],
    ['high tag number form', [0x1f, 0x81, 0x01, 0x00]],
  ])('refuses %s', (_n, bytes) => {
    expect(readWhole(Uint8Array.from(bytes))).toBeUndefined();
  });

  it('reads nested structures and refuses trailing bytes', () => {
    const der = sequence(integer(5), integer(300));
    const root = readWhole(der, TAG.SEQUENCE)!;
    expect(children(der, root)).toHaveLength(2);
    expect(readWhole(Uint8Array.from([...der, 0]))).toBeUndefined();
  });

  it.each([
    [[0x00], '0'],
    [[0x01, 0x00], '100'],
    [[0x00, 0x80], '80'],
    [[0x00, 0x7f], undefined],
    [[0xff, 0x80], undefined],
    [[], undefined],
  ])('integerHex(%j) is %s', (bytes, hex) => {
    expect(integerHex(Uint8Array.from(bytes))).toBe(hex);
  });

  it.each([
    [[0x00, 0xff], true],
    [[0x01, 0xfe], true],
    [[0x01, 0xff], false],
    [[0x08, 0x00], false],
  ])('bitStringBytes(%j) accepts only zero unused bits: %s', (bytes, ok) => {
    expect(bitStringBytes(Uint8Array.from(bytes), true) !== undefined).toBe(ok);
  });
});

describe('times', () => {
  const ascii = (s: string) => new TextEncoder().encode(s);
  it.each([
    [TAG.UTC_TIME, '491231235959Z', '2049-12-31T23:59:59.000Z'],
    [TAG.UTC_TIME, '500101000000Z', '1950-01-01T00:00:00.000Z'],
    [TAG.GENERALIZED_TIME, '20500101000000Z', '2050-01-01T00:00:00.000Z'],
    [TAG.UTC_TIME, '240230000000Z', undefined],
    [TAG.UTC_TIME, '2402010000Z', undefined],
    [TAG.GENERALIZED_TIME, '20240101000000.5Z', undefined],
    [TAG.GENERALIZED_TIME, '20240101000000+0300', undefined],
  ])('decodeTime(%i, %s) is %s', (tag, text, iso) => {
    expect(decodeTime(tag, ascii(text))?.toISOString()).toBe(iso);
  });
});

describe('parsers never throw on arbitrary bytes', () => {
  it('readTlv, decodeOid, formatName, parseCertificate and parseCrl', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        readTlv(bytes, 0);
        decodeOid(bytes);
        formatName(bytes);
        expect(parseCertificate(bytes).ok).toBe(false);
        expect(parseCrl(bytes).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('and on random well-nested DER', () => {
    const leaf = fc.uint8Array({ maxLength: 16 }).map((b) => Uint8Array.from([0x04, b.length, ...b]));
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('node'), { maxLength: 4 }).map((kids) => sequence(...(kids as Uint8Array[]))),
      ),
    })).node as fc.Arbitrary<Uint8Array>;
    fc.assert(
      fc.property(tree, (der) => {
        expect(parseCertificate(der).ok).toBe(false);
        expect(parseCrl(der).ok).toBe(false);
        formatName(der);
      }),
      { numRuns: 200 },
    );
  });
});
