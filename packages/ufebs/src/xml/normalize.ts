/**
 * Normalization of an ED before its ЗК is computed or verified (NOTES.md, "Normalization before a
 * ЗК"): every ЗК covers the same bytes whatever ЗК were added since, and whatever prefixes or layout
 * the writer chose. One implementation, used for signing and verifying alike.
 *
 * Behaviour follows the public implementation of the Bank of Russia procedure
 * (Sovereign89/UFEBS.Transform: Canonicalization.cs, NormalizedElementView.cs,
 * StreamCanonizator.cs); where it allowed two readings, the choice is noted below as "Reading:".
 */
import { DSIG_NAMESPACE, XSI_NAMESPACE } from '../model.js';
import type { Result } from '../result.js';
import { parseXml, type XmlElement, type XmlLimits } from './reader.js';

/** Step 2: attributes of the XML Schema instance namespace that are dropped. */
const DROPPED_XSI = new Set(['nil', 'type', 'schemaLocation', 'noNamespaceSchemaLocation']);

/**
 * Step 1: whitespace-only character data is skipped. XML whitespace is exactly these four
 * characters (XML 1.0 production S).
 */
const WHITESPACE_ONLY = /^[ \t\r\n]*$/;

/** Ordinal (UTF-16 code unit) comparison, as C14N and NOTES.md require. */
function ordinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** C14N text escaping: `&amp; &lt; &gt; &#xD;`. */
function escapeText(value: string): string {
  return value.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;'));
}

const ATTRIBUTE_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};

/** C14N attribute escaping: `&amp; &lt; &quot; &#x9; &#xA; &#xD;`. */
function escapeAttribute(value: string): string {
  return value.replace(/[&<"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c] ?? c);
}

/**
 * Normalizes an element (the root of an ED) already parsed by {@link parseXml}: the function the
 * signing and verifying paths share. Useful for an ED inside a packet, which is normalized as if
 * it stood alone (its own `dsig:SigValue` children are then the root's).
 */
export function normalizeElement(root: XmlElement): Uint8Array {
  const out: string[] = [];
  writeElement(root, true, new Map(), out);
  return new TextEncoder().encode(out.join(''));
}

function writeElement(element: XmlElement, isRoot: boolean, inScope: ReadonlyMap<string, string>, out: string[]): void {
  // Step 2. Reading: the C# code drops an attribute only when both its namespace is xsi and its
  // local name is one of the four; other xsi attributes stay and are prefixed like any other.
  const attributes = element.attributes.filter((a) => !(a.uri === XSI_NAMESPACE && DROPPED_XSI.has(a.local)));

  // Step 3: the namespace URIs the element and its remaining attributes use, sorted, named n1, n2, …
  // Reading: NOTES.md says "ordinal"; the C# code sorts with the culture-aware default comparer.
  // They agree for the ASCII URIs of UFEBS; ordinal is deterministic everywhere, so it is used.
  // Every namespace counts, the XML namespace of xml:lang / xml:space included (as in the C# code),
  // although binding it to nK makes output that a namespace-aware parser would refuse; UFEBS
  // messages carry no xml: attributes.
  const uris = [...new Set([element.uri, ...attributes.map((a) => a.uri)])].filter((u) => u !== '').sort(ordinal);
  const prefixOf = new Map(uris.map((uri, i) => [uri, `n${i + 1}`]));

  // A declaration is written unless the same prefix is already bound to the same URI in scope.
  // Reading: "an ancestor already declared the same prefix for the same URI" is taken as the
  // nearest in-scope binding of that prefix (as the C# stack lookup does): if a nearer ancestor
  // rebound n1 to another URI, n1 is declared again. This keeps the output namespace-correct.
  // Reading: a namespace URI in a declaration is escaped like an attribute value (C14N); the C#
  // code prints it raw. They differ only for URIs holding & < " or tab/newline characters.
  const declarations = uris
    .map((uri, i) => ({ prefix: `n${i + 1}`, uri }))
    .filter((d) => inScope.get(d.prefix) !== d.uri)
    .sort((a, b) => ordinal(a.prefix, b.prefix));
  const scope =
    declarations.length === 0 ? inScope : new Map([...inScope, ...declarations.map((d) => [d.prefix, d.uri] as const)]);

  const qualify = (uri: string, local: string): string => (uri === '' ? local : `${prefixOf.get(uri)}:${local}`);
  const name = qualify(element.uri, element.local);

  // Step 4: C14N attribute order — namespace declarations first (by prefix), then attributes by
  // namespace URI (unqualified first, '' being the smallest) and local name.
  const sorted = [...attributes].sort((a, b) => ordinal(a.uri, b.uri) || ordinal(a.local, b.local));
  out.push('<', name);
  for (const d of declarations) out.push(' xmlns:', d.prefix, '="', escapeAttribute(d.uri), '"');
  for (const a of sorted) out.push(' ', qualify(a.uri, a.local), '="', escapeAttribute(a.value), '"');
  out.push('>');

  for (const child of element.children) {
    if (child.type === 'text') {
      // Step 1. Reading: each run of character data is judged on its own, as the C# reader does
      // with its Whitespace nodes; runs split by a comment are separate runs. A whitespace-only
      // CDATA section is also skipped here (the C# code would keep one that is an element's only
      // content); UFEBS messages carry no CDATA.
      if (!WHITESPACE_ONLY.test(child.value)) out.push(escapeText(child.value));
    } else if (!(isRoot && child.uri === DSIG_NAMESPACE && child.local === 'SigValue')) {
      // Step 1: ЗК are direct children of the ED root; any other SigValue is content and stays.
      writeElement(child, false, scope, out);
    }
  }
  out.push('</', name, '>');
}

/**
 * Normalizes an ED (bytes in Windows-1251 or UTF-8, or a string) for its ЗК, per NOTES.md:
 * 1. skip `dsig:SigValue` children of the root and whitespace-only text;
 * 2. drop `xsi:nil`, `xsi:type`, `xsi:schemaLocation`, `xsi:noNamespaceSchemaLocation`;
 * 3. prefix the namespaces each element uses as n1, n2, … in sorted URI order, declared where not
 *    already in scope;
 * 4. write canonical XML: UTF-8, no declaration, C14N attribute order, explicit end tags, C14N escaping.
 *
 * Fails only when the input cannot be read ({@link parseXml} codes). Never throws.
 */
export function normalizeEd(input: Uint8Array | string, limits?: Partial<XmlLimits>): Result<Uint8Array> {
  const doc = parseXml(input, limits);
  if (!doc.ok) return doc;
  return { ok: true, value: normalizeElement(doc.value.root) };
}

/** The same function as {@link normalizeEd}, named for signing and verifying call sites. */
export const normalizeForSignature: typeof normalizeEd = normalizeEd;
