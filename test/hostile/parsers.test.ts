// Every parser the gateway runs on foreign bytes, called directly with fast-check: arbitrary bytes, random
// DER shaped like CMS, truncations and bit flips of valid inputs, and the XML corpus (DTDs, entity
// expansion, deep nesting, mislabelled encodings). Each must return a typed failure with a catalogued code
// — never throw (a TypeError or RangeError escaping is counted as a crash) — and never expand an entity.

import type { KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addZk,
  CRYPTO_CODES,
  decrypt,
  devInit,
  encryptFor,
  loadSigner,
  loadTrustStore,
  parseSignedData,
  readDevIdentity,
  readZks,
  type Signer,
  type TrustStore,
  unwrapEnvelope,
  verifyDetached,
  verifyEnvelope,
  verifyZks,
  wrapEnvelope,
} from '@twincontour/crypto';
import { PLATFORM_CODES, parseBoundaryPayload } from '@twincontour/platform';
import {
  checkEd,
  normalizeEd,
  orderToEd101,
  type PaymentOrder,
  parseEd,
  parseEd101,
  parseEd201,
  parseEd206,
  parseEd211,
  parsePacketEpd,
  parseXml,
  UFEBS_CODES,
  validatePaymentOrder,
  writeEd101,
  xsdValidate,
} from '@twincontour/ufebs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BAD_UTF8, DTD_DOCUMENTS, exampleOrder, mutatedDocuments, SEED } from './support/inputs.js';
import { createTally } from './support/tally.js';

const tally = createTally(import.meta.filename);
const RUNS = Number(process.env.HOSTILE_PARSER_RUNS ?? 1000);
const CATALOG: ReadonlySet<string> = new Set([
  ...Object.keys(UFEBS_CODES),
  ...Object.keys(CRYPTO_CODES),
  ...Object.keys(PLATFORM_CODES),
]);
const problems: string[] = [];

/** A result-like value: `{ ok, code? }` (Result, SigResult, VerifyReport, ZkReport, …). */
type Verdict = { ok: boolean; code?: string | undefined } | { readable: boolean; findings: { code: string }[] };

/**
 * Calls a parser on one hostile input: a throw is a crash; a failure must carry a catalogued code.
 * Returns the verdict for further checks.
 */
async function typed(kind: string, what: string, call: () => Verdict | Promise<Verdict>): Promise<Verdict | undefined> {
  tally.count(kind);
  let verdict: Verdict;
  try {
    verdict = await call();
  } catch (error) {
    tally.crashes += 1;
    const line = `${what} [${kind}]: threw ${(error as Error)?.name}: ${(error as Error)?.message}`;
    problems.push(line);
    tally.problems.push(line);
    return undefined;
  }
  const codes =
    'findings' in verdict ? verdict.findings.map((f) => f.code) : verdict.ok ? [] : [verdict.code ?? '(none)'];
  for (const code of codes) {
    if (!CATALOG.has(code)) problems.push(`${what} [${kind}]: code ${code} is in no catalog`);
  }
  return verdict;
}

const options = (salt: number) => ({ numRuns: RUNS, seed: SEED + salt, endOnFailure: true });

let work: string;
let trust: TrustStore;
let formation: Signer;
let control: Signer;
let transportKey: KeyObject;
let transportCert: Uint8Array;
/** A valid ED101 with formation's and control's ЗК, its КА envelope, one ЗК's CMS, and the EnvelopedData. */
let ed: Uint8Array;
let envelope: Uint8Array;
let zkCms: Uint8Array;
let enveloped: Uint8Array;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tc-hostile-parsers-'));
  const pki = join(work, 'pki');
  const init = await devInit(pki);
  if (!init.ok) throw new Error(init.code);
  const store = await loadTrustStore(pki);
  const f = await loadSigner('formation', { pkiDir: pki });
  const c = await loadSigner('control', { pkiDir: pki });
  const t = await readDevIdentity(pki, 'transport');
  if (!store.ok || !f.ok || !c.ok || !t.ok) throw new Error('dev PKI');
  trust = store.value;
  formation = f.value;
  control = c.value;
  transportKey = t.value.privateKey;
  transportCert = t.value.certificateDer;
  const written = writeEd101(
    orderToEd101(exampleOrder() as unknown as PaymentOrder, {
      edNo: '7001',
      edDate: '2025-04-15',
      edAuthor: '4525545000',
    }),
  );
  if (!written.ok) throw new Error(written.code);
  const one = await addZk(written.value, formation);
  if (!one.ok) throw new Error(one.code);
  const two = await addZk(one.value, control);
  if (!two.ok) throw new Error(two.code);
  ed = two.value;
  envelope = await wrapEnvelope(ed, control);
  const zks = readZks(ed);
  if (!zks.ok || !zks.value[0]) throw new Error('no ЗК');
  zkCms = zks.value[0].der;
  enveloped = await encryptFor(envelope, transportCert);
}, 60_000);

