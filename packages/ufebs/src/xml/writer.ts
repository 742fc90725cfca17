/**
 * Writes UFEBS EDs as the Bank of Russia expects them: Windows-1251 bytes with
 * `<?xml version="1.0" encoding="WINDOWS-1251"?>`, default namespace `urn:cbr-ru:ed:v2.0`,
 * attributes and elements in schema order (specs.ts), and the ЗК (`dsig:SigValue`, namespace
 * `urn:cbr-ru:dsig:v1.1`) as the first children of their ED, as the base type ED requires.
 *
 * A value holding a character that Windows-1251 cannot encode, or that XML 1.0 cannot carry (a
 * control character), is refused with `UFEBS_ED_UNENCODABLE` and its path: a payment requisite is
 * never silently replaced by "?".
 */
import iconv from 'iconv-lite';
import {
  type AnyEd,
  DSIG_NAMESPACE,
  ED_NAMESPACE,
  type Ed101,
  type Ed201,
  type Ed206,
  type Ed211,
  type PacketEpd,
} from '../model.js';
import type { FieldError, Result } from '../result.js';
import { type ChildSpec, ED101, ED201, ED206, ED211, type ElementSpec, PACKET_EPD } from './specs.js';

/** The XML declaration every written ED starts with. */
export const ED_XML_DECLARATION = '<?xml version="1.0" encoding="WINDOWS-1251"?>';

let cp1251Chars: ReadonlySet<string> | undefined;

/** Characters Windows-1251 encodes, taken from its byte table (byte 0x98 is undefined in it). */
function windows1251Chars(): ReadonlySet<string> {
  if (cp1251Chars === undefined) {
    const table = iconv.decode(Buffer.from(Array.from({ length: 256 }, (_, i) => i)), 'windows-1251');
    const chars = new Set<string>();
    for (let byte = 0; byte < 256; byte += 1) {
      if (byte !== 0x98) chars.add(table.charAt(byte));
    }
    cp1251Chars = chars;
  }
  return cp1251Chars;
}

