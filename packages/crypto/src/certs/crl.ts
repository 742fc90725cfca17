import type { Result } from '@twincontour/ufebs';
import {
  bitStringBytes,
  children,
  content,
  contextTag,
  decodeTime,
  encoding,
  integerHex,
  readWhole,
  smallInteger,
  TAG,
  type Tlv,
} from './der.js';
import { formatName } from './name.js';
import { EXT, type ParsedExtension, readAlgorithm, readExtensionSequence, sha256Hex } from './parse.js';
import type { RawAlgorithm } from './signature.js';

/** CRLs larger than this are refused unread. */
export const MAX_CRL_BYTES = 32 * 1024 * 1024;

/** RFC 5280 5.3.1 reason codes. */
export const CRL_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

/** One revoked certificate as listed on a CRL. */
export interface RevokedEntry {
  revocationDate: Date;
  /** RFC 5280 5.3.1 reason code, when the entry carries one. */
  reason?: number;
  /** RFC 5280 5.3.2: when the key is known or suspected to have been compromised. */
  invalidityDate?: Date;
}

/** A CRL read once: the raw pieces the signature check needs and the decoded entries. */
export interface ParsedCrl {
  der: Uint8Array;
  thumbprint: string;
  tbs: Uint8Array;
  signatureAlgorithm: RawAlgorithm;
  signature: Uint8Array;
  issuerDer: Uint8Array;
  /** RFC 4514. */
  issuer: string;
  thisUpdate: Date;
  nextUpdate: Date;
  crlNumber: bigint | undefined;
  authorityKeyId: Uint8Array | undefined;
  /** Revoked serial numbers (lowercase hex without leading zeros) to their entry. */
  revoked: ReadonlyMap<string, RevokedEntry>;
}

type Fail = { ok: false; code: 'CRL_MALFORMED'; message: string };
const fail = (message: string): Fail => ({ ok: false, code: 'CRL_MALFORMED', message });

/**
 * CRL extensions we understand. issuingDistributionPoint and deltaCRLIndicator are critical and
 * change what the list means (a partial or delta list); they are not supported, so a CRL carrying
 * them is refused rather than read as complete (fail closed).
 */
const KNOWN_CRL_EXTENSIONS = new Set<string>([EXT.AUTHORITY_KEY_ID, EXT.CRL_NUMBER]);
const KNOWN_ENTRY_EXTENSIONS = new Set<string>([EXT.REASON_CODE, EXT.INVALIDITY_DATE]);

function unknownCritical(exts: readonly ParsedExtension[], known: ReadonlySet<string>): boolean {
  return exts.some((e) => e.critical && !known.has(e.oid));
}

function readEntry(buf: Uint8Array, t: Tlv): { serial: string; entry: RevokedEntry } | undefined {
  if (t.tag !== TAG.SEQUENCE) return undefined;
  const f = children(buf, t);
  if (!f || f.length < 2 || f.length > 3 || f[0]!.tag !== TAG.INTEGER) return undefined;
  const serial = integerHex(content(buf, f[0]!));
  const revocationDate = decodeTime(f[1]!.tag, content(buf, f[1]!));
  if (serial === undefined || !revocationDate) return undefined;
  const entry: RevokedEntry = { revocationDate };
  // An empty crlEntryExtensions SEQUENCE breaks SIZE (1..MAX), but @peculiar/x509 writes one for
  // entries without a reason and OpenSSL accepts it; it carries nothing, so it is read as absent.
  if (f[2] && !(f[2].tag === TAG.SEQUENCE && f[2].contentStart === f[2].end)) {
    const exts = readExtensionSequence(buf, f[2]);
    if (!exts || unknownCritical(exts, KNOWN_ENTRY_EXTENSIONS)) return undefined;
    for (const e of exts) {
      if (e.oid === EXT.REASON_CODE) {
        const r = readWhole(e.value, TAG.ENUMERATED);
        const n = r ? smallInteger(content(e.value, r)) : undefined;
        if (n === undefined) return undefined;
        entry.reason = n;
      } else if (e.oid === EXT.INVALIDITY_DATE) {
        const r = readWhole(e.value, TAG.GENERALIZED_TIME);
        const d = r ? decodeTime(TAG.GENERALIZED_TIME, content(e.value, r)) : undefined;
        if (!d) return undefined;
        entry.invalidityDate = d;
      }
    }
  }
  return { serial, entry };
}

/**
 * Parses a DER CRL (RFC 5280 5.1). Never throws. A CRL without nextUpdate is refused: without it
 * nobody can tell a current list from a stale one, and staleness must fail closed.
 */
