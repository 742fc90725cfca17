/**
 * Reads a CMS ContentInfo(SignedData) (RFC 5652 §5) into offsets and raw slices, without an object
 * model: every SignerInfo, certificate and signed-attributes block is kept exactly as found, so a
 * signature is checked over the bytes that were signed and a co-signature never re-encodes what is
 * already there. Never throws on arbitrary bytes: anything that is not SignedData is `SIG_MALFORMED`.
 */
import type { AlgorithmId } from '../types.js';
import {
  content,
  decodeOid,
  decodeSmallInteger,
  decodeTime,
  readChildren,
  readSingle,
  slice,
  TAG,
  type Tlv,
} from './der.js';
import { OID } from './oids.js';
import { fail, type SigResult } from './result.js';

/** How a SignerInfo names its certificate (RFC 5652 §5.3 SignerIdentifier). */
export type SignerIdentifier =
  | {
      kind: 'issuerAndSerialNumber';
      /** Issuer Name, DER as written. */
      issuer: Uint8Array;
      /** Serial number INTEGER content octets as written. */
      serialNumber: Uint8Array;
    }
  | { kind: 'subjectKeyIdentifier'; keyIdentifier: Uint8Array };

/** One attribute: its type and the raw DER of each value. */
export interface RawAttribute {
  oid: string;
  values: Uint8Array[];
}

/** An algorithm identifier as found, with its raw DER. */
export interface ParsedAlgorithmId extends AlgorithmId {
  /** The whole AlgorithmIdentifier, DER as written. */
  raw: Uint8Array;
}

/** One SignerInfo, with the raw bytes that matter for verification and co-signing. */
export interface ParsedSignerInfo {
  /** Position in the signerInfos SET, from 0. */
  index: number;
  /** The whole SignerInfo as found (kept byte for byte by `addSigner`). */
  raw: Uint8Array;
  version: number;
  sid: SignerIdentifier;
  digestAlgorithm: ParsedAlgorithmId;
  /**
   * The signed attributes exactly as found, starting with their [0] IMPLICIT tag (0xA0). The signature
   * covers these bytes with the tag replaced by SET (0x31) (RFC 5652 §5.4). Undefined when absent.
   */
  signedAttrs: Uint8Array | undefined;
  /** The signed attributes, decoded one level (type and raw values). */
  signedAttributes: RawAttribute[];
  signatureAlgorithm: ParsedAlgorithmId;
  /** The signature value (content of the OCTET STRING). */
  signature: Uint8Array;
  /** The unsigned attributes as found ([1] IMPLICIT), if any. */
  unsignedAttrs: Uint8Array | undefined;
  /** The contentType attribute's OID, when present with exactly one well-formed value. */
  contentType: string | undefined;
  /** The messageDigest attribute's octets, when present with exactly one well-formed value. */
  messageDigest: Uint8Array | undefined;
  /** The signingTime attribute, when present with exactly one well-formed value. */
  signingTime: Date | undefined;
}

/** A parsed SignedData. Byte arrays are views into the input. */
export interface ParsedSignedData {
  version: number;
  /** The raw version INTEGER. */
  versionRaw: Uint8Array;
  digestAlgorithms: ParsedAlgorithmId[];
  /** encapContentInfo.eContentType. */
  eContentType: string;
  /** The attached content, if the SignedData is not detached. */
  eContent: Uint8Array | undefined;
  /** The whole EncapsulatedContentInfo as found. */
  encapContentInfo: Uint8Array;
  /** Every CertificateChoices element as found (X.509 certificates are the ones starting with 0x30). */
  certificates: Uint8Array[];
  /** The [1] IMPLICIT crls field as found, if present. */
  crls: Uint8Array | undefined;
  signers: ParsedSignerInfo[];
}

const malformed = (what: string) => fail('SIG_MALFORMED', `not a CMS SignedData: ${what}`);

