import { spawnSync } from 'node:child_process';
import { normalizeEd, OFFICIAL_XSD_DIR } from '@twincontour/ufebs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslVerify, type TestLeaf, TestPki, TestValidator } from './cms/test-pki.js';
import { createSoftwareSigner } from './signer.js';
import type { Signer } from './types.js';
import { addZk, readZks, verifyZks } from './zk.js';

/** Windows-1251 bytes of a string of ASCII and Russian letters (the UFEBS encoding). */
function cp1251(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) return c;
    if (c >= 0x410 && c <= 0x44f) return c - 0x410 + 0xc0;
    const special: Record<string, number> = { Ё: 0xa8, ё: 0xb8, '№': 0xb9 };
    const b = special[ch];
    if (b === undefined) throw new Error(`no cp1251 byte for ${ch}`);
    return b;
  });
}

const ED_BODY = `
\t<AccDoc AccDocNo="512" AccDocDate="2025-03-14"/>
\t<Payer PersonalAcc="40702810900000000001" INN="7707083893" KPP="770701001">
\t\t<Name>ООО "Ромашка" &amp; партнёры</Name>
\t\t<Bank BIC="044525225" CorrespAcc="30101810400000000225"/>
\t</Payer>
\t<Payee PersonalAcc="40702810500000000002" INN="7702070139">
\t\t<Name>АО "Лютик"</Name>
\t\t<Bank BIC="044525187" CorrespAcc="30101810700000000187"/>
\t</Payee>
\t<Purpose>Оплата по счёту № 15 от 10.03.2025, без НДС</Purpose>
</ED101>
`;
const ED_ATTRS =
  'EDNo="100" EDDate="2025-03-14" EDAuthor="4525545000" Sum="150000" PaymentPrecedence="69" TransKind="01" Priority="5" SystemCode="02" PaytKind="4"';

/** An unsigned ED101 in Windows-1251, laid out as a back office writes it. */
const ED_1251 = cp1251(
  `<?xml version="1.0" encoding="windows-1251"?>\n<!-- from the back office -->\n<ED101 xmlns="urn:cbr-ru:ed:v2.0" ${ED_ATTRS}>${ED_BODY}`,
);
/** The same ED in UTF-8 with an `ed:` prefix, an xsi attribute and a ЗК prefix bound on the root. */
const ED_UTF8 = new TextEncoder().encode(
  `<?xml version="1.0" encoding="UTF-8"?><ed:ED101 xmlns:ed="urn:cbr-ru:ed:v2.0" xmlns:s="urn:cbr-ru:dsig:v1.1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:cbr-ru:ed:v2.0 ed101.xsd" ${ED_ATTRS}>` +
    ED_BODY.replace(/<(\/?)([A-Z])/g, '<$1ed:$2'),
);

let pki: TestPki;
let formation: TestLeaf;
let control: TestLeaf;
let formationSigner: Signer;
let controlSigner: Signer;
let validator: TestValidator;
let wrapperXsd: string;

beforeAll(() => {
  pki = new TestPki();
  formation = pki.leaf('formation', 'ec-p256');
  control = pki.leaf('control', 'rsa-2048');
  formationSigner = createSoftwareSigner(formation.key, formation.certificateDer);
  controlSigner = createSoftwareSigner(control.key, control.certificateDer);
  validator = new TestValidator(
    pki.caDer,
    new Map([
      [formation.thumbprint, 'formation'],
      [control.thumbprint, 'control'],
    ]),
  );
  // The ED schema's leading <xs:any namespace="urn:cbr-ru:dsig:v1.1" processContents="strict"/> needs
  // the dsig schema too, which the official entry point does not import: a wrapper imports both.
  const xsd = OFFICIAL_XSD_DIR.replace(/\/$/, '');
  wrapperXsd = pki.file(
    'ed-with-dsig.xsd',
    `<?xml version="1.0"?><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:import namespace="urn:cbr-ru:dsig:v1.1" schemaLocation="${xsd}/cbr_dsig_v1.1.0.xsd"/>
<xs:import namespace="urn:cbr-ru:ed:v2.0" schemaLocation="${xsd}/cbr_ed_kbr_v2024.4.0.xsd"/></xs:schema>`,
  );
});
afterAll(() => pki.dispose());

