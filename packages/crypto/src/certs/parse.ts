import { createHash, type KeyObject } from 'node:crypto';
import type { KeyUsageName } from './contour.js';
import {
  bitStringBytes,
  children,
  content,
  contextTag,
  decodeOid,
  decodeTime,
  encoding,
  integerHex,
  readWhole,
  smallInteger,
  TAG,
  type Tlv,
} from './der.js';
import { formatName } from './name.js';
import { publicKeyFromSpki, type RawAlgorithm } from './signature.js';

/** Certificates larger than this are refused unread (inputs are size-capped, STYLE.md). */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

/** One extension as carried in the certificate. */
export interface ParsedExtension {
  oid: string;
  critical: boolean;
  /** The content of extnValue (the DER of the extension's own value). */
  value: Uint8Array;
}

/** A certificate read once: the raw pieces signature checks need, and the decoded fields. */
export interface ParsedCertificate {
  der: Uint8Array;
  /** SHA-256 of the DER, lowercase hex. */
  thumbprint: string;
  /** The exact tbsCertificate bytes the issuer signed. */
  tbs: Uint8Array;
  signatureAlgorithm: RawAlgorithm;
  signature: Uint8Array;
  /** 1, 2 or 3. */
  version: number;
  /** Lowercase hex without leading zeros. */
  serialNumber: string;
  issuerDer: Uint8Array;
  subjectDer: Uint8Array;
  /** RFC 4514. */
  issuer: string;
  /** RFC 4514. */
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
  /** The public key, when node:crypto can load it (not for GOST without a provider). */
  publicKey: KeyObject | undefined;
  /** E.g. "ECDSA P-256", "RSA 2048", or the key algorithm OID. */
  keyAlgorithm: string;
  extensions: readonly ParsedExtension[];
  /** Undefined when the certificate has no keyUsage extension. */
  keyUsage: readonly KeyUsageName[] | undefined;
  basicConstraints: { ca: boolean; pathLength?: number } | undefined;
  /** certificatePolicies policy OIDs, in order. */
  policies: readonly string[];
  /** extKeyUsage OIDs; undefined when absent. */
  extendedKeyUsage: readonly string[] | undefined;
  subjectKeyId: Uint8Array | undefined;
  authorityKeyId: Uint8Array | undefined;
}

/** Extension OIDs. */
export const EXT = {
  SUBJECT_KEY_ID: '2.5.29.14',
  KEY_USAGE: '2.5.29.15',
  SUBJECT_ALT_NAME: '2.5.29.17',
  BASIC_CONSTRAINTS: '2.5.29.19',
  CRL_NUMBER: '2.5.29.20',
  REASON_CODE: '2.5.29.21',
  INVALIDITY_DATE: '2.5.29.24',
  CERTIFICATE_POLICIES: '2.5.29.32',
  AUTHORITY_KEY_ID: '2.5.29.35',
  EXT_KEY_USAGE: '2.5.29.37',
} as const;

const KEY_USAGE_BITS: readonly KeyUsageName[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

const CURVES: Readonly<Record<string, string>> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
};

const NATIVE_KEY_OIDS = new Set(['1.2.840.10045.2.1', '1.2.840.113549.1.1.1', '1.3.101.112']);

type Fail = { ok: false; code: 'SIG_CERT_MALFORMED'; message: string };
const fail = (message: string): Fail => ({ ok: false, code: 'SIG_CERT_MALFORMED', message });

/** Lowercase hex SHA-256 of the bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads an AlgorithmIdentifier TLV. */
export function readAlgorithm(buf: Uint8Array, t: Tlv): RawAlgorithm | undefined {
  if (t.tag !== TAG.SEQUENCE) return undefined;
  const parts = children(buf, t);
  if (!parts || parts.length < 1 || parts.length > 2 || parts[0]!.tag !== TAG.OID) return undefined;
  const oid = decodeOid(content(buf, parts[0]!));
  if (oid === undefined) return undefined;
  return parts[1] ? { oid, parameters: encoding(buf, parts[1]) } : { oid };
}

