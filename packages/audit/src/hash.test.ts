import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AuditEventFields, canonicalEvent, canonicalJson, eventHash, ZERO_HASH } from './hash.js';
import { AUDIT_EVENT_TYPES } from './types.js';

const text = fc.string({ maxLength: 40, unit: 'grapheme' });
const nullable = fc.option(text, { nil: null });
const details = fc.option(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 })), { nil: null });

/** Events as the chainer stores them. */
const fieldsArb: fc.Arbitrary<AuditEventFields> = fc.record({
  seq: fc.bigInt({ min: 1n, max: 9_000_000_000_000_000_000n }).map(String),
  id: fc.uuid(),
  at: fc
    .date({ min: new Date('1970-01-01'), max: new Date('9999-12-31'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  contour: fc.constantFrom('formation', 'control', 'transport'),
  service: text,
  type: fc.constantFrom(...AUDIT_EVENT_TYPES),
  actor: text,
  result: fc.constantFrom('pass', 'fail', 'info'),
  reason: nullable,
  orderId: nullable,
  messageId: nullable,
  ed: fc.option(fc.record({ edNo: text, edDate: text, edAuthor: text }), { nil: null }),
  digest: nullable,
  certificate: fc.option(fc.record({ serial: text, issuer: text, thumbprint: text }), { nil: null }),
  details,
}) as fc.Arbitrary<AuditEventFields>;

/** The same value with every object's keys in another order. */
function shuffled(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => shuffled(v, seed + i));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).map(([k, v], i) => [k, shuffled(v, seed + i)] as const);
  entries.sort((a, b) => ((a[0].length * 31 + seed) % 7) - ((b[0].length * 31 + seed) % 7) || (seed % 2 ? -1 : 1));
  if (seed % 3 === 0) entries.reverse();
  return Object.fromEntries(entries);
}

type Key = keyof AuditEventFields;
const KEYS: readonly Key[] = [
  'seq',
  'id',
  'at',
  'contour',
  'service',
  'type',
  'actor',
  'result',
  'reason',
  'orderId',
  'messageId',
  'ed',
  'digest',
  'certificate',
  'details',
];

/** A changed copy: one field (or one member of a nested field) differs. */
function changed(f: AuditEventFields, key: Key, variant: number): AuditEventFields {
  const c = structuredClone(f) as AuditEventFields & Record<string, unknown>;
  const str = (s: string | null) => (s === null ? '' : `${s}x`);
  switch (key) {
    case 'seq':
      c.seq = (BigInt(f.seq) + 1n).toString();
      break;
    case 'at':
      c.at = new Date(Date.parse(f.at) + (Date.parse(f.at) > 0 ? -1 : 1)).toISOString();
      break;
    case 'type':
      c.type = AUDIT_EVENT_TYPES[(AUDIT_EVENT_TYPES.indexOf(f.type) + 1) % AUDIT_EVENT_TYPES.length]!;
      break;
    case 'result':
      c.result = f.result === 'pass' ? 'fail' : 'pass';
      break;
    case 'ed':
      c.ed = f.ed
        ? { ...f.ed, [(['edNo', 'edDate', 'edAuthor'] as const)[variant % 3] as string]: `${f.ed.edNo}|` }
        : { edNo: '', edDate: '', edAuthor: '' };
      if (f.ed && variant % 4 === 3) c.ed = null;
      break;
    case 'certificate':
      c.certificate = f.certificate
        ? {
            ...f.certificate,
            [(['serial', 'issuer', 'thumbprint'] as const)[variant % 3] as string]: `${f.certificate.serial}|`,
          }
        : { serial: '', issuer: '', thumbprint: '' };
      if (f.certificate && variant % 4 === 3) c.certificate = null;
      break;
    case 'details':
      c.details = f.details ? { ...f.details, [`k${JSON.stringify(f.details).length}`]: variant } : {};
      break;
    default:
      c[key] = str(f[key] as string | null);
  }
  return c;
}

describe('eventHash', () => {
  it('changes when any field of the event changes, or the previous hash does', () => {
    fc.assert(
      fc.property(
        fieldsArb,
        fc.constantFrom(...KEYS),
        fc.nat(),
        fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')),
        (f, key, variant, prev) => {
          const original = eventHash(prev, f);
          const other = changed(f, key, variant);
          // Guard for ed/certificate mutations that produced the same value (an edNo equal to itself + '|' cannot).
          if (canonicalEvent(other) === canonicalEvent(f)) return;
          expect(eventHash(prev, other)).not.toBe(original);
          expect(eventHash(prev === ZERO_HASH ? 'f'.repeat(64) : ZERO_HASH, f)).not.toBe(original);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('gives the same canonical text and hash whatever the order of keys, at any depth', () => {
    fc.assert(
      fc.property(fieldsArb, fc.nat(1000), (f, seed) => {
        const other = shuffled(f, seed) as AuditEventFields;
        expect(canonicalEvent(other)).toBe(canonicalEvent(f));
        expect(eventHash(ZERO_HASH, other)).toBe(eventHash(ZERO_HASH, f));
      }),
    );
  });

  it('survives the export format: an NDJSON event line parsed back has the same hash', () => {
    fc.assert(
      fc.property(fieldsArb, (f) => {
        const hash = eventHash(ZERO_HASH, f);
        const line = JSON.stringify({ kind: 'event', ...f, prevHash: ZERO_HASH, hash, chainedAt: f.at });
        const back = JSON.parse(line) as AuditEventFields & { hash: string; prevHash: string };
        expect(eventHash(back.prevHash, back)).toBe(back.hash);
      }),
    );
  });

  it('is SHA-256 over the previous hash, a newline and the canonical text (a fixed vector)', () => {
    const f: AuditEventFields = {
      seq: '1',
      id: '00000000-0000-4000-8000-000000000001',
      at: '2026-12-02T10:00:00.000Z',
      contour: 'formation',
      service: 'formation',
      type: 'signature.made',
      actor: 'service:formation',
      result: 'info',
      reason: null,
      orderId: 'o-1',
      messageId: null,
      ed: null,
      digest: null,
      certificate: null,
      details: { z: 1, a: [true, null] },
    };
    expect(canonicalEvent(f)).toBe(
      '{"actor":"service:formation","at":"2026-12-02T10:00:00.000Z","certificate":null,"contour":"formation","details":{"a":[true,null],"z":1},"digest":null,"ed":null,"id":"00000000-0000-4000-8000-000000000001","messageId":null,"orderId":"o-1","reason":null,"result":"info","seq":"1","service":"formation","type":"signature.made"}',
    );
    // printf '%s\n%s' "<64 zeros>" '<the text above>' | sha256sum
    expect(eventHash(ZERO_HASH, f)).toBe('bcc3a020489ad68cb70ed361d0fd994fed8ff713cdd310256449aea9984745cf');
  });
});

describe('canonicalJson', () => {
  it('parses back to what JSON.stringify would give, with sorted keys', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value) ?? 'null'));
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
    );
  });
});
