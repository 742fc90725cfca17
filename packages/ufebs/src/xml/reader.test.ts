import fc from 'fast-check';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { ed101Arbitrary } from './arbitrary.js';
import { XML_CODES } from './codes.js';
import { normalizeEd } from './normalize.js';
import { parseEd } from './parser.js';
import { DEFAULT_XML_LIMITS, parseXml, type XmlElement } from './reader.js';
import { xsdSample } from './test-helpers.js';
import { writeEd101 } from './writer.js';

const cp1251 = (text: string): Uint8Array => new Uint8Array(iconv.encode(text, 'windows-1251'));
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function root(input: Uint8Array | string): XmlElement {
  const doc = parseXml(input);
  if (!doc.ok) throw new Error(`${doc.code}: ${doc.message}`);
  return doc.value.root;
}

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>`;

const XXE = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE ED101 [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ED101 xmlns="urn:cbr-ru:ed:v2.0"><Purpose>&xxe;</Purpose></ED101>`;

const nested = (depth: number): string => `${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`;

describe('parseXml — security limits', () => {
  it.each([
    ['billion laughs', BILLION_LAUGHS],
    ['XXE with an external entity', XXE],
    ['external DTD', '<!DOCTYPE a SYSTEM "http://example.invalid/a.dtd"><a/>'],
    ['parameter entities', '<!DOCTYPE a [<!ENTITY % p SYSTEM "file:///etc/hosts"> %p;]><a/>'],
    ['a bare DOCTYPE', '<!DOCTYPE a><a/>'],
  ])('refuses %s with UFEBS_XML_DTD_FORBIDDEN', (_, doc) => {
    expect(parseXml(doc)).toMatchObject({ ok: false, code: 'UFEBS_XML_DTD_FORBIDDEN' });
    expect(parseXml(utf8(doc))).toMatchObject({ ok: false, code: 'UFEBS_XML_DTD_FORBIDDEN' });
    expect(parseEd(utf8(doc))).toMatchObject({ ok: false, code: 'UFEBS_XML_DTD_FORBIDDEN' });
    expect(normalizeEd(utf8(doc))).toMatchObject({ ok: false, code: 'UFEBS_XML_DTD_FORBIDDEN' });
  });

  it('never expands an entity it was not given: an undefined reference is malformed', () => {
    expect(parseXml('<a>&lol9;</a>')).toMatchObject({ ok: false, code: 'UFEBS_XML_MALFORMED' });
  });

  it.each([
    ['a stylesheet instruction', '<?xml-stylesheet href="x.xsl"?><a/>'],
    ['an instruction inside the root', '<a><?php echo 1; ?></a>'],
  ])('refuses %s with UFEBS_XML_PI_FORBIDDEN', (_, doc) => {
    expect(parseXml(doc)).toMatchObject({ ok: false, code: 'UFEBS_XML_PI_FORBIDDEN' });
  });

  it('accepts nesting up to the depth limit and refuses one level more', () => {
    expect(parseXml(nested(DEFAULT_XML_LIMITS.maxDepth)).ok).toBe(true);
    expect(parseXml(nested(DEFAULT_XML_LIMITS.maxDepth + 1))).toMatchObject({ ok: false, code: 'UFEBS_XML_TOO_DEEP' });
    expect(parseXml(nested(5), { maxDepth: 4 })).toMatchObject({ ok: false, code: 'UFEBS_XML_TOO_DEEP' });
  });

  it('refuses very deep nesting early, without exhausting the stack', () => {
    expect(parseXml(nested(200_000))).toMatchObject({ ok: false, code: 'UFEBS_XML_TOO_DEEP' });
  });

  it('limits attributes per element (namespace declarations included)', () => {
    const attrs = (n: number): string => Array.from({ length: n }, (_, i) => `a${i}="${i}"`).join(' ');
    expect(parseXml(`<a ${attrs(DEFAULT_XML_LIMITS.maxAttributes)}/>`).ok).toBe(true);
    expect(parseXml(`<a ${attrs(DEFAULT_XML_LIMITS.maxAttributes + 1)}/>`)).toMatchObject({
      ok: false,
      code: 'UFEBS_XML_TOO_MANY_ATTRIBUTES',
    });
    expect(parseXml('<a xmlns="urn:a" xmlns:b="urn:b" c="1"/>', { maxAttributes: 2 })).toMatchObject({
      ok: false,
      code: 'UFEBS_XML_TOO_MANY_ATTRIBUTES',
    });
  });

  it('limits the number of elements', () => {
    const doc = `<r>${'<e/>'.repeat(10)}</r>`;
    expect(parseXml(doc, { maxElements: 11 }).ok).toBe(true);
    expect(parseXml(doc, { maxElements: 10 })).toMatchObject({ ok: false, code: 'UFEBS_XML_TOO_MANY_ELEMENTS' });
  });

  it('caps the input size (10 MiB by default) before decoding', () => {
    expect(DEFAULT_XML_LIMITS.maxBytes).toBe(10 * 1024 * 1024);
    const big = new Uint8Array(DEFAULT_XML_LIMITS.maxBytes + 1).fill(0x20);
    expect(parseXml(big)).toMatchObject({ ok: false, code: 'UFEBS_XML_TOO_LARGE' });
    expect(parseXml('<a>0123456789</a>', { maxBytes: 10 })).toMatchObject({ ok: false, code: 'UFEBS_XML_TOO_LARGE' });
    expect(parseXml(utf8('<a>0123456789</a>'), { maxBytes: 10 })).toMatchObject({
      ok: false,
      code: 'UFEBS_XML_TOO_LARGE',
    });
  });

  it.each([
    ['unclosed element', '<a>'],
    ['two roots', '<a/><b/>'],
    ['no root', '   '],
    ['unbound prefix', '<p:a/>'],
    ['repeated attribute', '<a x="1" x="2"/>'],
    ['one attribute twice through two prefixes', '<a xmlns:p="urn:u" xmlns:q="urn:u" p:x="1" q:x="2"/>'],
    ['XML 1.1', '<?xml version="1.1"?><a/>'],
    ['a control character', '<a>\u0001</a>'],
    ['a control character by reference', '<a>&#1;</a>'],
    ['text after the root', '<a/>text'],
  ])('refuses %s with UFEBS_XML_MALFORMED', (_, doc) => {
    expect(parseXml(doc)).toMatchObject({ ok: false, code: 'UFEBS_XML_MALFORMED' });
  });
});