function escapeText(value: string): string {
  // \r is written as a reference, or XML end-of-line handling would turn it into \n on reading.
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

function escapeAttribute(value: string): string {
  // Tab, newline and carriage return as references: attribute-value normalization would make
  // them spaces on reading otherwise.
  return value.replace(/[&<"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c] ?? c);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

type Fields = Readonly<Record<string, unknown>>;

class EdSerializer {
  readonly parts: string[] = [];
  readonly errors: FieldError[] = [];
  usesDsig = false;

  /** Refuses the first character of `value` that cannot be written, with the value's path. */
  private check(value: string, path: string): void {
    const chars = windows1251Chars();
    let position = 0;
    for (const ch of value) {
      const xmlChar = ch >= ' ' || ch === '\t' || ch === '\n' || ch === '\r';
      if (!xmlChar || !chars.has(ch)) {
        const hex = (ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
        this.errors.push({
          code: 'UFEBS_ED_UNENCODABLE',
          path,
          message: `character U+${hex} at position ${position} cannot be written in a Windows-1251 XML 1.0 ED`,
        });
        return;
      }
      position += 1;
    }
  }

  private name(xml: string, ns: string): string {
    if (ns === DSIG_NAMESPACE) {
      this.usesDsig = true;
      return `dsig:${xml}`;
    }
    return xml;
  }

  element(xml: string, ns: string, spec: ElementSpec, fields: Fields, path: string, rootDeclarations = false): void {
    const name = this.name(xml, ns);
    this.parts.push('<', name);
    // Filled in at the end, once it is known whether a dsig element was written.
    if (rootDeclarations) this.parts.push('');
    for (const attr of spec.attrs) {
      const value = fields[attr.key];
      if (typeof value !== 'string') continue;
      this.check(value, join(path, attr.key));
      this.parts.push(' ', attr.xml, '="', escapeAttribute(value), '"');
    }
    this.parts.push('>');
    if (spec.text !== undefined) {
      const value = fields[spec.text];
      if (typeof value === 'string') {
        this.check(value, join(path, spec.text));
        this.parts.push(escapeText(value));
      }
    }
    for (const child of spec.children) this.child(child, fields, path);
    this.parts.push('</', name, '>');
  }

  private child(spec: ChildSpec, fields: Fields, path: string): void {
    switch (spec.kind) {
      case 'text': {
        const value = fields[spec.key];
        if (typeof value !== 'string') return;
        this.check(value, join(path, spec.key));
        this.parts.push('<', spec.xml, '>', escapeText(value), '</', spec.xml, '>');
        return;
      }
      case 'element': {
        const value = fields[spec.key];
        if (typeof value === 'object' && value !== null) {
          this.element(spec.xml, spec.ns, spec.spec, value as Fields, join(path, spec.key));
        }
        return;
      }
      case 'repeated': {
        const items = fields[spec.key];
        if (!Array.isArray(items)) return;
        items.forEach((item: unknown, i) => {
          if (typeof item === 'object' && item !== null) {
            this.element(spec.xml, spec.ns, spec.spec, item as Fields, `${join(path, spec.key)}[${i}]`);
          }
        });
        return;
      }
      case 'flatten': {
        if (spec.required || spec.spec.attrs.some((a) => fields[a.key] !== undefined)) {
          this.element(spec.xml, spec.ns, spec.spec, fields, path);
        }
        return;
      }
      case 'choice': {
        // The writer does not validate: every option present in the model is written, and the
        // schema (and parseEd, UFEBS_ED_CHOICE) refuse a choice with none or two.
        for (const option of spec.options) this.child(option, fields, path);
        return;
      }
    }
  }
}

function write(root: string, spec: ElementSpec, ed: object): Result<Uint8Array> {
  const out = new EdSerializer();
  out.element(root, ED_NAMESPACE, spec, ed as Fields, '', true);
  if (out.errors.length > 0) {
    return {
      ok: false,
      code: 'UFEBS_ED_UNENCODABLE',
      message: `${out.errors.length} value(s) hold characters that cannot be written in Windows-1251`,
      errors: out.errors,
    };
  }
  // parts[2] was reserved, after "<" and the root name, for the namespace declarations: only now is it known whether dsig is used.
  out.parts[2] = ` xmlns="${ED_NAMESPACE}"${out.usesDsig ? ` xmlns:dsig="${DSIG_NAMESPACE}"` : ''}`;
  const bytes = iconv.encode(ED_XML_DECLARATION + out.parts.join(''), 'windows-1251');
  return { ok: true, value: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) };
}

/** Writes an ED101 (payment order) as Windows-1251 XML; its `sigValues` become the first children. */
export function writeEd101(ed: Ed101): Result<Uint8Array> {
  return write('ED101', ED101, ed);
}

/** Writes a PacketEPD with its ED101s (each with its own ЗК, if any) as Windows-1251 XML. */
export function writePacketEpd(packet: PacketEpd): Result<Uint8Array> {
  return write('PacketEPD', PACKET_EPD, packet);
}

/** Writes an ED201 (result of control); used by the Bank of Russia simulator and tests. */
export function writeEd201(ed: Ed201): Result<Uint8Array> {
  return write('ED201', ED201, ed);
}

/** Writes an ED206 (debit/credit confirmation); used by the Bank of Russia simulator and tests. */
export function writeEd206(ed: Ed206): Result<Uint8Array> {
  return write('ED206', ED206, ed);
}

/** Writes an ED211 (account statement); used by the Bank of Russia simulator and tests. */
export function writeEd211(ed: Ed211): Result<Uint8Array> {
  return write('ED211', ED211, ed);
}

/** Writes any supported ED, chosen by its `kind`. */
export function writeEd(ed: AnyEd): Result<Uint8Array> {
  switch (ed.kind) {
    case 'ED101':
      return writeEd101(ed);
    case 'PacketEPD':
      return writePacketEpd(ed);
    case 'ED201':
      return writeEd201(ed);
    case 'ED206':
      return writeEd206(ed);
    case 'ED211':
      return writeEd211(ed);
  }
}