/** Parses DER (or BER) ContentInfo(SignedData). Never throws; anything else is `SIG_MALFORMED`. */
export function parseSignedData(der: Uint8Array): SigResult<ParsedSignedData> {
  if (!(der instanceof Uint8Array)) return malformed('input is not bytes');
  const ci = readSingle(der);
  if (!ci || ci.tag !== TAG.SEQUENCE) return malformed('no ContentInfo SEQUENCE');
  const ciFields = readChildren(der, ci);
  if (ciFields?.length !== 2 || ciFields[0]!.tag !== TAG.OID || ciFields[1]!.tag !== TAG.CONTEXT_0) {
    return malformed('bad ContentInfo');
  }
  if (decodeOid(content(der, ciFields[0]!)) !== OID.signedData) return malformed('contentType is not signedData');
  const explicit = readChildren(der, ciFields[1]!);
  if (explicit?.length !== 1 || explicit[0]!.tag !== TAG.SEQUENCE) return malformed('bad [0] content');
  const sd = readChildren(der, explicit[0]!);
  if (!sd || sd.length < 4) return malformed('SignedData too short');
  const [versionTlv, digestSet, encap] = sd as [Tlv, Tlv, Tlv];
  const signerSet = sd[sd.length - 1]!;
  if (
    versionTlv.tag !== TAG.INTEGER ||
    digestSet.tag !== TAG.SET ||
    encap.tag !== TAG.SEQUENCE ||
    signerSet.tag !== TAG.SET
  ) {
    return malformed('bad SignedData fields');
  }
  const version = decodeSmallInteger(content(der, versionTlv));
  if (version === undefined) return malformed('bad version');

  const digestAlgorithms: ParsedAlgorithmId[] = [];
  for (const alg of readChildren(der, digestSet) ?? [null]) {
    const parsed = alg && parseAlgorithmId(der, alg);
    if (!parsed) return malformed('bad digestAlgorithms');
    digestAlgorithms.push(parsed);
  }

  const encapFields = readChildren(der, encap);
  if (!encapFields || encapFields.length < 1 || encapFields.length > 2 || encapFields[0]!.tag !== TAG.OID) {
    return malformed('bad encapContentInfo');
  }
  const eContentType = decodeOid(content(der, encapFields[0]!));
  if (!eContentType) return malformed('bad eContentType');
  let eContent: Uint8Array | undefined;
  if (encapFields[1]) {
    const octets = encapFields[1].tag === TAG.CONTEXT_0 ? readEContent(der, encapFields[1]) : undefined;
    if (!octets) return malformed('bad eContent');
    eContent = octets;
  }

  let certificates: Uint8Array[] = [];
  let crls: Uint8Array | undefined;
  const middle = sd.slice(3, -1);
  for (const field of middle) {
    if (field.tag === TAG.CONTEXT_0 && certificates.length === 0 && crls === undefined) {
      const choices = readChildren(der, field);
      if (!choices) return malformed('bad certificates');
      certificates = choices.map((c) => slice(der, c));
    } else if (field.tag === TAG.CONTEXT_1 && crls === undefined) {
      crls = slice(der, field);
    } else {
      return malformed('unexpected field in SignedData');
    }
  }

  const signerTlvs = readChildren(der, signerSet);
  if (!signerTlvs) return malformed('bad signerInfos');
  const signers: ParsedSignerInfo[] = [];
  for (const [index, tlv] of signerTlvs.entries()) {
    const signer = parseSignerInfo(der, tlv, index);
    if (!signer) return malformed(`bad SignerInfo #${index}`);
    signers.push(signer);
  }

  return {
    ok: true,
    value: {
      version,
      versionRaw: slice(der, versionTlv),
      digestAlgorithms,
      eContentType,
      eContent,
      encapContentInfo: slice(der, encap),
      certificates,
      crls,
      signers,
    },
  };
}

/** eContent [0] EXPLICIT OCTET STRING; BER may split it into a constructed OCTET STRING of segments. */
function readEContent(der: Uint8Array, wrapper: Tlv): Uint8Array | undefined {
  const inner = readChildren(der, wrapper);
  if (inner?.length !== 1) return undefined;
  const octets = inner[0]!;
  if (octets.tag === TAG.OCTET_STRING) return content(der, octets);
  if (octets.tag !== (TAG.OCTET_STRING | 0x20)) return undefined;
  const parts = readChildren(der, octets);
  if (!parts || parts.some((p) => p.tag !== TAG.OCTET_STRING)) return undefined;
  return Buffer.concat(parts.map((p) => content(der, p)));
}

function parseAlgorithmId(der: Uint8Array, tlv: Tlv): ParsedAlgorithmId | undefined {
  if (tlv.tag !== TAG.SEQUENCE) return undefined;
  const fields = readChildren(der, tlv);
  if (!fields || fields.length < 1 || fields.length > 2 || fields[0]!.tag !== TAG.OID) return undefined;
  const oid = decodeOid(content(der, fields[0]!));
  if (!oid) return undefined;
  const raw = slice(der, tlv);
  return fields[1] ? { oid, parameters: slice(der, fields[1]), raw } : { oid, raw };
}