export function parseCrl(input: Uint8Array): Result<ParsedCrl> {
  if (!(input instanceof Uint8Array)) return fail('not bytes');
  if (input.length > MAX_CRL_BYTES) return fail('CRL too large');
  const der = new Uint8Array(input);
  const root = readWhole(der, TAG.SEQUENCE);
  const top = root && children(der, root);
  if (top?.length !== 3) return fail('not a CertificateList');
  const [tbsT, algT, sigT] = top as [Tlv, Tlv, Tlv];
  const signatureAlgorithm = readAlgorithm(der, algT);
  const signature = sigT.tag === TAG.BIT_STRING ? bitStringBytes(content(der, sigT)) : undefined;
  if (tbsT.tag !== TAG.SEQUENCE || !signatureAlgorithm || !signature) return fail('bad CertificateList');
  const f = children(der, tbsT);
  if (!f) return fail('bad tbsCertList');
  let i = 0;
  if (f[0]?.tag === TAG.INTEGER) {
    // Only v2 (encoded 1) is ever written explicitly.
    if (smallInteger(content(der, f[0])) !== 1) return fail('bad CRL version');
    i = 1;
  }
  const innerAlgT = f[i];
  const issuerT = f[i + 1];
  const thisT = f[i + 2];
  if (!innerAlgT || !issuerT || !thisT) return fail('tbsCertList too short');
  if (!Buffer.from(encoding(der, innerAlgT)).equals(encoding(der, algT))) return fail('signature algorithm mismatch');
  if (issuerT.tag !== TAG.SEQUENCE) return fail('bad issuer');
  const thisUpdate = decodeTime(thisT.tag, content(der, thisT));
  if (!thisUpdate) return fail('bad thisUpdate');
  let j = i + 3;
  let nextUpdate: Date | undefined;
  const maybeNext = f[j];
  if (maybeNext && (maybeNext.tag === TAG.UTC_TIME || maybeNext.tag === TAG.GENERALIZED_TIME)) {
    nextUpdate = decodeTime(maybeNext.tag, content(der, maybeNext));
    if (!nextUpdate) return fail('bad nextUpdate');
    j++;
  }
  if (!nextUpdate) return fail('CRL has no nextUpdate');
  const revoked = new Map<string, RevokedEntry>();
  const maybeList = f[j];
  if (maybeList && maybeList.tag === TAG.SEQUENCE) {
    const entries = children(der, maybeList);
    if (!entries || entries.length === 0) return fail('bad revokedCertificates');
    for (const t of entries) {
      const e = readEntry(der, t);
      if (!e) return fail('bad CRL entry');
      const prev = revoked.get(e.serial);
      if (!prev || prev.revocationDate > e.entry.revocationDate) revoked.set(e.serial, e.entry);
    }
    j++;
  }
  let crlNumber: bigint | undefined;
  let authorityKeyId: Uint8Array | undefined;
  const maybeExt = f[j];
  if (maybeExt) {
    if (maybeExt.tag !== contextTag(0, true) || j !== f.length - 1) return fail('unexpected field in tbsCertList');
    const wrapped = children(der, maybeExt);
    const exts = wrapped && wrapped.length === 1 ? readExtensionSequence(der, wrapped[0]!) : undefined;
    if (!exts) return fail('bad CRL extensions');
    if (unknownCritical(exts, KNOWN_CRL_EXTENSIONS)) return fail('unsupported critical CRL extension');
    for (const e of exts) {
      if (e.oid === EXT.CRL_NUMBER) {
        const r = readWhole(e.value, TAG.INTEGER);
        const hex = r ? integerHex(content(e.value, r)) : undefined;
        if (hex === undefined || (e.value[r!.contentStart]! & 0x80) !== 0) return fail('bad cRLNumber');
        crlNumber = BigInt(`0x${hex}`);
      } else if (e.oid === EXT.AUTHORITY_KEY_ID) {
        const r = readWhole(e.value, TAG.SEQUENCE);
        const kf = r && children(e.value, r);
        if (!kf) return fail('bad authorityKeyIdentifier');
        const kid = kf.find((x) => x.tag === contextTag(0, false));
        authorityKeyId = kid ? content(e.value, kid) : undefined;
      }
    }
  }
  const issuer = formatName(encoding(der, issuerT));
  if (issuer === undefined) return fail('bad issuer name');
  return {
    ok: true,
    value: {
      der,
      thumbprint: sha256Hex(der),
      tbs: encoding(der, tbsT),
      signatureAlgorithm,
      signature,
      issuerDer: encoding(der, issuerT),
      issuer,
      thisUpdate,
      nextUpdate,
      crlNumber,
      authorityKeyId,
      revoked,
    },
  };
}
