/**
 * Reads UFEBS EDs into the typed models: ED101, PacketEPD (of ED101), ED201, ED206, ED211.
 *
 * The parser checks structure only — required elements and attributes, order, namespaces, nothing
 * unexpected — and collects every problem with its path instead of stopping at the first
 * (`UFEBS_ED_STRUCTURE` with `errors`). Values are kept as the strings found; checking them is the
 * requisite validators' work. `sigValues` keep the ЗК base64 text exactly as found.
 */
import {
  type AnyEd,
  DSIG_NAMESPACE,
  ED_NAMESPACE,
  type Ed101,
  type Ed201,
  type Ed206,
  type Ed211,
  type PacketEpd,
  XSI_NAMESPACE,
} from '../model.js';
import type { FieldError, Result } from '../result.js';
import { parseXml, type XmlElement, type XmlLimits } from './reader.js';
import { type AttrSpec, type ChildSpec, type ElementSpec, ROOT_SPECS } from './specs.js';

/** xsi attributes any schema-valid document may carry; they do not belong to the ED's content. */
const IGNORED_XSI = new Set(['nil', 'type', 'schemaLocation', 'noNamespaceSchemaLocation']);

/** A leaf element: text content only. */
const LEAF: ElementSpec = { attrs: [], children: [], text: 'value' };

const attrIndex = new WeakMap<ElementSpec, ReadonlyMap<string, AttrSpec>>();

function attrsOf(spec: ElementSpec): ReadonlyMap<string, AttrSpec> {
  let index = attrIndex.get(spec);
  if (index === undefined) {
    index = new Map(spec.attrs.map((a) => [a.xml, a]));
    attrIndex.set(spec, index);
  }
  return index;
}

const aheadIndex = new WeakMap<ElementSpec, readonly ReadonlySet<string>[]>();