describe('parseXml — encodings', () => {
  const doc1251 = '<?xml version="1.0" encoding="windows-1251"?><a t="№ ё">Платёж № 1</a>';

  it.each([
    ['windows-1251 as declared', cp1251(doc1251)],
    ['WINDOWS-1251 in capitals', cp1251(doc1251.replace('windows-1251', 'WINDOWS-1251'))],
    ['UTF-8 as declared', utf8(doc1251.replace('windows-1251', 'UTF-8'))],
    ['UTF-8 by default (no declaration)', utf8('<a t="№ ё">Платёж № 1</a>')],
    ['UTF-8 with a byte order mark', new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('<a t="№ ё">Платёж № 1</a>')])],
    ['a string (already decoded)', '<a t="№ ё">Платёж № 1</a>'],
  ])('decodes %s', (_, input) => {
    const a = root(input);
    expect(a.attributes[0]?.value).toBe('№ ё');
    expect(a.children).toEqual([{ type: 'text', value: 'Платёж № 1' }]);
  });

  it('reports the encoding the bytes were read with', () => {
    expect(parseXml(cp1251(doc1251))).toMatchObject({ ok: true, value: { encoding: 'windows-1251' } });
    expect(parseXml(utf8('<a/>'))).toMatchObject({ ok: true, value: { encoding: 'utf-8' } });
    const fromString = parseXml('<a/>');
    expect(fromString.ok && 'encoding' in fromString.value).toBe(false);
  });

  it.each([
    ['an unsupported declared encoding', utf8('<?xml version="1.0" encoding="ISO-8859-5"?><a/>')],
    ['KOI8-R', utf8('<?xml version="1.0" encoding="KOI8-R"?><a/>')],
    ['invalid UTF-8', new Uint8Array([...utf8('<a>'), 0xc3, 0x28, ...utf8('</a>')])],
    ['Windows-1251 bytes declared as UTF-8', cp1251('<?xml version="1.0" encoding="UTF-8"?><a>Платёж</a>')],
    [
      'byte 0x98, undefined in Windows-1251',
      new Uint8Array([...cp1251('<?xml version="1.0" encoding="windows-1251"?><a>'), 0x98, ...cp1251('</a>')]),
    ],
    ['UTF-16 (byte order mark)', new Uint8Array([0xff, 0xfe, ...utf8('<a/>')])],
    ['a UTF-8 byte order mark with windows-1251 declared', new Uint8Array([0xef, 0xbb, 0xbf, ...cp1251(doc1251)])],
  ])('refuses %s with UFEBS_XML_ENCODING', (_, input) => {
    expect(parseXml(input)).toMatchObject({ ok: false, code: 'UFEBS_XML_ENCODING' });
  });
});

