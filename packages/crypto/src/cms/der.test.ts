import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareBytes,
  decodeOid,
  decodeTime,
  encodeOid,
  encodeTime,
  octetString,
  readChildren,
  readSingle,
  readTlv,
  sequence,
  setOf,
} from './der.js';

describe('OID', () => {
  it.each([
    ['1.2.840.113549.1.7.2', '06092a864886f70d010702'],
    ['2.16.840.1.101.3.4.2.1', '0609608648016503040201'],
    ['1.2.840.10045.4.3.2', '06082a8648ce3d040302'],
    ['2.5.29.14', '0603551d0e'],
  ])('%s ⇄ %s', (oid, hex) => {
    const der = encodeOid(oid);
    expect(Buffer.from(der).toString('hex')).toBe(hex);
    expect(decodeOid(der.subarray(2))).toBe(oid);
  });

  it('round-trips any OID', () => {
    const arc = fc.integer({ min: 0, max: 2 ** 40 });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 39 }),
        fc.array(arc, { maxLength: 8 }),
        (a, b, rest) => {
          const oid = [a, b, ...rest].join('.');
          expect(decodeOid(encodeOid(oid).subarray(2))).toBe(oid);
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([[[]], [[0x80, 0x01]], [[0x81]]])('refuses malformed content %j', (bytes) => {
    expect(decodeOid(Uint8Array.from(bytes))).toBeUndefined();
  });
});

describe('time', () => {
  it.each([
    ['2025-03-14T10:20:30Z', 0x17, '250314102030Z'],
    ['1950-01-01T00:00:00Z', 0x17, '500101000000Z'],
    ['2049-12-31T23:59:59Z', 0x17, '491231235959Z'],
    ['2050-01-01T00:00:00Z', 0x18, '20500101000000Z'],
    ['1949-12-31T23:59:59Z', 0x18, '19491231235959Z'],
  ])('%s → tag %i "%s"', (iso, tag, text) => {
    const der = encodeTime(new Date(iso));
    expect(der[0]).toBe(tag);
    expect(Buffer.from(der.subarray(2)).toString('latin1')).toBe(text);
    expect(decodeTime(der, readSingle(der)!)).toEqual(new Date(iso));
  });

  it('round-trips any whole-second date of years 1–9999', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        (d) => {
          const whole = new Date(Math.floor(d.getTime() / 1000) * 1000);
          const der = encodeTime(whole);
          expect(decodeTime(der, readSingle(der)!)).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each(['250230102030Z', '251314102030Z', '2503141020Z0', '250314102030+0300'])('refuses "%s"', (text) => {
    const der = Uint8Array.from([0x17, text.length, ...Buffer.from(text, 'latin1')]);
    expect(decodeTime(der, readSingle(der)!)).toBeUndefined();
  });
});

describe('TLV reader', () => {
  it('reads definite and indefinite lengths alike', () => {
    const definite = sequence(octetString(Uint8Array.of(1, 2)), sequence());
    const indefinite = Uint8Array.of(0x30, 0x80, 0x04, 0x02, 1, 2, 0x30, 0x80, 0, 0, 0, 0);
    for (const buf of [definite, indefinite]) {
      const top = readSingle(buf)!;
      const kids = readChildren(buf, top)!;
      expect(kids.map((k) => k.tag)).toEqual([0x04, 0x30]);
      expect(Array.from(buf.subarray(kids[0]!.contentStart, kids[0]!.contentEnd))).toEqual([1, 2]);
    }
  });

  it('reads long-form lengths', () => {
    const big = octetString(new Uint8Array(70000));
    expect(Array.from(big.subarray(0, 5))).toEqual([0x04, 0x83, 0x01, 0x11, 0x70]);
    expect(readSingle(big)?.contentEnd).toBe(big.length);
  });

  it.each([
    ['truncated content', [0x04, 0x05, 1, 2]],
    ['primitive with indefinite length', [0x04, 0x80, 0, 0]],
    ['five length octets', [0x04, 0x85, 0, 0, 0, 0, 1, 0]],
    ['missing end-of-contents', [0x30, 0x80, 0x05, 0x00]],
    ['trailing byte', [0x05, 0x00, 0x00]],
  ])('refuses %s', (_, bytes) => {
    expect(readSingle(Uint8Array.from(bytes))).toBeUndefined();
  });

  it('never throws on arbitrary bytes, and never reads past the buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (buf) => {
        const t = readTlv(buf, 0, buf.length);
        if (t) expect(t.end).toBeLessThanOrEqual(buf.length);
        if (t?.constructed) readChildren(buf, t);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses nesting beyond the depth limit instead of recursing without bound', () => {
    const deep = new Uint8Array(2 * 1000 + 4);
    for (let i = 0; i < 1000; i++) deep.set([0x30, 0x80], i * 2);
    expect(readTlv(deep, 0, deep.length)).toBeUndefined();
  });
});

describe('SET OF in DER order', () => {
  it('sorts elements as octet strings (X.690 11.6)', () => {
    const a = Uint8Array.of(0x04, 0x01, 0x02);
    const b = Uint8Array.of(0x04, 0x01, 0x01);
    const c = Uint8Array.of(0x02, 0x01, 0x09);
    expect(Array.from(setOf([a, b, c]))).toEqual([0x31, 9, ...c, ...b, ...a]);
    expect(compareBytes(Uint8Array.of(1), Uint8Array.of(1, 0))).toBeLessThan(0);
  });
});