/** For each entry of the content sequence, the element names that it or a later entry can take. */
function namesAhead(spec: ElementSpec): readonly ReadonlySet<string>[] {
  let ahead = aheadIndex.get(spec);
  if (ahead === undefined) {
    const names = spec.children.map((c) => (c.kind === 'choice' ? c.options.map((o) => o.xml) : [c.xml]));
    ahead = names.map((_, i) => new Set(names.slice(i).flat()));
    aheadIndex.set(spec, ahead);
  }
  return ahead;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function isElement(node: XmlElement['children'][number]): node is XmlElement {
  return node.type === 'element';
}

type Target = Record<string, unknown>;

class EdReader {
  readonly errors: FieldError[] = [];

  error(code: string, path: string, message: string): void {
    this.errors.push({ code, path, message });
  }

  read(element: XmlElement, spec: ElementSpec, path: string, target: Target): void {
    if (spec.constants !== undefined) Object.assign(target, spec.constants);
    this.attributes(element, spec, path, target);
    if (spec.text !== undefined) {
      target[spec.text] = element.children.map((c) => (c.type === 'text' ? c.value : '')).join('');
    } else if (element.children.some((c) => c.type === 'text' && /[^ \t\r\n]/.test(c.value))) {
      this.error('UFEBS_ED_UNEXPECTED_TEXT', join(path, '#text'), `${element.local} holds elements only, not text`);
    }
    const kids = element.children.filter(isElement);
    const ahead = namesAhead(spec);
    let pos = 0;
    spec.children.forEach((child, i) => {
      // An element that no remaining entry of the sequence could take (unknown, repeated, or a ЗК
      // after the content) is reported and stepped over, so that it does not also make the
      // elements after it look missing.
      for (let kid = kids[pos]; kid !== undefined && !ahead[i]?.has(kid.local); kid = kids[pos]) {
        this.unexpected(kid, spec, path);
        pos += 1;
      }
      pos = this.child(child, kids, pos, target, path);
    });
    for (const kid of kids.slice(pos)) this.unexpected(kid, spec, path);
  }

  private attributes(element: XmlElement, spec: ElementSpec, path: string, target: Target): void {
    const known = attrsOf(spec);
    for (const attr of element.attributes) {
      const attrSpec = known.get(attr.local);
      if (attr.uri === '' && attrSpec !== undefined) {
        target[attrSpec.key] = attr.value;
      } else if (attr.uri === XSI_NAMESPACE && IGNORED_XSI.has(attr.local)) {
        // Allowed on any element by XML Schema; dropped by normalization as well.
      } else if (attrSpec !== undefined) {
        // UFEBS attributes are unqualified (attributeFormDefault="unqualified").
        this.error('UFEBS_ED_WRONG_NAMESPACE', join(path, attrSpec.key), `attribute ${attr.local} must be unqualified`);
        target[attrSpec.key] = attr.value;
      } else {
        const name = attr.prefix === '' ? attr.local : `${attr.prefix}:${attr.local}`;
        this.error(
          'UFEBS_ED_UNEXPECTED_ATTRIBUTE',
          join(path, `@${name}`),
          `${element.local} has no attribute ${name}`,
        );
      }
    }
    for (const attrSpec of spec.attrs) {
      if (attrSpec.required && target[attrSpec.key] === undefined) {
        this.error(
          'UFEBS_ED_MISSING_ATTRIBUTE',
          join(path, attrSpec.key),
          `${element.local}/@${attrSpec.xml} is required`,
        );
      }
    }
  }

  private namespace(kid: XmlElement, expected: string, path: string): void {
    if (kid.uri !== expected) {
      this.error('UFEBS_ED_WRONG_NAMESPACE', path, `${kid.local} must be in namespace ${expected}`);
    }
  }

  /** Reads one entry of a content sequence from `kids[pos]` on; returns the next position. */
  private child(spec: ChildSpec, kids: XmlElement[], pos: number, target: Target, path: string): number {
    const kid = kids[pos];
    switch (spec.kind) {
      case 'text':
      case 'element': {
        const at = join(path, spec.key);
        if (kid === undefined || kid.local !== spec.xml) {
          if (spec.required) this.error('UFEBS_ED_MISSING_ELEMENT', at, `element ${spec.xml} is required here`);
          return pos;
        }
        this.namespace(kid, spec.kind === 'element' ? spec.ns : ED_NAMESPACE, at);
        const value: Target = {};
        this.read(kid, spec.kind === 'element' ? spec.spec : LEAF, at, value);
        target[spec.key] = spec.kind === 'element' ? value : value.value;
        return pos + 1;
      }
      case 'repeated': {
        const items: Target[] = [];
        let next = pos;
        for (let item = kids[next]; item !== undefined && item.local === spec.xml; item = kids[next]) {
          const at = `${join(path, spec.key)}[${items.length}]`;
          this.namespace(item, spec.ns, at);
          const value: Target = {};
          this.read(item, spec.spec, at, value);
          items.push(value);
          next += 1;
        }
        if (items.length < spec.min) {
          this.error(
            'UFEBS_ED_MISSING_ELEMENT',
            join(path, spec.key),
            `at least ${spec.min} ${spec.xml} required here`,
          );
        }
        if (items.length > 0 || spec.keepEmpty) target[spec.key] = items;
        return next;
      }
      case 'flatten': {
        if (kid === undefined || kid.local !== spec.xml) {
          if (spec.required)
            this.error('UFEBS_ED_MISSING_ELEMENT', join(path, spec.xml), `element ${spec.xml} is required here`);
          return pos;
        }
        this.namespace(kid, spec.ns, join(path, spec.xml));
        // Its attributes are properties of the parent object (ED101 AccDoc → accDocNo, accDocDate).
        this.read(kid, spec.spec, path, target);
        return pos + 1;
      }
      case 'choice': {
        const names = spec.options.map((o) => o.xml).join(', ');
        let next = pos;
        let chosen = 0;
        for (let item = kids[next]; item !== undefined; item = kids[next]) {
          const local = item.local;
          const option = spec.options.find((o) => o.xml === local);
          if (option === undefined) break;
          if (chosen > 0) {
            this.error('UFEBS_ED_CHOICE', join(path, option.key), `only one of ${names} is allowed`);
          }
          next = this.child(option, kids, next, target, path);
          chosen += 1;
        }
        if (chosen === 0 && spec.required) {
          this.error('UFEBS_ED_CHOICE', path, `one of ${names} is required here`);
        }
        return next;
      }
    }
  }

  private unexpected(kid: XmlElement, spec: ElementSpec, path: string): void {
    const at = join(path, kid.local);
    if (kid.uri === DSIG_NAMESPACE && kid.local === 'SigValue') {
      // cbr_ed_objects, type ED: a ЗК may only precede the ED's content.
      this.error('UFEBS_ED_SIGVALUE_MISPLACED', at, 'a dsig:SigValue must come before every other child of its ED');
    } else if (spec.unsupported?.includes(kid.local) === true && kid.uri === ED_NAMESPACE) {
      this.error('UFEBS_ED_UNSUPPORTED', at, `${kid.local} is valid UFEBS but not handled by this gateway`);
    } else {
      this.error('UFEBS_ED_UNEXPECTED_ELEMENT', at, `element ${kid.local} is not allowed here`);
    }
  }
}

/** Maps an already parsed root element to its ED model (see {@link parseEd}). */
export function parseEdElement(root: XmlElement): Result<AnyEd> {
  const spec = Object.hasOwn(ROOT_SPECS, root.local) ? ROOT_SPECS[root.local] : undefined;
  if (spec === undefined) {
    return {
      ok: false,
      code: 'UFEBS_ED_UNSUPPORTED',
      message: `root element ${root.local.slice(0, 64)} is not a supported ED (ED101, PacketEPD, ED201, ED206, ED211)`,
    };
  }
  const reader = new EdReader();
  if (root.uri !== ED_NAMESPACE) {
    reader.error('UFEBS_ED_WRONG_NAMESPACE', '', `${root.local} must be in namespace ${ED_NAMESPACE}`);
  }
  const value: Target = {};
  reader.read(root, spec, '', value);
  if (reader.errors.length > 0) {
    return {
      ok: false,
      code: 'UFEBS_ED_STRUCTURE',
      message: `${root.local} does not match its schema: ${reader.errors.length} problem(s)`,
      errors: reader.errors,
    };
  }
  // The tables in specs.ts are typed by these models; the round-trip tests hold them to it.
  return { ok: true, value: value as unknown as AnyEd };
}

/**
 * Parses an ED (bytes in Windows-1251 or UTF-8, or a string), dispatching on the root element:
 * ED101, PacketEPD, ED201, ED206, ED211; any other root is `UFEBS_ED_UNSUPPORTED`. Reading
 * failures carry the `UFEBS_XML_*` codes of {@link parseXml}. Never throws.
 */
export function parseEd(input: Uint8Array | string, limits?: Partial<XmlLimits>): Result<AnyEd> {
  const doc = parseXml(input, limits);
  if (!doc.ok) return doc;
  return parseEdElement(doc.value.root);
}

function parseKind<K extends AnyEd['kind']>(
  input: Uint8Array | string,
  kind: K,
  limits: Partial<XmlLimits> | undefined,
): Result<Extract<AnyEd, { kind: K }>> {
  const doc = parseXml(input, limits);
  if (!doc.ok) return doc;
  if (doc.value.root.local !== kind) {
    return {
      ok: false,
      code: 'UFEBS_ED_UNSUPPORTED',
      message: `expected ${kind}, found ${doc.value.root.local.slice(0, 64)}`,
    };
  }
  return parseEdElement(doc.value.root) as Result<Extract<AnyEd, { kind: K }>>;
}

/** Parses an ED101; any other root is `UFEBS_ED_UNSUPPORTED`. */
export function parseEd101(input: Uint8Array | string, limits?: Partial<XmlLimits>): Result<Ed101> {
  return parseKind(input, 'ED101', limits);
}

/** Parses a PacketEPD of ED101s; any other root is `UFEBS_ED_UNSUPPORTED`. */
export function parsePacketEpd(input: Uint8Array | string, limits?: Partial<XmlLimits>): Result<PacketEpd> {
  return parseKind(input, 'PacketEPD', limits);
}

/** Parses an ED201; any other root is `UFEBS_ED_UNSUPPORTED`. */
export function parseEd201(input: Uint8Array | string, limits?: Partial<XmlLimits>): Result<Ed201> {
  return parseKind(input, 'ED201', limits);
}

/** Parses an ED206; any other root is `UFEBS_ED_UNSUPPORTED`. */
export function parseEd206(input: Uint8Array | string, limits?: Partial<XmlLimits>): Result<Ed206> {
  return parseKind(input, 'ED206', limits);
}

/** Parses an ED211; any other root is `UFEBS_ED_UNSUPPORTED`. */
export function parseEd211(input: Uint8Array | string, limits?: Partial<XmlLimits>): Result<Ed211> {
  return parseKind(input, 'ED211', limits);
}
