/**
 * A small, safe, namespace-aware XML reader for UFEBS messages.
 *
 * Messages come from outside the gateway (the back office, АРМ КБР-Н, the Bank of Russia), so the
 * reader refuses whatever could make parsing dangerous or unbounded: any DOCTYPE (no DTD, no entity
 * declarations — XXE and entity expansion are impossible), processing instructions other than the
 * XML declaration, oversized input, deep nesting, and too many elements or attributes. Every failure
 * is a coded `Result`; the reader never throws, whatever the bytes.
 */
import iconv from 'iconv-lite';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import type { Result } from '../result.js';

/** The namespace of `xmlns` declarations, which the tree keeps apart from attributes. */
const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';

/** An attribute, with its namespace URI ('' when unqualified), local name and prefix as written. */
export interface XmlAttribute {
  uri: string;
  local: string;
  /** Prefix as written ('' when unprefixed). */
  prefix: string;
  value: string;
}

/** A namespace declaration as written on an element (`xmlns="…"` has prefix ''). */
export interface XmlNamespaceDeclaration {
  prefix: string;
  uri: string;
}

/** Character data: a run of text, or a CDATA section, with references already resolved. */
export interface XmlText {
  type: 'text';
  value: string;
}

/** An element: namespace URI ('' for none), local name, prefix as written, attributes, children. */
export interface XmlElement {
  type: 'element';
  uri: string;
  local: string;
  /** Prefix as written ('' when unprefixed). */
  prefix: string;
  /** Attributes in document order, namespace declarations excluded. */
  attributes: XmlAttribute[];
  /** Namespace declarations written on this element, in document order. */
  namespaces: XmlNamespaceDeclaration[];
  /** Elements and character data in document order (comments are not kept). */
  children: XmlNode[];
}

/** A child of an element. */
export type XmlNode = XmlElement | XmlText;

/** Encodings the reader accepts: Windows-1251 (the UFEBS encoding) and UTF-8. */
export type XmlEncoding = 'windows-1251' | 'utf-8';

/** A parsed document. */
export interface XmlDocument {
  root: XmlElement;
  /** Encoding the bytes were decoded with; absent when the input was already a string. */
  encoding?: XmlEncoding;
}

/** Resource limits of {@link parseXml}. */
export interface XmlLimits {
  /** Maximum input size: bytes for a `Uint8Array`, UTF-16 code units for a string. */
  maxBytes: number;
  /** Maximum element nesting depth (the root is depth 1). */
  maxDepth: number;
  /** Maximum attributes on one element, namespace declarations included. */
  maxAttributes: number;
  /** Maximum number of elements in the document. */
  maxElements: number;
}

/** Default limits: generous for any ED or packet, small enough to keep a hostile file harmless. */
export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = Object.freeze({
  maxBytes: 10 * 1024 * 1024,
  maxDepth: 64,
  maxAttributes: 64,
  maxElements: 250_000,
});

/** Raised inside saxes handlers to stop parsing with a code; never escapes this module. */
class Refusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Failure = Extract<Result<never>, { ok: false }>;

function fail(code: string, message: string): Failure {
  return { ok: false, code, message };
}

/** Windows-1251 leaves byte 0x98 undefined; iconv-lite would turn it into U+FFFD silently. */
const CP1251_UNDEFINED_BYTE = 0x98;

/**
 * Reads the `encoding` pseudo-attribute of an XML declaration at the very start of the bytes.
 * Returns undefined when there is no declaration or it names no encoding (XML then means UTF-8).
 */
function declaredEncoding(bytes: Uint8Array): Result<string | undefined> {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 1024)).toString('latin1');
  if (!/^<\?xml[ \t\r\n]/.test(head)) return { ok: true, value: undefined };
  const end = head.indexOf('?>');
  if (end < 0) return fail('UFEBS_XML_MALFORMED', 'the XML declaration is not terminated');
  const match = /[ \t\r\n]encoding[ \t\r\n]*=[ \t\r\n]*(["'])([^"']*)\1/.exec(head.slice(0, end));
  return { ok: true, value: match?.[2] };
}

function decode(bytes: Uint8Array): Result<{ text: string; encoding: XmlEncoding }> {
  let body = bytes;
  let bom = false;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    bom = true;
    body = bytes.subarray(3);
  } else if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe)) {
    return fail('UFEBS_XML_ENCODING', 'UTF-16 input is not supported; use Windows-1251 or UTF-8');
  }
  const declared = declaredEncoding(body);
  if (!declared.ok) return declared;
  const name = (declared.value ?? 'utf-8').toLowerCase();
  if (name === 'utf-8') {
    try {
      const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
      return { ok: true, value: { text, encoding: 'utf-8' } };
    } catch {
      return fail('UFEBS_XML_ENCODING', 'the input is not valid UTF-8');
    }
  }
  if (name === 'windows-1251') {
    if (bom) return fail('UFEBS_XML_ENCODING', 'a UTF-8 byte order mark contradicts the declared windows-1251');
    const bad = body.indexOf(CP1251_UNDEFINED_BYTE);
    if (bad >= 0) return fail('UFEBS_XML_ENCODING', `byte 0x98 at offset ${bad} is undefined in windows-1251`);
    return { ok: true, value: { text: iconv.decode(Buffer.from(body), 'windows-1251'), encoding: 'windows-1251' } };
  }
  return fail('UFEBS_XML_ENCODING', `unsupported encoding "${declared.value}"; use windows-1251 or UTF-8`);
}