afterAll(() => {
  tally.save();
  trust?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Truncations, bit flips, insertions and deletions of a valid input. */
function damaged(valid: () => Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.nat().map((n) => valid().slice(0, n % Math.max(1, valid().length))),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => {
      const bytes = Uint8Array.from(valid());
      for (const [at, xor] of flips) bytes[at % bytes.length] = (bytes[at % bytes.length] ?? 0) ^ xor;
      return bytes;
    }),
    fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.nat({ max: 16 })).map(([at, insert, cut]) => {
      const bytes = valid();
      const i = at % bytes.length;
      return Uint8Array.from([...bytes.slice(0, i), ...insert, ...bytes.slice(i + cut)]);
    }),
  );
}

/** DER with a correct length encoding around random tags and contents, nested: the CMS parser's worst friend. */
function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}
const tlv = (tag: number, content: readonly number[]) => [tag, ...derLength(content.length), ...content];
const { node: randomDer } = fc.letrec<{ node: number[]; leaf: number[]; tree: number[] }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('tree')),
  leaf: fc
    .tuple(
      fc.constantFrom(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x17, 0x18, 0x80, 0x81, 0xff, 0x1f),
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 24 }),
    )
    .map(([tag, content]) => tlv(tag, content)),
  tree: fc
    .tuple(fc.constantFrom(0x30, 0x31, 0xa0, 0xa1, 0xa3, 0x3f), fc.array(tie('node'), { maxLength: 5 }))
    .map(([tag, children]) => tlv(tag, children.flat())),
}));
/** ContentInfo(signedData) with a random SignedData body: passes the outer checks, then breaks inside. */
const SIGNED_DATA_OID = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
const randomCms = fc
  .array(randomDer, { maxLength: 6 })
  .map((parts) => Uint8Array.from(tlv(0x30, [...SIGNED_DATA_OID, ...tlv(0xa0, tlv(0x30, parts.flat()))])));
const randomBytes = fc.uint8Array({ maxLength: 2048 });

describe('CMS SignedData (ЗК and КА signatures)', () => {
  it('parseSignedData, verifyDetached: typed failures for random, CMS-shaped and damaged DER', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          randomBytes,
          randomCms,
          damaged(() => zkCms),
        ),
        async (der) => {
          await typed('random-cms', 'parseSignedData', () => parseSignedData(der));
          const report = await typed('random-cms', 'verifyDetached', () =>
            verifyDetached(der, ed, { validator: trust }),
          );
          // A damaged signature never verifies.
          if (report && 'ok' in report && report.ok) expect(Buffer.from(der).equals(Buffer.from(zkCms))).toBe(true);
        },
      ),
      options(1),
    );
  });

  it('verifyDetached refuses the genuine CMS over any other content', async () => {
    await fc.assert(
      fc.asyncProperty(
        damaged(() => ed),
        async (content) => {
          const report = await typed('damaged-content', 'verifyDetached', () =>
            verifyDetached(zkCms, content, { validator: trust }),
          );
          if (report && 'ok' in report) expect(report.ok).toBe(false);
        },
      ),
      options(2),
    );
  });
});

