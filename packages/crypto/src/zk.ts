/**
 * ЗК (защитный код) on an ED — NOTES.md, "Signatures inside UFEBS": a detached CMS SignedData over
 * the normalized ED, carried base64 in a `dsig:SigValue` (namespace urn:cbr-ru:dsig:v1.1) among the
 * first children of the ED root. The formation contour's ЗК comes first; the control contour adds
 * its own after it, and the first stays byte for byte (802-П прил. 1.3–1.4, п. 14.3).
 *
 * A ЗК is inserted at the byte level, in the file's own encoding (Windows-1251 or UTF-8; both are
 * ASCII-compatible and the inserted element is pure ASCII), so no other byte of the file changes.
 */
import { DSIG_NAMESPACE, normalizeEd, type Result } from '@twincontour/ufebs';
import { applyContourRule } from './cms/contours.js';
import { parseSignedData } from './cms/parse.js';
import { fail, type SigResult } from './cms/result.js';
import { signDetached } from './cms/sign.js';
import { type SignerReport, type VerifyOptions, verifyParsed } from './cms/verify.js';
import type { CertificateValidator, Contour, SigFailureCode, Signer } from './types.js';

/** One ЗК as found in an ED. */
export interface ZkValue {
  /** Position among the ED's ЗК, from 0 (document order). */
  index: number;
  /** The SigId attribute (2 digits, "type / purpose of the ЗК"), if present. */
  sigId: string | undefined;
  /** The base64 text, whitespace removed. */
  base64: string;
  /** The decoded CMS SignedData. */
  der: Uint8Array;
  /** Byte offsets of the whole `SigValue` element in the ED ([start, end)). */
  start: number;
  end: number;
}

/** Options of `addZk`. */
export interface AddZkOptions {
  /** SigId to write (two digits, schema SigIdType): lets a deployment mark which contour made the ЗК. */
  sigId?: string;
  /** signingTime of the CMS (default: now). */
  signingTime?: Date;
}

/** Options of `verifyZks`. */
export interface VerifyZksOptions {
  validator?: CertificateValidator;
  now?: Date;
  /**
   * The contours the ЗК must come from, in order (e.g. `['formation', 'control']`, 802-П п. 14.3).
   * Also requires that no two ЗК come from the same certificate.
   */
  expectedContours?: readonly Contour[];
  /** More certificates to find signers' certificates in (when a ЗК does not carry its certificate). */
  certificates?: readonly Uint8Array[];
}

/** The verdict on one ЗК: its signer's report, plus its SigId. `index` is the ЗК's position. */
export interface ZkEntry extends SignerReport {
  sigId: string | undefined;
}

/** The verdict on all the ЗК of an ED. */
export interface ZkReport {
  /** True only when there is at least one ЗК and every one passed (and the contour rule, if asked). */
  ok: boolean;
  code?: SigFailureCode;
  message?: string;
  zks: ZkEntry[];
  /** Whether a validator checked the certificates (see `VerifyReport.certificateChecks`). */
  certificateChecks: 'performed' | 'not-performed';
}

const SIG_ID_RE = /^\d{2}$/;

/**
 * Adds a ЗК to an ED: normalizes the ED (`normalizeEd` of @twincontour/ufebs), signs the normalized
 * bytes (detached CMS), and inserts `<dsig:SigValue xmlns:dsig="urn:cbr-ru:dsig:v1.1" [SigId]>` after
 * the ED's existing ЗК (or as the root's first child). Every other byte of the file is kept.
 * Fails (as a value) when the ED cannot be read: normalization's `UFEBS_XML_*` codes, or `SIG_MALFORMED`.
 * Throws `RangeError` for a `sigId` that is not two digits (a configuration fault).
 */