/**
 * Parses XML bytes (decoded per their declaration: Windows-1251 or UTF-8, UTF-8 when nothing is
 * declared) or an already decoded string (whose declared encoding is then not consulted) into a
 * namespace-aware tree.
 *
 * Refuses, with a code: DOCTYPE (`UFEBS_XML_DTD_FORBIDDEN`), processing instructions
 * (`UFEBS_XML_PI_FORBIDDEN`), input over `maxBytes` (`UFEBS_XML_TOO_LARGE`), nesting over `maxDepth`
 * (`UFEBS_XML_TOO_DEEP`), too many elements or attributes, unsupported encodings or invalid bytes
 * (`UFEBS_XML_ENCODING`), XML other than well-formed XML 1.0 with namespaces (`UFEBS_XML_MALFORMED`).
 * Never throws.
 */
export function parseXml(input: Uint8Array | string, limits?: Partial<XmlLimits>): Result<XmlDocument> {
  const lim: XmlLimits = { ...DEFAULT_XML_LIMITS, ...limits };
  let text: string;
  let encoding: XmlEncoding | undefined;
  if (typeof input === 'string') {
    if (input.length > lim.maxBytes) {
      return fail('UFEBS_XML_TOO_LARGE', `input of ${input.length} characters exceeds ${lim.maxBytes}`);
    }
    text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  } else {
    if (input.length > lim.maxBytes) {
      return fail('UFEBS_XML_TOO_LARGE', `input of ${input.length} bytes exceeds ${lim.maxBytes}`);
    }
    const decoded = decode(input);
    if (!decoded.ok) return decoded;
    text = decoded.value.text;
    encoding = decoded.value.encoding;
  }
  try {
    const root = buildTree(text, lim);
    return { ok: true, value: encoding === undefined ? { root } : { root, encoding } };
  } catch (err) {
    if (err instanceof Refusal) return fail(err.code, err.message);
    // saxes reports every well-formedness error by throwing (no error handler is installed);
    // its messages carry line:column and no document content beyond a character or a name.
    return fail('UFEBS_XML_MALFORMED', err instanceof Error ? err.message : 'malformed XML');
  }
}

function buildTree(text: string, lim: XmlLimits): XmlElement {
  // forceXMLVersion: the document is read by XML 1.0 rules whatever it declares (1.1 would allow
  // control characters through references); a declared 1.1 is refused below.
  const parser = new SaxesParser({ xmlns: true, defaultXMLVersion: '1.0', forceXMLVersion: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let attributes = 0;

  parser.on('xmldecl', (decl) => {
    if (decl.version !== undefined && decl.version !== '1.0') {
      throw new Refusal('UFEBS_XML_MALFORMED', `XML version ${decl.version} is not accepted; UFEBS uses XML 1.0`);
    }
  });
  parser.on('doctype', () => {
    throw new Refusal('UFEBS_XML_DTD_FORBIDDEN', 'a DOCTYPE declaration is not allowed');
  });
  parser.on('processinginstruction', (pi) => {
    throw new Refusal('UFEBS_XML_PI_FORBIDDEN', `processing instruction "${pi.target.slice(0, 40)}" is not allowed`);
  });
  parser.on('opentagstart', () => {
    elements += 1;
    attributes = 0;
    if (elements > lim.maxElements) {
      throw new Refusal('UFEBS_XML_TOO_MANY_ELEMENTS', `more than ${lim.maxElements} elements`);
    }
    if (stack.length + 1 > lim.maxDepth) {
      throw new Refusal('UFEBS_XML_TOO_DEEP', `elements nested deeper than ${lim.maxDepth}`);
    }
  });
  parser.on('attribute', () => {
    attributes += 1;
    if (attributes > lim.maxAttributes) {
      throw new Refusal('UFEBS_XML_TOO_MANY_ATTRIBUTES', `an element has more than ${lim.maxAttributes} attributes`);
    }
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    const element = toElement(tag);
    const parent = stack[stack.length - 1];
    if (parent === undefined) root = element;
    else parent.children.push(element);
    stack.push(element);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const onText = (value: string): void => {
    // Character data outside the root can only be whitespace (saxes refuses anything else).
    stack[stack.length - 1]?.children.push({ type: 'text', value });
  };
  parser.on('text', onText);
  parser.on('cdata', onText);

  parser.write(text).close();
  if (root === undefined) throw new Refusal('UFEBS_XML_MALFORMED', 'the document has no root element');
  return root;
}

function toElement(tag: SaxesTagNS): XmlElement {
  const attributes: XmlAttribute[] = [];
  const seen = new Set<string>();
  for (const attr of Object.values(tag.attributes)) {
    if (attr.uri === XMLNS_NAMESPACE) continue;
    // Namespaces in XML §6.3: no two attributes with the same expanded name, even when written
    // with different prefixes bound to one URI.
    const key = `{${attr.uri}}${attr.local}`;
    if (seen.has(key)) throw new Refusal('UFEBS_XML_MALFORMED', `attribute ${attr.local} is repeated`);
    seen.add(key);
    attributes.push({ uri: attr.uri, local: attr.local, prefix: attr.prefix, value: attr.value });
  }
  const namespaces = Object.entries(tag.ns).map(([prefix, uri]) => ({ prefix, uri }));
  return { type: 'element', uri: tag.uri, local: tag.local, prefix: tag.prefix, attributes, namespaces, children: [] };
}
