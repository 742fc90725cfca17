/**
 * Helpers for the XML tests: an independent serializer of parsed trees (to write the same ED with
 * other prefixes, layout, encoding and xsi attributes) and xmllint's canonicalizer as a peer.
 */
import { execFile } from 'node:child_process';
import iconv from 'iconv-lite';
import { DSIG_NAMESPACE, ED_NAMESPACE, XSI_NAMESPACE } from '../model.js';
import type { XmlElement } from './reader.js';
import { xsdValidateMany } from './xsd.js';

/** How {@link serializeVariant} writes a tree. */
export interface Variant {
  /** Prefix for the ED namespace; '' writes it as the default namespace. */
  edPrefix: string;
  /** Prefix for the dsig namespace (never ''). */
  dsigPrefix: string;
  /** Indentation unit between elements ('' for none). */
  indent: string;
  /** Line end used with indentation. */
  eol: '\n' | '\r\n';
  encoding: 'utf-8' | 'windows-1251';
  /** xsi attributes dropped by normalization, added to the element at the same index in document order. */
  xsi: { element: number; local: 'nil' | 'type' | 'schemaLocation' | 'noNamespaceSchemaLocation' }[];
  /** Write empty elements as `<x/>`. */
  selfClose: boolean;
}

const escText = (v: string): string =>
  v.replace(/[&<>\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' })[c] ?? c);
const escAttr = (v: string): string =>
  v.replace(
    /[&<"\t\n\r]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '"': '&quot;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' })[c] ?? c,
  );

/**
 * Writes a parsed tree again with the namespaces, layout, encoding and xsi attributes of `variant`
 * (namespaces other than ED, dsig and xsi keep a generated prefix). Text-bearing elements keep their
 * text exactly; indentation is only added between elements of element-only content.
 */
export function serializeVariant(root: XmlElement, variant: Variant): Uint8Array {
  const prefixes = new Map<string, string>([
    [ED_NAMESPACE, variant.edPrefix],
    [DSIG_NAMESPACE, variant.dsigPrefix],
    [XSI_NAMESPACE, 'xsi'],
  ]);
  const prefixOf = (uri: string): string => {
    let p = prefixes.get(uri);
    if (p === undefined) {
      p = `p${prefixes.size}`;
      prefixes.set(uri, p);
    }
    return p;
  };
  const qname = (uri: string, local: string): string => {
    if (uri === '') return local;
    const p = prefixOf(uri);
    return p === '' ? local : `${p}:${local}`;
  };
  let index = 0;
  const body: string[] = [];
  const walk = (el: XmlElement, depth: number): void => {
    const own = index;
    index += 1;
    const name = qname(el.uri, el.local);
    body.push('<', name);
    for (const a of el.attributes) body.push(' ', qname(a.uri, a.local), '="', escAttr(a.value), '"');
    for (const x of variant.xsi.filter((x) => x.element === own)) {
      if (!el.attributes.some((a) => a.uri === XSI_NAMESPACE && a.local === x.local)) {
        body.push(' xsi:', x.local, '="', x.local === 'nil' ? 'false' : 'any value', '"');
      }
    }
    if (own === 0) body.push('\u0000');
    if (el.children.length === 0 && variant.selfClose) {
      body.push('/>');
      return;
    }
    body.push('>');
    const elementOnly = el.children.every((c) => c.type === 'element' || /^[ \t\r\n]*$/.test(c.value));
    for (const child of el.children) {
      if (child.type === 'text') {
        if (!elementOnly) body.push(escText(child.value));
      } else {
        if (elementOnly && variant.indent !== '') body.push(variant.eol, variant.indent.repeat(depth + 1));
        walk(child, depth + 1);
      }
    }
    if (elementOnly && variant.indent !== '' && el.children.length > 0)
      body.push(variant.eol, variant.indent.repeat(depth));
    body.push('</', name, '>');
  };
  walk(root, 0);
  // Every prefix is declared on the root, used or not: unused declarations must not matter either.
  const declarations = [...prefixes]
    .map(([uri, p]) => (p === '' ? ` xmlns="${uri}"` : ` xmlns:${p}="${uri}"`))
    .join('');
  const text = `<?xml version="1.0" encoding="${variant.encoding}"?>${variant.eol}${body.join('').replace('\u0000', declarations)}`;
  return variant.encoding === 'utf-8'
    ? new TextEncoder().encode(text)
    : new Uint8Array(iconv.encode(text, 'windows-1251'));
}

/** Runs `xmllint --c14n` (inclusive Canonical XML 1.0) on a document; resolves with its output. */
export function xmllintC14n(doc: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile('xmllint', ['--c14n', '--nonet', '-'], { encoding: 'buffer' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`xmllint --c14n failed: ${stderr.toString()}`));
      else resolve(stdout);
    });
    child.stdin?.end(doc);
  });
}

/**
 * Collects every ED a test file writes and validates them all against the official XSD (issue: every
 * ED the tests write is checked by xmllint), in one xmllint run per batch so that it stays fast.
 */
export function xsdSample(): { add(doc: Uint8Array): void; invalid(): Promise<string[]> } {
  const docs: Uint8Array[] = [];
  return {
    add(doc) {
      docs.push(doc);
    },
    async invalid() {
      if (docs.length === 0) return ['no documents were written'];
      const problems: string[] = [];
      for (let i = 0; i < docs.length; i += 200) {
        const results = await xsdValidateMany(docs.slice(i, i + 200));
        problems.push(...results.filter((r) => !r.ok).map((r) => r.output));
      }
      return problems;
    },
  };
}