function xsdValid(ed: Uint8Array): { ok: boolean; stderr: string } {
  const path = pki.file('ed.xml', ed);
  const r = spawnSync('xmllint', ['--noout', '--schema', wrapperXsd, path]);
  return { ok: r.status === 0, stderr: r.stderr.toString() };
}

function normalized(ed: Uint8Array): Uint8Array {
  const n = normalizeEd(ed);
  if (!n.ok) throw new Error(`${n.code}: ${n.message}`);
  return n.value;
}

async function signed(ed: Uint8Array, signer: Signer, opts: { sigId?: string } = {}): Promise<Uint8Array> {
  const r = await addZk(ed, signer, opts);
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
  return r.value;
}

/** Asserts that `after` is `before` with exactly `inserted` put in at one offset; returns that offset. */
function insertionPoint(before: Uint8Array, after: Uint8Array, inserted: Uint8Array): number {
  expect(after.length).toBe(before.length + inserted.length);
  let i = 0;
  while (i < before.length && before[i] === after[i]) i++;
  expect(Buffer.from(after.subarray(i, i + inserted.length))).toEqual(Buffer.from(inserted));
  expect(Buffer.from(after.subarray(i + inserted.length))).toEqual(Buffer.from(before.subarray(i)));
  return i;
}

describe('addZk', () => {
  it.each([
    ['Windows-1251', () => ED_1251],
    ['UTF-8 with prefixes', () => ED_UTF8],
  ])('%s: puts the ЗК first in the root, changes no other byte, stays schema-valid', async (_, ed) => {
    const original = ed();
    const one = await signed(original, formationSigner, { sigId: '01' });
    const zks = readZks(one);
    if (!zks.ok) throw new Error(zks.message);
    expect(zks.value).toHaveLength(1);
    expect(zks.value[0]!.sigId).toBe('01');
    const element = one.subarray(zks.value[0]!.start, zks.value[0]!.end);
    expect(Buffer.from(element).toString('latin1')).toMatch(
      /^<dsig:SigValue xmlns:dsig="urn:cbr-ru:dsig:v1\.1" SigId="01">[A-Za-z0-9+/=]+<\/dsig:SigValue>$/,
    );
    const at = insertionPoint(original, one, element);
    // Right after the root's start tag.
    expect(Buffer.from(original.subarray(0, at)).toString('latin1')).toMatch(/<(ed:)?ED101 [^>]*>$/);
    expect(xsdValid(original)).toMatchObject({ ok: true });
    expect(xsdValid(one)).toEqual({ ok: true, stderr: expect.stringContaining('validates') });
    // Normalization skips the ЗК, so the signed bytes are the ED's own.
    expect(normalized(one)).toEqual(normalized(original));
  });

  it('the control contour adds its ЗК after the formation one, which stays byte for byte', async () => {
    const one = await signed(ED_1251, formationSigner, { sigId: '01' });
    const two = await signed(one, controlSigner, { sigId: '02' });
    const first = readZks(one);
    const both = readZks(two);
    if (!first.ok || !both.ok) throw new Error('readZks');
    expect(both.value).toHaveLength(2);
    expect(both.value.map((z) => z.sigId)).toEqual(['01', '02']);
    // The first ЗК: same bytes, same place.
    const z0 = first.value[0]!;
    expect(Buffer.from(two.subarray(z0.start, z0.end))).toEqual(Buffer.from(one.subarray(z0.start, z0.end)));
    const z1 = both.value[1]!;
    expect(insertionPoint(one, two, two.subarray(z1.start, z1.end))).toBe(z0.end);
    expect(xsdValid(two)).toEqual({ ok: true, stderr: expect.stringContaining('validates') });
  });

  it('every ЗК is a CMS that openssl cms -verify accepts over the normalized ED bytes', async () => {
    const two = await signed(await signed(ED_1251, formationSigner), controlSigner);
    const zks = readZks(two);
    if (!zks.ok) throw new Error(zks.message);
    for (const zk of zks.value) expect(opensslVerify(pki, zk.der, normalized(two))).toMatchObject({ ok: true });
  });

  it('inserts after ЗК written by others, with another prefix, indentation and line-wrapped base64', async () => {
    const theirs = await signed(ED_1251, formationSigner);
    const zk = readZks(theirs);
    if (!zk.ok) throw new Error(zk.message);
    const b64 = zk.value[0]!.base64.replace(/(.{64})/g, '$1\n');
    const text = Buffer.from(ED_1251)
      .toString('latin1')
      .replace(
        /(<ED101 [^>]*>)/,
        `$1\n\t<sig:SigValue xmlns:sig="urn:cbr-ru:dsig:v1.1" SigId="01">\n${b64}\n</sig:SigValue>`,
      );
    const ed = new Uint8Array(Buffer.from(text, 'latin1'));
    const withOurs = await signed(ed, controlSigner);
    const zks = readZks(withOurs);
    if (!zks.ok) throw new Error(zks.message);
    expect(zks.value).toHaveLength(2);
    expect(zks.value[0]!.base64).toBe(zk.value[0]!.base64);
    expect(Buffer.from(withOurs.subarray(0, zks.value[0]!.end))).toEqual(
      Buffer.from(ed.subarray(0, zks.value[0]!.end)),
    );
    expect(zks.value[1]!.start).toBe(zks.value[0]!.end);
    const report = await verifyZks(withOurs, { validator, expectedContours: ['formation', 'control'] });
    expect(report.ok).toBe(true);
  });

  it('opens a self-closing root to put the ЗК in', async () => {
    const ed = new TextEncoder().encode('<ED999 xmlns="urn:cbr-ru:ed:v2.0" EDNo="1"/>');
    const out = await signed(ed, formationSigner);
    expect(new TextDecoder().decode(out)).toMatch(
      /^<ED999 xmlns="urn:cbr-ru:ed:v2.0" EDNo="1"><dsig:SigValue .*<\/dsig:SigValue><\/ED999>$/,
    );
    expect((await verifyZks(out, { validator })).ok).toBe(true);
  });

  it.each([
    ['not XML', 'hello', 'UFEBS_XML_MALFORMED'],
    [
      'a DOCTYPE',
      '<!DOCTYPE x [<!ENTITY a "b">]><ED101 xmlns="urn:cbr-ru:ed:v2.0">&a;</ED101>',
      'UFEBS_XML_DTD_FORBIDDEN',
    ],
  ])('fails on %s with the normalization code', async (_, text, code) => {
    expect(await addZk(new TextEncoder().encode(text), formationSigner)).toMatchObject({ ok: false, code });
  });

  it('refuses a SigId that is not two digits', async () => {
    await expect(addZk(ED_1251, formationSigner, { sigId: '1' })).rejects.toThrow(RangeError);
  });
});

