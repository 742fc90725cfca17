import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type IncidentRequestBody,
  MAX_INCIDENT_BODY,
  parseIncidentAnswerBody,
  parseIncidentRequestBody,
  serializeIncidentRequestBody,
} from './incident.js';

// The incident bodies the archive keeps (802-П п. 19 requests and answers, exactly as sent or received):
// one canonical spelling of a request, a bounded and strict reading of both, never a throw.

const body = (over: Partial<IncidentRequestBody> = {}): IncidentRequestBody => ({
  requestId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  kind: 'suspend',
  document: new Uint8Array(Buffer.from('{"type":"twincontour.incident-request"}')),
  signature: new Uint8Array([0x30, 0x82, 0x01, 0x00, 0xff]),
  ...over,
});

const text = (value: unknown) => new Uint8Array(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)));
const good = JSON.parse(Buffer.from(serializeIncidentRequestBody(body())).toString('utf8')) as Record<string, string>;

const arbitraryBody = fc.record({
  requestId: fc.uuid().map((u) => u.toLowerCase()),
  kind: fc.constantFrom('suspend' as const, 'resume' as const),
  document: fc.uint8Array({ minLength: 1, maxLength: 300 }),
  signature: fc.uint8Array({ minLength: 1, maxLength: 300 }),
});

describe('an incident request body', () => {
  it('round-trips: what transport writes is read back as the same request', () => {
    fc.assert(
      fc.property(arbitraryBody, (value) => {
        const parsed = parseIncidentRequestBody(serializeIncidentRequestBody(value));
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(parsed.value).toEqual(value);
      }),
    );
  });

  it('is read from its canonical bytes only: any bytes that parse are exactly what serialize writes', () => {
    fc.assert(
      fc.property(arbitraryBody, fc.nat(), fc.integer({ min: 1, max: 255 }), (value, position, flip) => {
        const bytes = serializeIncidentRequestBody(value);
        const changed = new Uint8Array(bytes);
        const at = position % changed.length;
        changed[at] = (changed[at] ?? 0) ^ flip;
        const parsed = parseIncidentRequestBody(changed);
        // A changed byte either makes it unreadable or reads as another request, never the same one.
        if (parsed.ok) {
          expect(Buffer.from(serializeIncidentRequestBody(parsed.value)).equals(Buffer.from(changed))).toBe(true);
          expect(parsed.value).not.toEqual(value);
        } else {
          expect(parsed.code).toBe('ARC_INCIDENT_UNREADABLE');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary bytes or JSON', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc.json().map((j) => text(j)),
        ),
        (bytes) => {
          for (const parse of [parseIncidentRequestBody, parseIncidentAnswerBody]) {
            const result = parse(bytes);
            if (!result.ok) {
              expect(result.code).toBe('ARC_INCIDENT_UNREADABLE');
              expect(result.errors.length).toBeGreaterThan(0);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    ['reordered keys', text({ kind: good.kind, ...good }), 'body'],
    ['white space', text(JSON.stringify(good, null, 1)), 'body'],
    ['an extra key', text({ ...good, code: 'X' }), 'code'],
    ['a duplicate key', text(`${JSON.stringify(good).slice(0, -1)},"kind":"suspend"}`), 'body'],
    ['no signature', text({ ...good, signatureBase64: undefined }), 'signatureBase64'],
    ['an upper-case id', text({ ...good, requestId: good.requestId?.toUpperCase() }), 'requestId'],
    ['another kind', text({ ...good, kind: 'pause' }), 'kind'],
    ['an empty document', text({ ...good, documentBase64: '' }), 'documentBase64'],
    ['base64url', text({ ...good, signatureBase64: '-_8=' }), 'signatureBase64'],
    ['non-canonical base64 (padding bits set)', text({ ...good, signatureBase64: 'QR==' }), 'signatureBase64'],
    ['base64 with a line break', text({ ...good, signatureBase64: 'MIIB\nAP8=' }), 'signatureBase64'],
    ['an array', text([good]), 'body'],
    ['a byte-order mark', new Uint8Array([0xef, 0xbb, 0xbf, ...serializeIncidentRequestBody(body())]), 'body'],
    ['bytes that are not UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), 'body'],
    ['nothing', new Uint8Array(), 'body'],
    ['too many bytes', new Uint8Array(MAX_INCIDENT_BODY + 1).fill(0x20), 'body'],
  ])('refuses %s (ARC_INCIDENT_UNREADABLE, naming the field)', (_name, bytes, path) => {
    const parsed = parseIncidentRequestBody(bytes);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.code).toBe('ARC_INCIDENT_UNREADABLE');
      expect(parsed.errors.map((e) => e.path)).toContain(path);
    }
  });

  it('reports every field at fault at once', () => {
    const parsed = parseIncidentRequestBody(text({ requestId: 'x', kind: 'y', documentBase64: '*', other: 1 }));
    if (parsed.ok) throw new Error('parsed');
    expect(parsed.errors.map((e) => e.path).sort()).toEqual(
      ['documentBase64', 'kind', 'other', 'requestId', 'signatureBase64'].sort(),
    );
  });
});

describe('an incident answer body', () => {
  const answer = { answerBase64: Buffer.from('{"a":1}').toString('base64'), signatureBase64: 'MIIBAP8=' };

  it('reads the document and signature; the peer’s other keys are ignored', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
        (document, signature, code) => {
          const bytes = text({
            ...(code === undefined ? {} : { code }),
            answerBase64: Buffer.from(document).toString('base64'),
            signatureBase64: Buffer.from(signature).toString('base64'),
          });
          const parsed = parseIncidentAnswerBody(bytes);
          expect(parsed.ok).toBe(true);
          if (parsed.ok) expect(parsed.value).toEqual({ document, signature });
        },
      ),
    );
  });

  it('accepts base64 broken into lines, as an encoder may write it', () => {
    const parsed = parseIncidentAnswerBody(text({ ...answer, signatureBase64: 'MIIB\r\nAP8=' }));
    expect(parsed.ok && Buffer.from(parsed.value.signature).toString('base64')).toBe('MIIBAP8=');
  });

  it.each([
    ['no signature', text({ answerBase64: answer.answerBase64 }), ['signatureBase64']],
    ['neither field', text({ code: 'SIM_INCIDENT_BAD_SIGNATURE' }), ['answerBase64', 'signatureBase64']],
    ['a number for the answer', text({ ...answer, answerBase64: 42 }), ['answerBase64']],
    ['non-canonical base64', text({ ...answer, answerBase64: 'QR==' }), ['answerBase64']],
    ['not JSON', text('<html>503</html>'), ['body']],
    ['null', text('null'), ['body']],
  ])('refuses %s', (_name, bytes, paths) => {
    const parsed = parseIncidentAnswerBody(bytes);
    if (parsed.ok) throw new Error('parsed');
    expect(parsed.code).toBe('ARC_INCIDENT_UNREADABLE');
    expect(parsed.errors.map((e) => e.path)).toEqual(paths);
  });
});