export async function addZk(edBytes: Uint8Array, signer: Signer, opts: AddZkOptions = {}): Promise<Result<Uint8Array>> {
  if (opts.sigId !== undefined && !SIG_ID_RE.test(opts.sigId)) throw new RangeError('sigId must be two digits');
  const normalized = normalizeEd(edBytes);
  if (!normalized.ok) return normalized;
  const scan = scanEd(edBytes);
  if (!scan.ok) return scan;
  const cms = await signDetached(normalized.value, signer, opts.signingTime ? { signingTime: opts.signingTime } : {});
  const sigId = opts.sigId === undefined ? '' : ` SigId="${opts.sigId}"`;
  const element = Buffer.from(
    `<dsig:SigValue xmlns:dsig="${DSIG_NAMESPACE}"${sigId}>${Buffer.from(cms).toString('base64')}</dsig:SigValue>`,
    'latin1',
  );
  const { root, children } = scan.value;
  if (root.selfClosing) {
    // `<ED .../>` has no children: open it, put the ЗК in and close it. Normalization writes explicit
    // end tags, so the signed bytes are the same either way.
    const slash = root.end - 2;
    return {
      ok: true,
      value: concatBytes([
        edBytes.subarray(0, slash),
        Buffer.from('>', 'latin1'),
        element,
        Buffer.from(`</${root.name}>`, 'latin1'),
        edBytes.subarray(root.end),
      ]),
    };
  }
  // After the last ЗК of the leading run (schema: the dsig:* children come first in type ED).
  let at = root.end;
  for (const child of children) {
    if (!child.isSigValue) break;
    at = child.end;
  }
  return { ok: true, value: concatBytes([edBytes.subarray(0, at), element, edBytes.subarray(at)]) };
}

/**
 * Reads the ЗК of an ED: every `dsig:SigValue` that is a direct child of the root (the elements the
 * normalization skips), in document order. Fails with `SIG_MALFORMED` when the ED or a ЗК cannot be
 * read. Never throws.
 */
export function readZks(edBytes: Uint8Array): SigResult<ZkValue[]> {
  const scan = scanEd(edBytes);
  if (!scan.ok) return scan;
  const s = scan.value.text;
  const out: ZkValue[] = [];
  for (const child of scan.value.children) {
    if (!child.isSigValue) continue;
    const index = out.length;
    const text = child.tag.selfClosing ? '' : textContent(s, child.tag.end, child.contentEnd);
    if (text === undefined) return fail('SIG_MALFORMED', `ЗК #${index}: SigValue holds markup`);
    const base64 = text.replace(/[ \t\r\n]+/g, '');
    const der = decodeBase64(base64);
    if (!der) return fail('SIG_MALFORMED', `ЗК #${index}: not base64`);
    const sigIdRaw = child.tag.attrs.get('SigId');
    const sigId = sigIdRaw === undefined ? undefined : decodeEntities(sigIdRaw);
    if (sigId === null) return fail('SIG_MALFORMED', `ЗК #${index}: bad SigId`);
    out.push({ index, sigId, base64, der, start: child.start, end: child.end });
  }
  return { ok: true, value: out };
}

/**
 * Verifies every ЗК of an ED over its normalized bytes. Each ЗК must be a SignedData with exactly one
 * signer (one ЗК is one contour's signature) that passes every check of `verifyDetached`. With
 * `expectedContours`, the i-th ЗК must come from the i-th contour (`SIG_WRONG_CONTOUR`; fewer ЗК:
 * `SIG_MISSING_CONTOUR`) and no two ЗК from one certificate (`SIG_SAME_CERTIFICATE`). No ЗК at all is
 * `SIG_NO_SIGNERS`. Never throws on arbitrary bytes.
 */