describe('readZks', () => {
  it('reads only dsig:SigValue children of the root, in order, whatever their prefix', () => {
    const ed = new TextEncoder().encode(
      '<ED xmlns="urn:cbr-ru:ed:v2.0" xmlns:a="urn:cbr-ru:dsig:v1.1">' +
        '<a:SigValue SigId="01">QUJD</a:SigValue>' +
        '<!-- a comment --><SigValue xmlns="urn:cbr-ru:dsig:v1.1">REVG&#10;R0g=</SigValue>' +
        '<x:SigValue xmlns:x="urn:other">SUpL</x:SigValue>' +
        '<Inner><a:SigValue>TU5P</a:SigValue></Inner>' +
        '</ED>',
    );
    const zks = readZks(ed);
    if (!zks.ok) throw new Error(zks.message);
    expect(zks.value.map((z) => [z.sigId, z.base64])).toEqual([
      ['01', 'QUJD'],
      [undefined, 'REVGR0g='],
    ]);
  });

  it.each([
    ['bad base64', '<ED><d:SigValue xmlns:d="urn:cbr-ru:dsig:v1.1">@@@@</d:SigValue></ED>'],
    ['markup inside', '<ED><d:SigValue xmlns:d="urn:cbr-ru:dsig:v1.1"><b/></d:SigValue></ED>'],
    ['an unclosed root', '<ED><d:SigValue xmlns:d="urn:cbr-ru:dsig:v1.1">QUJD</d:SigValue>'],
    ['a DOCTYPE', '<!DOCTYPE ED><ED/>'],
    ['mismatched tags', '<ED><a></b></ED>'],
  ])('fails on %s with SIG_MALFORMED', (_, text) => {
    expect(readZks(new TextEncoder().encode(text))).toMatchObject({ ok: false, code: 'SIG_MALFORMED' });
  });

  it('agrees with normalization on which elements are ЗК', async () => {
    // Removing exactly the ranges readZks reports must leave the normalized bytes unchanged.
    const two = await signed(await signed(ED_UTF8, formationSigner), controlSigner);
    const zks = readZks(two);
    if (!zks.ok) throw new Error(zks.message);
    const pieces: Uint8Array[] = [];
    let pos = 0;
    for (const z of zks.value) {
      pieces.push(two.subarray(pos, z.start));
      pos = z.end;
    }
    pieces.push(two.subarray(pos));
    const stripped = new Uint8Array(Buffer.concat(pieces));
    expect(stripped).toEqual(ED_UTF8);
    expect(normalized(stripped)).toEqual(normalized(two));
  });
});

