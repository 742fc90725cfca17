import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSoftwareSigner,
  devInit,
  readDevIdentity,
  type Signer,
  signDetached,
  verifyDetached,
} from '@twincontour/crypto';
import { devCaFile, opensslCmsVerify } from '@twincontour/crypto/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildRequestDocument,
  type IncidentRequestKind,
  MAX_REQUEST_BYTES,
  parseAnswerDocument,
  parseRequestDocument,
  REQUEST_TITLES,
  type RequestInput,
  requisiteLines,
  serializeRequest,
} from './incident-request.js';

// The request document of 802-П п. 19–19.3: built, serialized, read back, signed by the authorised person.

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
// Cyrillic, Latin, digits, punctuation, quotes and escapes JSON must carry: one code point each, so the
// schema's lengths (code points) and the generator's agree.
const CHARS = [
  ...'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюяABCxyz0123456789 .,;:-+()«»№"\\/\n\t\u2014',
];
const text = (max: number) => fc.string({ minLength: 1, maxLength: max, unit: fc.constantFrom(...CHARS) });

const input: fc.Arbitrary<RequestInput> = fc.record({
  requestId: fc.uuid({ version: 4 }),
  kind: fc.constantFrom<IncidentRequestKind>('suspend', 'resume'),
  participant: fc.record({
    name: text(300),
    bic: fc.stringMatching(/^[0-9]{9}$/),
    uic: fc.stringMatching(/^[0-9]{10}$/),
  }),
  incident: fc.record({ id: fc.uuid({ version: 4 }), reason: text(1000) }),
  person: fc.record({
    id: fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
    fullName: text(300),
    position: text(300),
    phone: text(64),
    fax: fc.option(text(64), { nil: null }),
    email: fc.stringMatching(/^[a-z0-9]{1,20}@[a-z0-9]{1,20}\.[a-z]{2,5}$/),
    certificate: fc.record({ serial: hex(16), issuer: text(200), thumbprint: hex(64) }),
  }),
  createdAt: fc.date({
    min: new Date('2020-01-01T00:00:00Z'),
    max: new Date('2099-12-31T00:00:00Z'),
    noInvalidDate: true,
  }),
});

let work: string;
let pki: string;
let person: Signer;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tc-incident-doc-'));
  pki = join(work, 'pki');
  const init = await devInit(pki);
  if (!init.ok) throw new Error(init.code);
  const identity = await readDevIdentity(pki, 'authorised-person');
  if (!identity.ok) throw new Error(identity.code);
  person = createSoftwareSigner(identity.value.privateKey, identity.value.certificateDer);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the request document', () => {
  it('reads back exactly what was built, byte for byte (property)', () => {
    fc.assert(
      fc.property(input, (i) => {
        const document = buildRequestDocument(i);
        const bytes = serializeRequest(document);
        const parsed = parseRequestDocument(bytes);
        expect(parsed.ok, parsed.ok ? '' : JSON.stringify(parsed)).toBe(true);
        if (!parsed.ok) return;
        expect(parsed.value).toEqual(document);
        expect(Buffer.from(serializeRequest(parsed.value)).equals(Buffer.from(bytes))).toBe(true);
        expect(parsed.value.title).toBe(REQUEST_TITLES[i.kind]);
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on arbitrary bytes, and refuses them with INC_BAD_DOCUMENT (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        const parsed = parseRequestDocument(bytes);
        if (!parsed.ok) expect(parsed.code).toBe('INC_BAD_DOCUMENT');
        const answer = parseAnswerDocument(bytes);
        if (!answer.ok) expect(answer.code).toBe('INC_CHANNEL_FAILED');
      }),
    );
  });

  it.each([
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0x00])],
    ['not JSON', Buffer.from('{"type":')],
    ['empty', Buffer.alloc(0)],
    ['too large', Buffer.alloc(MAX_REQUEST_BYTES + 1, 0x20)],
  ])('refuses a document that is %s', (_name, bytes) => {
    const parsed = parseRequestDocument(bytes);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.code).toBe('INC_BAD_DOCUMENT');
  });

  it('refuses a document re-spaced, with another title, an unknown key, or a time that is not ISO', () => {
    const document = buildRequestDocument(fc.sample(input, 1)[0] as RequestInput);
    const canonical = Buffer.from(serializeRequest(document)).toString('utf8');
    const variants = [
      JSON.stringify(document, null, 2),
      canonical.replace(REQUEST_TITLES[document.kind], 'Просьба'),
      canonical.replace('{"type"', '{"extra":1,"type"'),
      canonical.replace(document.createdAt, document.createdAt.replace('Z', '+00:00')),
    ];
    for (const variant of variants) {
      const parsed = parseRequestDocument(Buffer.from(variant));
      expect(parsed.ok, variant.slice(0, 80)).toBe(false);
    }
  });

  it('lists every requisite of п. 19.3 for the printable copy, fax "нет" when there is none', () => {
    const i = fc.sample(input, 1)[0] as RequestInput;
    const document = buildRequestDocument({ ...i, person: { ...i.person, fax: null } });
    const lines = requisiteLines(document, { documentSha256: 'a'.repeat(64), signatureSha256: 'b'.repeat(64) });
    const values = lines.map((l) => l.value);
    for (const v of [
      i.person.fullName,
      i.person.position,
      i.person.phone,
      i.person.email,
      i.participant.bic,
      i.participant.uic,
      i.person.certificate.serial,
    ]) {
      expect(values).toContain(v);
    }
    expect(lines.find((l) => l.label === 'Факс')?.value).toBe('нет');
  });
});

describe("the authorised person's signature over it", () => {
  it('verifies (our verifier and openssl cms -verify), and any changed byte breaks it (property)', async () => {
    const document = buildRequestDocument(fc.sample(input, 1)[0] as RequestInput);
    const bytes = serializeRequest(document);
    const signature = await signDetached(bytes, person);
    const ok = await verifyDetached(signature, bytes, {});
    expect(ok.ok).toBe(true);
    writeFileSync(join(work, 'doc.json'), bytes);
    writeFileSync(join(work, 'doc.p7s'), signature);
    const openssl = opensslCmsVerify(join(work, 'doc.p7s'), join(work, 'doc.json'), devCaFile(pki));
    expect(openssl.status, openssl.output).toBe(0);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, flip) => {
        const changed = new Uint8Array(bytes);
        changed[at] = (changed[at] as number) ^ flip;
        const report = await verifyDetached(signature, changed, {});
        expect(report.ok).toBe(false);
        expect(report.code).toBe('SIG_DIGEST_MISMATCH');
      }),
      { numRuns: 50 },
    );
  });
});