export async function verifyZks(edBytes: Uint8Array, opts: VerifyZksOptions = {}): Promise<ZkReport> {
  const certificateChecks = opts.validator ? 'performed' : 'not-performed';
  const zks = readZks(edBytes);
  if (!zks.ok) return { ok: false, code: zks.code, message: zks.message, zks: [], certificateChecks };
  if (zks.value.length === 0)
    return { ok: false, code: 'SIG_NO_SIGNERS', message: 'the ED has no ЗК', zks: [], certificateChecks };
  const normalized = normalizeEd(edBytes);
  if (!normalized.ok) {
    return {
      ok: false,
      code: 'SIG_MALFORMED',
      message: `${normalized.code}: ${normalized.message}`,
      zks: [],
      certificateChecks,
    };
  }
  const verifyOpts: VerifyOptions = {};
  if (opts.validator) verifyOpts.validator = opts.validator;
  if (opts.now) verifyOpts.now = opts.now;
  if (opts.certificates) verifyOpts.certificates = opts.certificates;

  let entries: ZkEntry[] = zks.value.map((zk) => {
    const base = { index: zk.index, sigId: zk.sigId, certificate: undefined, signingTime: undefined };
    const parsed = parseSignedData(zk.der);
    if (!parsed.ok) return { ...base, ok: false, code: parsed.code, message: parsed.message };
    if (parsed.value.signers.length !== 1) {
      const code: SigFailureCode = parsed.value.signers.length === 0 ? 'SIG_NO_SIGNERS' : 'SIG_MALFORMED';
      return {
        ...base,
        ok: false,
        code,
        message: `a ЗК carries exactly one signer, not ${parsed.value.signers.length}`,
      };
    }
    const report = verifyParsed(parsed.value, normalized.value, verifyOpts);
    const signer = report.signers[0]!;
    return { ...signer, index: zk.index, sigId: zk.sigId };
  });
  let failure: { code: SigFailureCode; message: string } | undefined;
  if (opts.expectedContours) {
    const applied = applyContourRule(entries, opts.expectedContours, true);
    entries = applied.entries;
    failure = applied.failure;
  }
  const firstBad = entries.find((e) => !e.ok);
  if (firstBad || failure) {
    const reason = firstBad
      ? { code: firstBad.code!, message: `ЗК #${firstBad.index}: ${firstBad.message ?? ''}` }
      : failure!;
    return { ok: false, ...reason, zks: entries, certificateChecks };
  }
  return { ok: true, zks: entries, certificateChecks };
}

// ---------------------------------------------------------------------------------------------
// Byte-level scan of an ED. The bytes are viewed as Latin-1 (one character per byte): markup
// characters are ASCII and never part of a multi-byte UTF-8 sequence, so offsets are byte offsets
// in Windows-1251 and UTF-8 alike. Only the root and its direct children are located; nested
// elements are skipped with a name stack (well-formedness of the rest is normalization's job).
// ---------------------------------------------------------------------------------------------

interface Tag {
  /** Qualified name as written. */
  name: string;
  prefix: string;
  local: string;
  /** Attributes by qualified name, values raw (entities not resolved). */
  attrs: Map<string, string>;
  start: number;
  /** Offset just after the closing `>`. */
  end: number;
  selfClosing: boolean;
}

interface Child {
  tag: Tag;
  isSigValue: boolean;
  start: number;
  end: number;
  /** Offset of the end tag's `<` (equal to tag.end when self-closing). */
  contentEnd: number;
}

interface Scan {
  text: string;
  root: Tag;
  children: Child[];
}