describe('verifyZks', () => {
  let both: Uint8Array;
  beforeAll(async () => {
    both = await signed(await signed(ED_1251, formationSigner, { sigId: '01' }), controlSigner, { sigId: '02' });
  });

  it('formation then control, with contours: ok, each ЗК reported with its certificate and SigId', async () => {
    const report = await verifyZks(both, { validator, expectedContours: ['formation', 'control'] });
    expect(report).toMatchObject({ ok: true, certificateChecks: 'performed' });
    expect(report.zks.map((z) => [z.index, z.sigId, z.certificate?.contour])).toEqual([
      [0, '01', 'formation'],
      [1, '02', 'control'],
    ]);
  });

  it('without a validator: signatures checked, certificates not', async () => {
    expect(await verifyZks(both)).toMatchObject({ ok: true, certificateChecks: 'not-performed' });
  });

  it('whitespace added between elements does not break the ЗК (normalization), a changed value does', async () => {
    const text = Buffer.from(both).toString('latin1');
    const reindented = new Uint8Array(Buffer.from(text.replace('\t<AccDoc', '\n\n    <AccDoc'), 'latin1'));
    expect((await verifyZks(reindented, { validator })).ok).toBe(true);
    const changed = new Uint8Array(Buffer.from(text.replace('Sum="150000"', 'Sum="950000"'), 'latin1'));
    const report = await verifyZks(changed, { validator });
    expect(report).toMatchObject({ ok: false, code: 'SIG_DIGEST_MISMATCH' });
    expect(report.zks.map((z) => z.code)).toEqual(['SIG_DIGEST_MISMATCH', 'SIG_DIGEST_MISMATCH']);
  });

  it.each([
    [['control', 'formation'], 'SIG_WRONG_CONTOUR'],
    [['formation', 'control', 'transport'], 'SIG_MISSING_CONTOUR'],
    [['formation'], 'SIG_WRONG_CONTOUR'],
  ] as const)('expected %j → %s', async (expected, code) => {
    expect(await verifyZks(both, { validator, expectedContours: expected })).toMatchObject({ ok: false, code });
  });

  it('one ЗК where two contours are expected → SIG_MISSING_CONTOUR', async () => {
    const one = await signed(ED_1251, formationSigner);
    const report = await verifyZks(one, { validator, expectedContours: ['formation', 'control'] });
    expect(report).toMatchObject({ ok: false, code: 'SIG_MISSING_CONTOUR' });
    expect(report.zks[0]!.ok).toBe(true);
  });

  it('two ЗК from the same certificate → SIG_SAME_CERTIFICATE (802-П п. 14.3)', async () => {
    const twice = await signed(await signed(ED_1251, formationSigner), formationSigner);
    const report = await verifyZks(twice, { validator, expectedContours: ['formation', 'control'] });
    expect(report.ok).toBe(false);
    expect(report.zks[1]!.code).toBe('SIG_SAME_CERTIFICATE');
  });

  it('no ЗК → SIG_NO_SIGNERS', async () => {
    expect(await verifyZks(ED_1251)).toMatchObject({ ok: false, code: 'SIG_NO_SIGNERS' });
  });

  it('a ЗК whose CMS was changed → not ok, the other still reported ok', async () => {
    const zks = readZks(both);
    if (!zks.ok) throw new Error(zks.message);
    const z = zks.value[1]!;
    const text = Buffer.from(both).toString('latin1');
    const at = z.end - '</dsig:SigValue>'.length - 12;
    const tampered = text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    const report = await verifyZks(new Uint8Array(Buffer.from(tampered, 'latin1')), { validator });
    expect(report.ok).toBe(false);
    expect(report.zks[0]!.ok).toBe(true);
    expect(report.zks[1]!.ok).toBe(false);
  });

  it('any purpose text: the ЗК verifies; any changed character of it breaks the ЗК', async () => {
    const letters = [...'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя№ 0123456789.,-()"'];
    const text = fc.array(fc.constantFrom(...letters), { minLength: 2, maxLength: 120 }).map((a) => `Т${a.join('')}`);
    await fc.assert(
      fc.asyncProperty(text, fc.nat(), async (purpose, pos) => {
        const escaped = purpose.replace(/"/g, '&quot;');
        const ed = cp1251(
          `<?xml version="1.0" encoding="windows-1251"?><ED101 xmlns="urn:cbr-ru:ed:v2.0" EDNo="1"><Purpose>${escaped}</Purpose></ED101>`,
        );
        const zk = await signed(ed, formationSigner);
        expect((await verifyZks(zk, { validator })).ok).toBe(true);
        const i = pos % purpose.length;
        const changed = purpose.slice(0, i) + (purpose[i] === 'Ж' ? 'Щ' : 'Ж') + purpose.slice(i + 1);
        const tampered = Buffer.from(zk)
          .toString('latin1')
          .replace(
            Buffer.from(cp1251(escaped)).toString('latin1'),
            Buffer.from(cp1251(changed.replace(/"/g, '&quot;'))).toString('latin1'),
          );
        const report = await verifyZks(new Uint8Array(Buffer.from(tampered, 'latin1')), { validator });
        expect(report).toMatchObject({ ok: false, code: 'SIG_DIGEST_MISMATCH' });
      }),
      { numRuns: 60 },
    );
  });

  it('arbitrary bytes never make readZks or verifyZks throw', async () => {
    const fragments = fc.constantFrom(
      '<',
      '>',
      '/',
      '<ED>',
      '</ED>',
      '<d:SigValue xmlns:d="urn:cbr-ru:dsig:v1.1">',
      '</d:SigValue>',
      'QUJD',
      '&#',
      '<!--',
      '-->',
      '"',
      ' ',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.array(fragments, { maxLength: 30 }).map((a) => new TextEncoder().encode(a.join(''))),
        ),
        async (bytes) => {
          const r = readZks(bytes);
          if (!r.ok) expect(r.code).toBe('SIG_MALFORMED');
          expect((await verifyZks(bytes, { validator })).ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