function describeKey(spki: Uint8Array, key: KeyObject | undefined): string | undefined {
  const root = readWhole(spki, TAG.SEQUENCE);
  const parts = root && children(spki, root);
  if (parts?.length !== 2 || parts[1]!.tag !== TAG.BIT_STRING) return undefined;
  const alg = readAlgorithm(spki, parts[0]!);
  if (!alg) return undefined;
  if (NATIVE_KEY_OIDS.has(alg.oid) && !key) return undefined;
  switch (alg.oid) {
    case '1.2.840.10045.2.1': {
      const p = alg.parameters;
      const curveTlv = p && readWhole(p, TAG.OID);
      const curve = curveTlv ? decodeOid(content(p, curveTlv)) : undefined;
      return `ECDSA ${(curve && CURVES[curve]) ?? curve ?? 'explicit-curve'}`;
    }
    case '1.2.840.113549.1.1.1':
      return `RSA ${key?.asymmetricKeyDetails?.modulusLength ?? '?'}`;
    case '1.3.101.112':
      return 'Ed25519';
    case '1.2.643.7.1.1.1.1':
      return 'GOST R 34.10-2012 256';
    case '1.2.643.7.1.1.1.2':
      return 'GOST R 34.10-2012 512';
    default:
      return alg.oid;
  }
}

function readExtensions(buf: Uint8Array, t: Tlv): ParsedExtension[] | undefined {
  const seq = children(buf, t);
  if (seq?.length !== 1) return undefined;
  return readExtensionSequence(buf, seq[0]!);
}

/** Reads `Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension`, refusing duplicates (RFC 5280 4.2). */
export function readExtensionSequence(buf: Uint8Array, t: Tlv): ParsedExtension[] | undefined {
  if (t.tag !== TAG.SEQUENCE) return undefined;
  const list = children(buf, t);
  if (!list || list.length === 0) return undefined;
  const out: ParsedExtension[] = [];
  const seen = new Set<string>();
  for (const e of list) {
    if (e.tag !== TAG.SEQUENCE) return undefined;
    const f = children(buf, e);
    if (!f || f.length < 2 || f.length > 3 || f[0]!.tag !== TAG.OID) return undefined;
    const oid = decodeOid(content(buf, f[0]!));
    if (oid === undefined || seen.has(oid)) return undefined; // RFC 5280 4.2: at most one instance each
    seen.add(oid);
    let critical = false;
    if (f.length === 3) {
      const b = content(buf, f[1]!);
      if (f[1]!.tag !== TAG.BOOLEAN || b.length !== 1 || (b[0] !== 0 && b[0] !== 0xff)) return undefined;
      critical = b[0] === 0xff;
    }
    const v = f[f.length - 1]!;
    if (v.tag !== TAG.OCTET_STRING) return undefined;
    out.push({ oid, critical, value: content(buf, v) });
  }
  return out;
}

/** Decodes a keyUsage extension value to usage names. */
export function decodeKeyUsage(value: Uint8Array): KeyUsageName[] | undefined {
  const t = readWhole(value, TAG.BIT_STRING);
  const bits = t && bitStringBytes(content(value, t), true);
  if (!bits) return undefined;
  const out: KeyUsageName[] = [];
  KEY_USAGE_BITS.forEach((name, i) => {
    const byte = bits[i >> 3];
    if (byte !== undefined && (byte & (0x80 >> (i & 7))) !== 0) out.push(name);
  });
  return out;
}

function decodeBasicConstraints(value: Uint8Array): { ca: boolean; pathLength?: number } | undefined {
  const t = readWhole(value, TAG.SEQUENCE);
  const f = t && children(value, t);
  if (!f || f.length > 2) return undefined;
  let ca = false;
  let i = 0;
  if (f[0]?.tag === TAG.BOOLEAN) {
    const b = content(value, f[0]);
    if (b.length !== 1 || (b[0] !== 0 && b[0] !== 0xff)) return undefined;
    ca = b[0] === 0xff;
    i = 1;
  }
  const pl = f[i];
  if (pl) {
    if (pl.tag !== TAG.INTEGER || i + 1 !== f.length) return undefined;
    const n = smallInteger(content(value, pl));
    if (n === undefined) return undefined;
    return { ca, pathLength: n };
  }
  return i === f.length ? { ca } : undefined;
}