describe('parseXml — the tree', () => {
  it('keeps namespace URIs, local names, prefixes and the declarations as written', () => {
    const a = root(
      '<ed:ED101 xmlns:ed="urn:cbr-ru:ed:v2.0" xmlns:d="urn:cbr-ru:dsig:v1.1" EDNo="1" d:x="y"><d:SigValue SigId="01">QQ==</d:SigValue><Payer xmlns="urn:other"/></ed:ED101>',
    );
    expect(a).toMatchObject({ type: 'element', uri: 'urn:cbr-ru:ed:v2.0', local: 'ED101', prefix: 'ed' });
    expect(a.namespaces).toEqual([
      { prefix: 'ed', uri: 'urn:cbr-ru:ed:v2.0' },
      { prefix: 'd', uri: 'urn:cbr-ru:dsig:v1.1' },
    ]);
    expect(a.attributes).toEqual([
      { uri: '', local: 'EDNo', prefix: '', value: '1' },
      { uri: 'urn:cbr-ru:dsig:v1.1', local: 'x', prefix: 'd', value: 'y' },
    ]);
    expect(a.children[0]).toMatchObject({
      uri: 'urn:cbr-ru:dsig:v1.1',
      local: 'SigValue',
      prefix: 'd',
      namespaces: [],
    });
    expect(a.children[1]).toMatchObject({
      uri: 'urn:other',
      local: 'Payer',
      prefix: '',
      namespaces: [{ prefix: '', uri: 'urn:other' }],
    });
  });

  it('resolves references, keeps CDATA as text, leaves comments out and normalizes line ends', () => {
    const a = root('<a>x&amp;&#x41;&lt;\r\ny<!-- c --><![CDATA[<z>]]></a>');
    expect(a.children).toEqual([
      { type: 'text', value: 'x&A<\ny' },
      { type: 'text', value: '<z>' },
    ]);
  });
});

describe('parseXml, parseEd and normalizeEd never throw', () => {
  /** The EDs written before mutation are valid ones: a sample goes to the official XSD. */
  const sample = xsdSample();
  afterAll(async () => {
    expect(await sample.invalid()).toEqual([]);
  });

  const catalogued = (result: { ok: boolean; code?: string }): void => {
    if (!result.ok) expect(Object.keys(XML_CODES)).toContain(result.code);
  };

  it('on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        catalogued(parseXml(bytes));
        catalogued(parseEd(bytes));
        catalogued(normalizeEd(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('on arbitrary strings, including markup-heavy ones', () => {
    const markup = fc.string({
      unit: fc.constantFrom(
        '<',
        '>',
        '/',
        '&',
        ';',
        '"',
        "'",
        '=',
        '!',
        '?',
        '[',
        ']',
        '-',
        'a',
        'x',
        ':',
        ' ',
        '\u0000',
        '\ud800',
        'я',
        '#',
      ),
      maxLength: 80,
    });
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), markup), (text) => {
        catalogued(parseXml(text));
        catalogued(parseEd(text));
        catalogued(normalizeEd(text));
      }),
      { numRuns: 300 },
    );
  });

  it('on valid EDs with bytes changed, inserted or cut', () => {
    const mutated = fc
      .tuple(
        ed101Arbitrary(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat(),
      )
      .map(([ed, edits, cut]) => {
        const written = writeEd101(ed);
        if (!written.ok) throw new Error(written.code);
        sample.add(written.value);
        const bytes = [...written.value];
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        return new Uint8Array(bytes.slice(0, bytes.length - (cut % 8)));
      });
    fc.assert(
      fc.property(mutated, (bytes) => {
        catalogued(parseXml(bytes));
        catalogued(parseEd(bytes));
        catalogued(normalizeEd(bytes));
      }),
      { numRuns: 200 },
    );
  });
});
