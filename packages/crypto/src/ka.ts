/**
 * КА (код аутентификации) — NOTES.md, "Signatures inside UFEBS": the signature of a whole file (an
 * ED or a PacketEPD). The file bytes are signed (detached CMS) and wrapped as `sen:SigEnvelope`
 * (urn:cbr-ru:dsig:env:v1.1) holding `sen:SigContainer/dsig:MACValue` (base64 CMS) and `sen:Object`
 * (base64 of the file), per cbr_dsig_env_v1.1.0.xsd.
 */
import { DSIG_ENV_NAMESPACE, DSIG_NAMESPACE, parseXml, type Result, type XmlElement } from '@twincontour/ufebs';
import { signDetached } from './cms/sign.js';
import { type VerifyOptions, type VerifyReport, verifyDetached } from './cms/verify.js';
import type { SigFailureCode, Signer } from './types.js';

/** Options of `wrapEnvelope`. */
export interface WrapOptions {
  /** Encoding named in the XML declaration (default windows-1251, the UFEBS encoding). The envelope is ASCII either way. */
  encoding?: 'windows-1251' | 'utf-8';
  /** signingTime of the CMS (default: now). */
  signingTime?: Date;
}

/** Options of `unwrapEnvelope`. */
export interface UnwrapOptions {
  /** Largest envelope accepted, in bytes (default 64 MiB: a large PacketEPD grows by 4/3 in base64). */
  maxBytes?: number;
}

/** The default cap on an envelope's size. */
export const DEFAULT_ENVELOPE_MAX_BYTES = 64 * 1024 * 1024;

/** The verdict on an envelope: ok only when it could be read and its signature verified. */
export type EnvelopeVerification =
  | { ok: true; file: Uint8Array; report: VerifyReport }
  | { ok: false; code: string; message: string; report?: VerifyReport };

/**
 * Signs the whole `fileBytes` (detached CMS) and returns the `sen:SigEnvelope` XML, with an XML
 * declaration naming `encoding`. Throws `SignerError` only for a misconfigured signer.
 */
export async function wrapEnvelope(fileBytes: Uint8Array, signer: Signer, opts: WrapOptions = {}): Promise<Uint8Array> {
  const cms = await signDetached(fileBytes, signer, opts.signingTime ? { signingTime: opts.signingTime } : {});
  const xml =
    `<?xml version="1.0" encoding="${opts.encoding ?? 'windows-1251'}"?>\n` +
    `<sen:SigEnvelope xmlns:sen="${DSIG_ENV_NAMESPACE}" xmlns:dsig="${DSIG_NAMESPACE}">` +
    `<sen:SigContainer><dsig:MACValue>${Buffer.from(cms).toString('base64')}</dsig:MACValue></sen:SigContainer>` +
    `<sen:Object>${Buffer.from(fileBytes).toString('base64')}</sen:Object>` +
    '</sen:SigEnvelope>\n';
  // Only ASCII characters are written, so these bytes are the same in Windows-1251 and UTF-8.
  return new Uint8Array(Buffer.from(xml, 'latin1'));
}

/**
 * Reads a `sen:SigEnvelope`: the signed file and the CMS (MACValue), both decoded from base64.
 * Uses the safe UFEBS XML reader (no DTD, size and depth caps): its `UFEBS_XML_*` codes pass
 * through; a structure other than the schema's is `SIG_MALFORMED`. Never throws.
 */
export function unwrapEnvelope(
  bytes: Uint8Array,
  opts: UnwrapOptions = {},
): Result<{ file: Uint8Array; mac: Uint8Array }> {
  const doc = parseXml(bytes, {
    maxBytes: opts.maxBytes ?? DEFAULT_ENVELOPE_MAX_BYTES,
    // The envelope is three levels deep with four elements; anything bigger is not an envelope.
    maxDepth: 4,
    maxElements: 8,
  });
  if (!doc.ok) return doc;
  const bad = (what: string) => ({
    ok: false as const,
    code: 'SIG_MALFORMED' satisfies SigFailureCode,
    message: `not a КА envelope: ${what}`,
  });
  const root = doc.value.root;
  if (!is(root, DSIG_ENV_NAMESPACE, 'SigEnvelope')) return bad('the root is not sen:SigEnvelope');
  const parts = elementChildren(root);
  if (!parts) return bad('text in SigEnvelope');
  const [container, object] = parts;
  if (parts.length !== 2 || !container || !object) return bad('SigEnvelope must hold SigContainer and Object');
  if (!is(container, DSIG_ENV_NAMESPACE, 'SigContainer')) return bad('SigContainer expected first');
  if (!is(object, DSIG_ENV_NAMESPACE, 'Object')) return bad('Object expected second');
  const inner = elementChildren(container);
  const macValue = inner?.[0];
  if (inner?.length !== 1 || !macValue || !is(macValue, DSIG_NAMESPACE, 'MACValue')) {
    return bad('SigContainer must hold one dsig:MACValue');
  }
  const mac = base64Content(macValue);
  if (!mac) return bad('MACValue is not base64');
  const file = base64Content(object);
  if (!file) return bad('Object is not base64');
  return { ok: true, value: { file, mac } };
}

/**
 * Reads an envelope and verifies its КА over the enclosed file (every signer, with the certificate
 * checks of `opts.validator`). `ok` only when both succeed; the report is returned either way once
 * the envelope could be read.
 */
export async function verifyEnvelope(
  bytes: Uint8Array,
  opts: VerifyOptions & UnwrapOptions = {},
): Promise<EnvelopeVerification> {
  const unwrapped = unwrapEnvelope(bytes, opts.maxBytes === undefined ? {} : { maxBytes: opts.maxBytes });
  if (!unwrapped.ok) return { ok: false, code: unwrapped.code, message: unwrapped.message };
  const { file, mac } = unwrapped.value;
  const report = await verifyDetached(mac, file, opts);
  if (!report.ok) return { ok: false, code: report.code!, message: report.message ?? '', report };
  return { ok: true, file, report };
}

function is(el: XmlElement, uri: string, local: string): boolean {
  return el.uri === uri && el.local === local;
}

/** Element children; undefined when there is non-whitespace text among them. */
function elementChildren(el: XmlElement): XmlElement[] | undefined {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.type === 'element') out.push(c);
    else if (!/^[ \t\r\n]*$/.test(c.value)) return undefined;
  }
  return out;
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** xs:base64Binary content (whitespace allowed between characters); undefined if not base64 or if it holds elements. */
function base64Content(el: XmlElement): Uint8Array | undefined {
  let text = '';
  for (const c of el.children) {
    if (c.type === 'element') return undefined;
    text += c.value;
  }
  text = text.replace(/[ \t\r\n]+/g, '');
  if (!BASE64_RE.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64'));
}