function decodeOidSequence(value: Uint8Array, wrapped: boolean): string[] | undefined {
  const t = readWhole(value, TAG.SEQUENCE);
  const items = t && children(value, t);
  if (!items || items.length === 0) return undefined;
  const out: string[] = [];
  for (const item of items) {
    let oidTlv: Tlv | undefined = item;
    if (wrapped) {
      // PolicyInformation ::= SEQUENCE { policyIdentifier, policyQualifiers OPTIONAL }
      const f = item.tag === TAG.SEQUENCE ? children(value, item) : undefined;
      if (!f || f.length < 1 || f.length > 2) return undefined;
      oidTlv = f[0];
    }
    if (!oidTlv || oidTlv.tag !== TAG.OID) return undefined;
    const oid = decodeOid(content(value, oidTlv));
    if (oid === undefined) return undefined;
    out.push(oid);
  }
  return out;
}

function decodeKeyId(value: Uint8Array, authority: boolean): Uint8Array | undefined | null {
  if (!authority) {
    const t = readWhole(value, TAG.OCTET_STRING);
    return t ? content(value, t) : null;
  }
  const t = readWhole(value, TAG.SEQUENCE);
  const f = t && children(value, t);
  if (!f) return null;
  const kid = f.find((x) => x.tag === contextTag(0, false));
  return kid ? content(value, kid) : undefined;
}

/**
 * Parses a DER certificate. Never throws: anything that is not a well-formed X.509 v1–v3
 * certificate in DER comes back as `SIG_CERT_MALFORMED`.
 */