function parseSignerInfo(der: Uint8Array, tlv: Tlv, index: number): ParsedSignerInfo | undefined {
  if (tlv.tag !== TAG.SEQUENCE) return undefined;
  const f = readChildren(der, tlv);
  if (!f || f.length < 5) return undefined;
  const version = f[0]!.tag === TAG.INTEGER ? decodeSmallInteger(content(der, f[0]!)) : undefined;
  if (version === undefined) return undefined;
  const sid = parseSid(der, f[1]!);
  const digestAlgorithm = parseAlgorithmId(der, f[2]!);
  if (!sid || !digestAlgorithm) return undefined;
  let i = 3;
  let signedAttrs: Uint8Array | undefined;
  let signedAttributes: RawAttribute[] = [];
  if (f[i]?.tag === TAG.CONTEXT_0) {
    const attrs = parseAttributes(der, f[i]!);
    if (!attrs) return undefined;
    signedAttrs = slice(der, f[i]!);
    signedAttributes = attrs;
    i++;
  }
  const signatureAlgorithm = f[i] && parseAlgorithmId(der, f[i]!);
  const signatureTlv = f[i + 1];
  if (!signatureAlgorithm || signatureTlv?.tag !== TAG.OCTET_STRING) return undefined;
  i += 2;
  let unsignedAttrs: Uint8Array | undefined;
  if (f[i]?.tag === TAG.CONTEXT_1) {
    if (!parseAttributes(der, f[i]!)) return undefined;
    unsignedAttrs = slice(der, f[i]!);
    i++;
  }
  if (i !== f.length) return undefined;
  return {
    index,
    raw: slice(der, tlv),
    version,
    sid,
    digestAlgorithm,
    signedAttrs,
    signedAttributes,
    signatureAlgorithm,
    signature: content(der, signatureTlv),
    unsignedAttrs,
    contentType: singleValue(signedAttributes, OID.contentType, (v) => {
      const t = readSingle(v);
      return t?.tag === TAG.OID ? decodeOid(content(v, t)) : undefined;
    }),
    messageDigest: singleValue(signedAttributes, OID.messageDigest, (v) => {
      const t = readSingle(v);
      return t?.tag === TAG.OCTET_STRING ? content(v, t) : undefined;
    }),
    signingTime: singleValue(signedAttributes, OID.signingTime, (v) => {
      const t = readSingle(v);
      return t ? decodeTime(v, t) : undefined;
    }),
  };
}

/** The value of an attribute that must occur once with one value (RFC 5652 §11); undefined otherwise. */
function singleValue<T>(attrs: RawAttribute[], oid: string, decode: (v: Uint8Array) => T | undefined): T | undefined {
  const found = attrs.filter((a) => a.oid === oid);
  if (found.length !== 1 || found[0]!.values.length !== 1) return undefined;
  return decode(found[0]!.values[0]!);
}

function parseSid(der: Uint8Array, tlv: Tlv): SignerIdentifier | undefined {
  if (tlv.tag === TAG.SEQUENCE) {
    const f = readChildren(der, tlv);
    if (f?.length !== 2 || f[0]!.tag !== TAG.SEQUENCE || f[1]!.tag !== TAG.INTEGER) return undefined;
    if (!readChildren(der, f[0]!)) return undefined;
    return { kind: 'issuerAndSerialNumber', issuer: slice(der, f[0]!), serialNumber: content(der, f[1]!) };
  }
  if (tlv.tag === TAG.CONTEXT_PRIMITIVE_0) {
    return { kind: 'subjectKeyIdentifier', keyIdentifier: content(der, tlv) };
  }
  return undefined;
}

/** Parses a SET OF Attribute (any tag on the set itself). */
export function parseAttributes(der: Uint8Array, set: Tlv): RawAttribute[] | undefined {
  const items = readChildren(der, set);
  if (!items) return undefined;
  const out: RawAttribute[] = [];
  for (const item of items) {
    const f = item.tag === TAG.SEQUENCE ? readChildren(der, item) : undefined;
    if (f?.length !== 2 || f[0]!.tag !== TAG.OID || f[1]!.tag !== TAG.SET) return undefined;
    const oid = decodeOid(content(der, f[0]!));
    const values = readChildren(der, f[1]!);
    if (!oid || !values) return undefined;
    out.push({ oid, values: values.map((v) => slice(der, v)) });
  }
  return out;
}