describe('ED with ЗК (readZks, verifyZks) and КА envelopes (unwrapEnvelope, verifyEnvelope)', () => {
  it('typed failures for random, damaged and XML-hostile EDs and envelopes', async () => {
    const xmlHostile = fc.constantFrom(...hostileXml());
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          randomBytes,
          damaged(() => ed),
          damaged(() => envelope),
          xmlHostile,
        ),
        async (bytes) => {
          await typed('ed-zk', 'readZks', () => readZks(bytes));
          const zk = await typed('ed-zk', 'verifyZks', () =>
            verifyZks(bytes, { validator: trust, expectedContours: ['formation', 'control'] }),
          );
          if (zk && 'ok' in zk && zk.ok) expect(Buffer.from(bytes).equals(Buffer.from(ed))).toBe(true);
          await typed('ka-envelope', 'unwrapEnvelope', () => unwrapEnvelope(bytes));
          const ka = await typed('ka-envelope', 'verifyEnvelope', () =>
            verifyEnvelope(bytes, { validator: trust, expectedContours: ['control'] }),
          );
          if (ka && 'ok' in ka && ka.ok) expect(Buffer.from(bytes).equals(Buffer.from(envelope))).toBe(true);
        },
      ),
      options(3),
    );
  });
});

describe('EnvelopedData (application-level encryption, 802-П п. 14.3)', () => {
  it('decrypt: typed failures for random, CMS-shaped, truncated and flipped envelopes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          randomBytes,
          randomCms,
          damaged(() => enveloped),
        ),
        async (der) => {
          const opened = await typed('enveloped-data', 'decrypt', () => decrypt(der, transportKey, transportCert));
          // AES-CBC has no integrity: a flipped ciphertext byte may decrypt to garbage, which the КА check
          // behind it refuses; it must never open to the original envelope.
          if (opened && 'ok' in opened && opened.ok && !Buffer.from(der).equals(Buffer.from(enveloped))) {
            const value = (opened as unknown as { value: Uint8Array }).value;
            const ka = await typed('enveloped-data', 'verifyEnvelope(decrypted)', () =>
              verifyEnvelope(value, { validator: trust, expectedContours: ['control'] }),
            );
            if (ka && 'ok' in ka && ka.ok) expect(Buffer.from(value).equals(Buffer.from(envelope))).toBe(true);
          }
        },
      ),
      options(4),
    );
  });
});

/** The XML corpus: DTDs, entity expansion, deep nesting, wrong and lying encodings, oddities. */
function hostileXml(): Uint8Array[] {
  const text = (s: string, encoding: BufferEncoding = 'utf8') => new Uint8Array(Buffer.from(s, encoding));
  const edText = Buffer.from(ed ?? new Uint8Array()).toString('latin1');
  const docs: Uint8Array[] = DTD_DOCUMENTS.map((d) => text(d.xml));
  docs.push(
    text(`${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}`),
    text(`<a ${Array.from({ length: 500 }, (_, i) => `a${i}="1"`).join(' ')}/>`),
    text(`<a>${'<b/>'.repeat(20_000)}</a>`),
    text('<a>&undefined;</a>'),
    text('<a>&#0;&#xD800;&#x110000;</a>'),
    text('<?xml version="1.0"?><?php system("id"); ?><a/>'),
    text('<a><![CDATA[<!DOCTYPE x [<!ENTITY a "b">]>]]></a>'),
    text('<p:a xmlns:p="urn:x"><q:b/></p:a>'),
    text('<a xmlns:xml="urn:evil"/>'),
    text(`<${'n'.repeat(100_000)}/>`),
    text('<?xml version="1.0" encoding="ebcdic"?><a/>'),
    text('<?xml version="1.0" encoding="utf-16"?><a/>', 'utf16le'),
    new Uint8Array([0xff, 0xfe, ...Buffer.from('<a/>', 'utf16le')]),
    // An ED declared UTF-8 whose bytes are windows-1251, and the reverse.
    text(edText.replace('encoding="windows-1251"', 'encoding="UTF-8"'), 'latin1'),
    text(Buffer.from(edText, 'latin1').toString('latin1').replace('windows-1251', 'utf-8'), 'latin1'),
    text(edText.replace('windows-1251', 'koi8-r'), 'latin1'),
    text(`<?xml version="1.0" encoding="windows-1251"?><ED101>${'Пром'}</ED101>`),
    text(''),
    text('\ufeff'),
    text('<'),
    text('<a></b>'),
  );
  for (const { bytes } of BAD_UTF8)
    docs.push(Uint8Array.from([...text('<?xml version="1.0" encoding="UTF-8"?><a>'), ...bytes, ...text('</a>')]));
  return docs;
}