export function parseCertificate(input: Uint8Array): { ok: true; value: ParsedCertificate } | Fail {
  if (!(input instanceof Uint8Array)) return fail('not bytes');
  if (input.length > MAX_CERTIFICATE_BYTES) return fail('certificate too large');
  const der = new Uint8Array(input);
  const root = readWhole(der, TAG.SEQUENCE);
  const top = root && children(der, root);
  if (top?.length !== 3) return fail('not a Certificate SEQUENCE');
  const [tbsT, algT, sigT] = top as [Tlv, Tlv, Tlv];
  if (tbsT.tag !== TAG.SEQUENCE || sigT.tag !== TAG.BIT_STRING) return fail('bad Certificate structure');
  const signatureAlgorithm = readAlgorithm(der, algT);
  const signature = bitStringBytes(content(der, sigT));
  if (!signatureAlgorithm || !signature) return fail('bad signature fields');

  const f = children(der, tbsT);
  if (!f) return fail('bad tbsCertificate');
  let i = 0;
  let version = 1;
  if (f[0]?.tag === contextTag(0, true)) {
    const v = children(der, f[0]);
    const n = v && v.length === 1 && v[0]!.tag === TAG.INTEGER ? smallInteger(content(der, v[0]!)) : undefined;
    // DER: the default v1 is never encoded explicitly.
    if (n === undefined || n < 1 || n > 2) return fail('bad version');
    version = n + 1;
    i = 1;
  }
  const serialT = f[i];
  const innerAlgT = f[i + 1];
  const issuerT = f[i + 2];
  const validityT = f[i + 3];
  const subjectT = f[i + 4];
  const spkiT = f[i + 5];
  if (!serialT || !innerAlgT || !issuerT || !validityT || !subjectT || !spkiT) return fail('tbsCertificate too short');
  if (serialT.tag !== TAG.INTEGER) return fail('bad serial number');
  const serialNumber = integerHex(content(der, serialT));
  if (serialNumber === undefined) return fail('bad serial number');
  // RFC 5280 4.1.1.2: the outer signatureAlgorithm is not signed, so it must equal the signed one.
  if (!Buffer.from(encoding(der, innerAlgT)).equals(encoding(der, algT))) return fail('signature algorithm mismatch');
  if (issuerT.tag !== TAG.SEQUENCE || subjectT.tag !== TAG.SEQUENCE || spkiT.tag !== TAG.SEQUENCE) {
    return fail('bad name or key fields');
  }
  const validity = validityT.tag === TAG.SEQUENCE ? children(der, validityT) : undefined;
  if (validity?.length !== 2) return fail('bad validity');
  const notBefore = decodeTime(validity[0]!.tag, content(der, validity[0]!));
  const notAfter = decodeTime(validity[1]!.tag, content(der, validity[1]!));
  if (!notBefore || !notAfter) return fail('bad validity time');

  let extensions: ParsedExtension[] = [];
  for (let j = i + 6; j < f.length; j++) {
    const t = f[j]!;
    if (t.tag === contextTag(1, false) || t.tag === contextTag(2, false)) {
      if (version < 2) return fail('unique identifiers need v2');
      continue;
    }
    if (t.tag === contextTag(3, true) && j === f.length - 1) {
      if (version !== 3) return fail('extensions need v3');
      const e = readExtensions(der, t);
      if (!e) return fail('bad extensions');
      extensions = e;
      continue;
    }
    return fail('unexpected field in tbsCertificate');
  }

  const issuerDer = encoding(der, issuerT);
  const subjectDer = encoding(der, subjectT);
  const issuer = formatName(issuerDer);
  const subject = formatName(subjectDer);
  if (issuer === undefined || subject === undefined) return fail('bad name');
  const spki = encoding(der, spkiT);
  const publicKey = publicKeyFromSpki(spki);
  const keyAlgorithm = describeKey(spki, publicKey);
  if (keyAlgorithm === undefined) return fail('bad subjectPublicKeyInfo');

  let keyUsage: KeyUsageName[] | undefined;
  let basicConstraints: { ca: boolean; pathLength?: number } | undefined;
  let policies: string[] = [];
  let extendedKeyUsage: string[] | undefined;
  let subjectKeyId: Uint8Array | undefined;
  let authorityKeyId: Uint8Array | undefined;
  for (const e of extensions) {
    switch (e.oid) {
      case EXT.KEY_USAGE:
        keyUsage = decodeKeyUsage(e.value);
        if (!keyUsage) return fail('bad keyUsage');
        break;
      case EXT.BASIC_CONSTRAINTS:
        basicConstraints = decodeBasicConstraints(e.value);
        if (!basicConstraints) return fail('bad basicConstraints');
        break;
      case EXT.CERTIFICATE_POLICIES: {
        const p = decodeOidSequence(e.value, true);
        if (!p) return fail('bad certificatePolicies');
        policies = p;
        break;
      }
      case EXT.EXT_KEY_USAGE:
        extendedKeyUsage = decodeOidSequence(e.value, false);
        if (!extendedKeyUsage) return fail('bad extKeyUsage');
        break;
      case EXT.SUBJECT_KEY_ID: {
        const k = decodeKeyId(e.value, false);
        if (k === null) return fail('bad subjectKeyIdentifier');
        subjectKeyId = k;
        break;
      }
      case EXT.AUTHORITY_KEY_ID: {
        const k = decodeKeyId(e.value, true);
        if (k === null) return fail('bad authorityKeyIdentifier');
        authorityKeyId = k;
        break;
      }
      default:
        break;
    }
  }

  return {
    ok: true,
    value: {
      der,
      thumbprint: sha256Hex(der),
      tbs: encoding(der, tbsT),
      signatureAlgorithm,
      signature,
      version,
      serialNumber,
      issuerDer,
      subjectDer,
      issuer,
      subject,
      notBefore,
      notAfter,
      spki,
      publicKey,
      keyAlgorithm,
      extensions,
      keyUsage,
      basicConstraints,
      policies,
      extendedKeyUsage,
      subjectKeyId,
      authorityKeyId,
    },
  };
}
