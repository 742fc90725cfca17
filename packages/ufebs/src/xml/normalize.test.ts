import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DSIG_NAMESPACE, type Ed101 } from '../model.js';
import { ed101Arbitrary, sigValueArbitrary } from './arbitrary.js';
import { normalizeEd, normalizeElement, normalizeForSignature } from './normalize.js';
import { parseXml, type XmlElement, type XmlNode } from './reader.js';
import { serializeVariant, type Variant, xmllintC14n, xsdSample } from './test-helpers.js';
import { writeEd101 } from './writer.js';

const fixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../../test-fixtures/normalize/${name}`, import.meta.url)));

function normalized(input: Uint8Array | string): Uint8Array {
  const result = normalizeEd(input);
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.value;
}

/** A sample of every ED this file writes (and of the re-serialized variants without xsi additions). */
const sample = xsdSample();
afterAll(async () => {
  expect(await sample.invalid()).toEqual([]);
});

function written(ed: Ed101): Uint8Array {
  const result = writeEd101(ed);
  if (!result.ok) throw new Error(`${result.code}: ${JSON.stringify(result.errors)}`);
  sample.add(result.value);
  return result.value;
}

function tree(bytes: Uint8Array): XmlElement {
  const doc = parseXml(bytes);
  if (!doc.ok) throw new Error(doc.code);
  return doc.value.root;
}

const utf8 = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe('normalizeEd — golden files (test-fixtures/normalize)', () => {
  it.each([
    ['ed101-signed-1251.xml', 'ed101.normalized'],
    ['ed101-prefixed-utf8.xml', 'ed101.normalized'],
    ['namespaces.xml', 'namespaces.normalized'],
    ['escaping.xml', 'escaping.normalized'],
    ['packet-inner-sigvalue.xml', 'packet-inner-sigvalue.normalized'],
  ])('%s → %s', (input, expected) => {
    expect(utf8(normalized(fixture(input)))).toBe(utf8(fixture(expected)));
    expect(normalized(fixture(input))).toEqual(fixture(expected));
  });

  it.each(['ed101.normalized', 'namespaces.normalized', 'escaping.normalized', 'packet-inner-sigvalue.normalized'])(
    '%s is already canonical for xmllint --c14n (an independent canonicalizer)',
    async (expected) => {
      expect(new Uint8Array(await xmllintC14n(fixture(expected)))).toEqual(fixture(expected));
    },
  );

  it('normalizes an ED inside a packet as if it stood alone: its own ЗК are then skipped', () => {
    const packet = tree(fixture('packet-inner-sigvalue.xml'));
    const inner = packet.children.find((c): c is XmlElement => c.type === 'element' && c.local === 'ED101');
    expect(inner).toBeDefined();
    const alone = utf8(normalizeElement(inner as XmlElement));
    expect(alone).not.toContain('SigValue');
    expect(alone.startsWith('<n1:ED101 xmlns:n1="urn:cbr-ru:ed:v2.0" EDAuthor=')).toBe(true);
  });

  it('normalizeForSignature is the same function', () => {
    expect(normalizeForSignature).toBe(normalizeEd);
  });

  it('keeps a dsig:SigValue that is not a direct child of the root', () => {
    const doc =
      '<a xmlns="urn:x" xmlns:d="urn:cbr-ru:dsig:v1.1"><d:SigValue>A</d:SigValue><b><d:SigValue>B</d:SigValue></b></a>';
    expect(utf8(normalized(doc))).toBe(
      '<n1:a xmlns:n1="urn:x"><n1:b><n1:SigValue xmlns:n1="urn:cbr-ru:dsig:v1.1">B</n1:SigValue></n1:b></n1:a>',
    );
  });

  it('orders namespace declarations by prefix as strings (n1, n10, n11, n2, …)', () => {
    const uris = Array.from({ length: 11 }, (_, i) => `urn:u${String(i).padStart(2, '0')}`);
    const attrs = uris.map((u, i) => `xmlns:q${i}="${u}" q${i}:a="${i}"`).join(' ');
    const out = utf8(normalized(`<r ${attrs}/>`));
    const declared = [...out.matchAll(/xmlns:(n\d+)=/g)].map((m) => m[1]);
    expect(declared).toEqual(['n1', 'n10', 'n11', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9']);
    expect(out).toContain('xmlns:n10="urn:u09"');
  });

  it('returns the reader codes for unreadable input', () => {
    expect(normalizeEd('<!DOCTYPE a><a/>')).toMatchObject({ ok: false, code: 'UFEBS_XML_DTD_FORBIDDEN' });
    expect(normalizeEd('<a>')).toMatchObject({ ok: false, code: 'UFEBS_XML_MALFORMED' });
  });
});

const variantArbitrary: fc.Arbitrary<Variant> = fc.record(
  {
    edPrefix: fc.constantFrom('', 'ed', 'n1', 'n2', 'x'),
    // Never one of the ED prefixes: one prefix cannot name two namespaces on the root.
    dsigPrefix: fc.constantFrom('dsig', 'sig', 'n3', 'ds'),
    indent: fc.constantFrom('', ' ', '  ', '\t'),
    eol: fc.constantFrom('\n' as const, '\r\n' as const),
    encoding: fc.constantFrom('utf-8' as const, 'windows-1251' as const),
    xsi: fc.uniqueArray(
      fc.record(
        {
          element: fc.nat(40),
          local: fc.constantFrom(
            'nil' as const,
            'type' as const,
            'schemaLocation' as const,
            'noNamespaceSchemaLocation' as const,
          ),
        },
        { noNullPrototype: true },
      ),
      { maxLength: 4, selector: (x) => `${x.element} ${x.local}` },
    ),
    selfClose: fc.boolean(),
  },
  { noNullPrototype: true },
);

/** Values of every attribute and every non-blank text run, in document order, as edit points. */
function editPoints(root: XmlElement): { node: { value: string } }[] {
  const points: { node: { value: string } }[] = [];
  const walk = (el: XmlElement, isRoot: boolean): void => {
    for (const a of el.attributes) points.push({ node: a });
    for (const c of el.children as XmlNode[]) {
      if (c.type === 'text') {
        if (/[^ \t\r\n]/.test(c.value)) points.push({ node: c });
      } else if (!(isRoot && c.uri === DSIG_NAMESPACE && c.local === 'SigValue')) {
        walk(c, false);
      }
    }
  };
  walk(root, true);
  return points;
}

describe('normalizeEd — properties', () => {
  const unsigned = ed101Arbitrary().map(({ sigValues: _, ...ed }) => ed as Ed101);

  it('adding, removing or reordering root ЗК never changes the output', () => {
    fc.assert(
      fc.property(unsigned, fc.array(sigValueArbitrary, { maxLength: 4 }), (ed, sigs) => {
        const base = normalized(written(ed));
        expect(normalized(written({ ...ed, sigValues: sigs }))).toEqual(base);
        expect(normalized(written({ ...ed, sigValues: [...sigs].reverse() }))).toEqual(base);
      }),
      { numRuns: 100 },
    );
  });

  it('prefixes, indentation, encoding, empty-element form and xsi attributes never change the output', () => {
    fc.assert(
      fc.property(ed101Arbitrary(), variantArbitrary, (ed, variant) => {
        const bytes = written(ed);
        const variantBytes = serializeVariant(tree(bytes), variant);
        // The added xsi attributes are deliberately not schema-valid (xsi:nil on a non-nillable element).
        if (variant.xsi.length === 0) sample.add(variantBytes);
        expect(normalized(variantBytes)).toEqual(normalized(bytes));
      }),
      { numRuns: 100 },
    );
  });

  it('a changed requisite value changes the output', () => {
    fc.assert(
      fc.property(ed101Arbitrary(), fc.nat(), fc.constantFrom('0', 'Я', ' ', '&'), (ed, pick, extra) => {
        const root = tree(written(ed));
        const before = normalized(written(ed));
        const points = editPoints(root);
        const point = points[pick % points.length];
        if (point === undefined) throw new Error('an ED always has attributes');
        point.node.value += extra;
        expect(normalizeElement(root)).not.toEqual(before);
      }),
      { numRuns: 100 },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(ed101Arbitrary(), (ed) => {
        const once = normalized(written(ed));
        expect(normalized(once)).toEqual(once);
      }),
      { numRuns: 100 },
    );
  });

  it('produces canonical XML: xmllint --c14n leaves a sample of outputs unchanged', async () => {
    const sample = fc.sample(ed101Arbitrary(), 25).map((ed) => normalized(written(ed)));
    for (const out of sample) {
      expect(new Uint8Array(await xmllintC14n(out))).toEqual(out);
    }
  });
});