describe('UFEBS XML (parseXml, parseEd…, normalizeEd, checkEd)', () => {
  const parsers: [string, (b: Uint8Array) => Verdict][] = [
    ['parseXml', (b) => parseXml(b)],
    ['parseEd', (b) => parseEd(b)],
    ['parseEd101', (b) => parseEd101(b)],
    ['parsePacketEpd', (b) => parsePacketEpd(b)],
    ['parseEd201', (b) => parseEd201(b)],
    ['parseEd206', (b) => parseEd206(b)],
    ['parseEd211', (b) => parseEd211(b)],
    ['normalizeEd', (b) => normalizeEd(b)],
    ['checkEd', (b) => checkEd(b)],
  ];

  it('refuses every DTD without expanding it, and judges the rest of the corpus with typed codes', async () => {
    for (const doc of hostileXml()) {
      for (const [name, parse] of parsers) await typed('xml-corpus', name, () => parse(doc));
    }
    for (const { kind, xml } of DTD_DOCUMENTS) {
      const verdict = parseXml(new Uint8Array(Buffer.from(xml)));
      expect(verdict.ok, kind).toBe(false);
      if (!verdict.ok) expect(verdict.code).toBe('UFEBS_XML_DTD_FORBIDDEN');
    }
    // Past the element cap (250 000): refused, not held in memory (parseXml only — it takes a second).
    const swarm = await typed('xml-corpus', 'parseXml', () =>
      parseXml(new Uint8Array(Buffer.from(`<a>${'<b/>'.repeat(250_001)}</a>`))),
    );
    expect(swarm && 'ok' in swarm && swarm.code).toBe('UFEBS_XML_TOO_MANY_ELEMENTS');
  });

  it('typed failures for random bytes and damaged EDs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          randomBytes,
          damaged(() => ed),
          fc.string({ maxLength: 500 }).map((s) => new Uint8Array(Buffer.from(s))),
        ),
        async (bytes) => {
          for (const [name, parse] of parsers) await typed('random-xml', name, () => parse(bytes));
        },
      ),
      options(5),
    );
  });

  it('xmllint (xsdValidate) loads no DTD and expands no entity', async () => {
    for (const { kind, xml } of DTD_DOCUMENTS) {
      tally.count(kind);
      const started = Date.now();
      const result = await xsdValidate(new Uint8Array(Buffer.from(xml)));
      expect(result.ok, kind).toBe(false);
      // Seconds would mean an expansion ran; xmllint refuses at once.
      expect(Date.now() - started, kind).toBeLessThan(10_000);
    }
  });
});

describe('JSON documents (validatePaymentOrder, boundary payloads)', () => {
  it('typed failures for random JSON and mutated orders; boundary payloads refused with QUE_BAD_PAYLOAD', async () => {
    const mutated = mutatedDocuments(exampleOrder(), RUNS, 7);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom(...mutated), fc.anything()),
        async (value) => {
          await typed('json-document', 'validatePaymentOrder', () => validatePaymentOrder(value));
          for (const kind of ['f2c', 'c2t', 'status', 'exchange'] as const) {
            const verdict = await typed('json-document', `parseBoundaryPayload(${kind})`, () =>
              parseBoundaryPayload(kind, value),
            );
            if (verdict && 'ok' in verdict && !verdict.ok) expect(verdict.code).toBe('QUE_BAD_PAYLOAD');
          }
        },
      ),
      options(6),
    );
  });
});

describe('the tally', () => {
  it('has no crash and no untyped code', () => {
    expect(problems).toEqual([]);
    expect(tally.crashes).toBe(0);
  });
});