/** Elements nested deeper than this are refused (bounds the name stack on hostile input). */
const MAX_DEPTH = 256;
const NAME_RE = /[^\s<>/="'!?][^\s<>/="']*/y;
const WS_RE = /[ \t\r\n]*/y;
const ATTR_RE = /([^\s<>/="']+)[ \t\r\n]*=[ \t\r\n]*("[^"<]*"|'[^'<]*')/y;

function scanEd(bytes: Uint8Array): SigResult<Scan> {
  if (!(bytes instanceof Uint8Array)) return fail('SIG_MALFORMED', 'the ED is not bytes');
  if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe)) {
    return fail('SIG_MALFORMED', 'UTF-16 is not supported: an ED is Windows-1251 or UTF-8');
  }
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const bad = (what: string) => fail('SIG_MALFORMED', `the ED cannot be read: ${what}`);
  let pos = s.startsWith('\xef\xbb\xbf') ? 3 : 0;
  // Prolog: XML declaration, comments, whitespace. No DOCTYPE (no DTD is ever processed).
  for (;;) {
    WS_RE.lastIndex = pos;
    WS_RE.exec(s);
    pos = WS_RE.lastIndex;
    if (s.startsWith('<?', pos)) {
      const e = s.indexOf('?>', pos + 2);
      if (e < 0) return bad('unterminated declaration');
      pos = e + 2;
    } else if (s.startsWith('<!--', pos)) {
      const e = s.indexOf('-->', pos + 4);
      if (e < 0) return bad('unterminated comment');
      pos = e + 3;
    } else {
      break;
    }
  }
  if (s.startsWith('<!', pos)) return bad('DOCTYPE is not allowed');
  if (s[pos] !== '<') return bad('no root element');
  const root = readTag(s, pos);
  if (!root) return bad('bad root start tag');
  const rootNs = namespaces(root, new Map());
  if (!rootNs) return bad('bad namespace declaration');
  const children: Child[] = [];
  if (root.selfClosing) return { ok: true, value: { text: s, root, children } };

  const stack: string[] = [root.name];
  let current: Tag | undefined;
  pos = root.end;
  while (stack.length > 0) {
    const lt = s.indexOf('<', pos);
    if (lt < 0) return bad('the root element is not closed');
    if (s.startsWith('<!--', lt)) {
      const e = s.indexOf('-->', lt + 4);
      if (e < 0) return bad('unterminated comment');
      pos = e + 3;
    } else if (s.startsWith('<![CDATA[', lt)) {
      const e = s.indexOf(']]>', lt + 9);
      if (e < 0) return bad('unterminated CDATA section');
      pos = e + 3;
    } else if (s.startsWith('<?', lt)) {
      const e = s.indexOf('?>', lt + 2);
      if (e < 0) return bad('unterminated processing instruction');
      pos = e + 2;
    } else if (s.startsWith('<!', lt)) {
      return bad('markup declaration inside the document');
    } else if (s[lt + 1] === '/') {
      const gt = s.indexOf('>', lt);
      if (gt < 0) return bad('unterminated end tag');
      const name = s.slice(lt + 2, gt).replace(/[ \t\r\n]+$/, '');
      if (name !== stack.pop()) return bad(`end tag </${name.slice(0, 40)}> does not match`);
      if (stack.length === 1 && current) {
        const c = child(current, rootNs, lt, gt + 1);
        if (!c) return bad('bad namespace declaration');
        children.push(c);
        current = undefined;
      }
      pos = gt + 1;
    } else {
      const tag = readTag(s, lt);
      if (!tag) return bad(`bad start tag at offset ${lt}`);
      if (stack.length === 1) {
        if (tag.selfClosing) {
          const c = child(tag, rootNs, tag.end, tag.end);
          if (!c) return bad('bad namespace declaration');
          children.push(c);
        } else {
          current = tag;
        }
      }
      if (!tag.selfClosing) {
        if (stack.length >= MAX_DEPTH) return bad('elements nested too deep');
        stack.push(tag.name);
      }
      pos = tag.end;
    }
  }
  return { ok: true, value: { text: s, root, children } };
}

function child(tag: Tag, rootNs: ReadonlyMap<string, string>, contentEnd: number, end: number): Child | undefined {
  const ns = namespaces(tag, rootNs);
  if (!ns) return undefined;
  const isSigValue = tag.local === 'SigValue' && ns.get(tag.prefix) === DSIG_NAMESPACE;
  return { tag, isSigValue, start: tag.start, end, contentEnd };
}

/** In-scope namespaces after the element's own declarations; undefined if one is malformed. */
function namespaces(tag: Tag, parent: ReadonlyMap<string, string>): Map<string, string> | undefined {
  const out = new Map(parent);
  for (const [name, raw] of tag.attrs) {
    if (name !== 'xmlns' && !name.startsWith('xmlns:')) continue;
    const uri = decodeEntities(raw);
    if (uri === null) return undefined;
    out.set(name === 'xmlns' ? '' : name.slice(6), uri);
  }
  return out;
}

function readTag(s: string, pos: number): Tag | undefined {
  NAME_RE.lastIndex = pos + 1;
  const m = NAME_RE.exec(s);
  if (!m || m.index !== pos + 1) return undefined;
  const name = m[0];
  const colon = name.indexOf(':');
  const attrs = new Map<string, string>();
  let i = NAME_RE.lastIndex;
  for (;;) {
    WS_RE.lastIndex = i;
    WS_RE.exec(s);
    const hadSpace = WS_RE.lastIndex > i;
    i = WS_RE.lastIndex;
    if (s[i] === '>' || s.startsWith('/>', i)) {
      const selfClosing = s[i] === '/';
      return {
        name,
        prefix: colon < 0 ? '' : name.slice(0, colon),
        local: colon < 0 ? name : name.slice(colon + 1),
        attrs,
        start: pos,
        end: i + (selfClosing ? 2 : 1),
        selfClosing,
      };
    }
    if (!hadSpace) return undefined;
    ATTR_RE.lastIndex = i;
    const a = ATTR_RE.exec(s);
    if (!a || attrs.has(a[1]!)) return undefined;
    attrs.set(a[1]!, a[2]!.slice(1, -1));
    i = ATTR_RE.lastIndex;
  }
}

const REFERENCE_RE = /^(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(amp|lt|gt|quot|apos));/;
const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML 1.0 production Char. */
function isXmlChar(c: number): boolean {
  return (
    c === 0x9 ||
    c === 0xa ||
    c === 0xd ||
    (c >= 0x20 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd) ||
    (c >= 0x10000 && c <= 0x10ffff)
  );
}

/** Resolves the predefined entities and character references; null on any other `&` (no DTD, so no other entity exists). */
function decodeEntities(raw: string): string | null {
  if (!raw.includes('&')) return raw;
  const parts = raw.split('&');
  let out = parts[0]!;
  for (const part of parts.slice(1)) {
    const m = REFERENCE_RE.exec(part);
    if (!m) return null;
    if (m[3]) {
      out += NAMED[m[3]]!;
    } else {
      const code = m[1] ? Number.parseInt(m[1], 16) : Number.parseInt(m[2]!, 10);
      if (!isXmlChar(code)) return null;
      out += String.fromCodePoint(code);
    }
    out += part.slice(m[0].length);
  }
  return out;
}

/** Text of a simple-content element: character data and CDATA, comments skipped; undefined if it holds elements. */
function textContent(s: string, from: number, to: number): string | undefined {
  let out = '';
  let pos = from;
  while (pos < to) {
    const lt = s.indexOf('<', pos);
    const stop = lt < 0 || lt > to ? to : lt;
    const chunk = decodeEntities(s.slice(pos, stop));
    if (chunk === null) return undefined;
    out += chunk;
    if (stop === to) break;
    // Only comments and CDATA sections may sit in simple content; an element start is markup.
    const comment = s.startsWith('<!--', lt);
    const cdata = !comment && s.startsWith('<![CDATA[', lt);
    const e = comment ? s.indexOf('-->', lt + 4) : cdata ? s.indexOf(']]>', lt + 9) : -1;
    if (e < 0 || e + 3 > to) return undefined;
    if (cdata) out += s.slice(lt + 9, e);
    pos = e + 3;
  }
  return out;
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length === 0 || !BASE64_RE.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
