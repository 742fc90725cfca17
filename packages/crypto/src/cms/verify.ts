/**
 * Verifies every signer of a detached CMS SignedData over given content. The overall answer is "ok"
 * only when there is at least one signer and every signer passes (CRYPTO.md: some libraries answer
 * "valid" when any one is).
 */
import type { CertificateInfo, CertificateValidator, Contour, SigFailureCode } from '../types.js';
import { type DigestAlgorithm, digest, digestAlgorithm, SHA1_CERT_ID, verifySignature } from './algorithms.js';
import { type CertificateFacts, certificateFacts } from './certificate.js';
import { applyContourRule } from './contours.js';
import { bytesEqual, content, decodeOid, readChildren, readSingle, TAG, type Tlv } from './der.js';
import { OID } from './oids.js';
import { type ParsedSignedData, type ParsedSignerInfo, parseSignedData } from './parse.js';

/** Options of `verifyDetached`. */
export interface VerifyOptions {
  /** Checks path, validity, key usage, revocation and contour of each signer's certificate. Without it those checks are not made, and the report says so. */
  validator?: CertificateValidator;
  /** "Now" for the validator's checks (default: the validator's own clock). */
  now?: Date;
  /**
   * Contours that must have signed, one signer each (802-П п. 14.3, e.g. `['formation', 'control']`).
   * SignerInfos form a SET, so the order does not matter here; each signer's contour comes from the
   * validator's CertificateInfo. Also requires that no two signers share a certificate.
   */
  expectedContours?: readonly Contour[];
  /** More certificates to look signers' certificates up in (when the SignedData does not carry them). */
  certificates?: readonly Uint8Array[];
}

/** The verdict on one signer. */
export interface SignerReport {
  /** Position of the SignerInfo in the SignedData, from 0. */
  index: number;
  ok: boolean;
  /** Why it failed (absent when ok). */
  code?: SigFailureCode;
  message?: string;
  /** The signer's certificate as the validator described it (or as read from the DER without a validator); undefined when not found. */
  certificate: CertificateInfo | undefined;
  /** The signed signingTime attribute, if any. */
  signingTime: Date | undefined;
}

/** The verdict on a SignedData. */
export interface VerifyReport {
  /** True only when there is at least one signer and every one passed every check. */
  ok: boolean;
  /** The first reason for failure: a report-level one (`SIG_MALFORMED`, `SIG_NO_SIGNERS`, `SIG_MISSING_CONTOUR`) or the first failing signer's. */
  code?: SigFailureCode;
  message?: string;
  signers: SignerReport[];
  /**
   * 'performed' when a validator checked each certificate (trust, validity, revocation, contour);
   * 'not-performed' when none was given: then `ok` means only "the signatures are intact".
   */
  certificateChecks: 'performed' | 'not-performed';
}

/** Most signers one SignedData may have to be verified. */
export const MAX_SIGNERS = 16;
/** Most certificates one SignedData may carry to be verified. */
export const MAX_CERTIFICATES = 32;

type Step<T> = { ok: true; value: T } | { ok: false; code: SigFailureCode; message: string };

/**
 * Verifies a detached CMS SignedData over `content`. Per signer: messageDigest equals the digest of
 * the content (`SIG_DIGEST_MISMATCH`); contentType is present and id-data; the certificate is found by
 * issuer and serial (or key identifier) (`SIG_CERT_NOT_FOUND`) and, when a signingCertificate(V2)
 * attribute is present, is the one it names; the signature over the signed attributes is valid
 * with that certificate's key (`SIG_BAD_SIGNATURE`); then `validator.check` (its code passed through).
 * Never throws on arbitrary bytes.
 */
export async function verifyDetached(
  der: Uint8Array,
  contentBytes: Uint8Array,
  opts: VerifyOptions = {},
): Promise<VerifyReport> {
  const certificateChecks = opts.validator ? 'performed' : 'not-performed';
  const parsed = parseSignedData(der);
  if (!parsed.ok) return { ok: false, code: parsed.code, message: parsed.message, signers: [], certificateChecks };
  return verifyParsed(parsed.value, contentBytes, opts);
}

/** Verification of an already parsed SignedData (shared with the ЗК and КА verifiers). */
export function verifyParsed(sd: ParsedSignedData, contentBytes: Uint8Array, opts: VerifyOptions): VerifyReport {
  const certificateChecks = opts.validator ? 'performed' : 'not-performed';
  if (sd.signers.length === 0) {
    return {
      ok: false,
      code: 'SIG_NO_SIGNERS',
      message: 'the SignedData has no signers',
      signers: [],
      certificateChecks,
    };
  }
  // Each signer costs a public-key operation and each certificate a parse: a hostile message
  // carrying thousands of either must not buy that much CPU. UFEBS needs two or three.
  if (sd.signers.length > MAX_SIGNERS || sd.certificates.length > MAX_CERTIFICATES) {
    const message = `more than ${MAX_SIGNERS} signers or ${MAX_CERTIFICATES} certificates`;
    return { ok: false, code: 'SIG_MALFORMED', message, signers: [], certificateChecks };
  }
  const pool: CertificateFacts[] = [];
  for (const der of [...sd.certificates, ...(opts.certificates ?? [])]) {
    // Only X.509 certificates (SEQUENCE) can identify a signer; other CertificateChoices are skipped.
    if (der[0] !== TAG.SEQUENCE) continue;
    const facts = certificateFacts(der);
    if (facts.ok) pool.push(facts.value);
  }
  // One digest per algorithm, however many signers use it.
  const digests = new Map<DigestAlgorithm, Uint8Array>();
  const contentDigest = (alg: DigestAlgorithm) => {
    let d = digests.get(alg);
    if (!d) {
      d = digest(alg, contentBytes);
      digests.set(alg, d);
    }
    return d;
  };

  let signers = sd.signers.map((s) => verifySigner(s, sd, pool, contentDigest, opts));
  let failure: { code: SigFailureCode; message: string } | undefined;
  if (opts.expectedContours) {
    const applied = applyContourRule(signers, opts.expectedContours, false);
    signers = applied.entries;
    failure = applied.failure;
  }
  const firstBad = signers.find((s) => !s.ok);
  if (firstBad || failure) {
    const reason = firstBad
      ? { code: firstBad.code!, message: `signer #${firstBad.index}: ${firstBad.message ?? ''}` }
      : failure!;
    return { ok: false, ...reason, signers, certificateChecks };
  }
  return { ok: true, signers, certificateChecks };
}

function verifySigner(
  s: ParsedSignerInfo,
  sd: ParsedSignedData,
  pool: readonly CertificateFacts[],
  contentDigest: (alg: DigestAlgorithm) => Uint8Array,
  opts: VerifyOptions,
): SignerReport {
  const base = { index: s.index, signingTime: s.signingTime };
  const bad = (code: SigFailureCode, message: string, certificate?: CertificateInfo): SignerReport => ({
    ...base,
    ok: false,
    code,
    message,
    certificate,
  });

  const cert = findCertificate(s, pool);
  const alg = digestAlgorithm(s.digestAlgorithm.oid);
  if (!alg) return bad('SIG_UNSUPPORTED_ALGORITHM', `digest algorithm ${s.digestAlgorithm.oid}`, cert?.info);
  const attrs = checkSignedAttributes(s, sd, alg, contentDigest(alg));
  if (!attrs.ok) return bad(attrs.code, attrs.message, cert?.info);
  if (!cert) return bad('SIG_CERT_NOT_FOUND', 'no certificate matches the signer identifier');
  const ess = checkSigningCertificate(s, cert);
  if (!ess.ok) return bad(ess.code, ess.message, cert.info);
  if (!cert.publicKey)
    return bad('SIG_UNSUPPORTED_ALGORITHM', 'the certificate key algorithm is not supported', cert.info);
  // RFC 5652 §5.4: the signature covers the DER of the signed attributes with the SET tag, not [0].
  const signed = new Uint8Array(s.signedAttrs!);
  signed[0] = TAG.SET;
  const check = verifySignature(s.signatureAlgorithm.oid, s.digestAlgorithm.oid, cert.publicKey, signed, s.signature);
  if (check === 'unsupported') {
    return bad('SIG_UNSUPPORTED_ALGORITHM', `signature algorithm ${s.signatureAlgorithm.oid} with this key`, cert.info);
  }
  if (check === 'invalid') return bad('SIG_BAD_SIGNATURE', 'the signature does not verify', cert.info);

  if (!opts.validator) return { ...base, ok: true, certificate: cert.info };
  const checkOpts: { signingTime?: Date; now?: Date } = {};
  if (opts.now) checkOpts.now = opts.now;
  if (s.signingTime) checkOpts.signingTime = s.signingTime;
  const verdict = opts.validator.check(cert.der, checkOpts);
  if (!verdict.ok) return bad(verdict.code, verdict.message, verdict.info ?? cert.info);
  return { ...base, ok: true, certificate: verdict.info };
}

function checkSignedAttributes(
  s: ParsedSignerInfo,
  sd: ParsedSignedData,
  alg: DigestAlgorithm,
  expectedDigest: Uint8Array,
): Step<null> {
  // Signatures without signed attributes are not accepted: contentType and messageDigest must be
  // signed so that the signature cannot be moved to another content type.
  if (!s.signedAttrs) return { ok: false, code: 'SIG_MALFORMED', message: 'no signed attributes' };
  const count = (oid: string) => s.signedAttributes.filter((a) => a.oid === oid).length;
  for (const oid of [OID.contentType, OID.messageDigest, OID.signingTime]) {
    if (count(oid) > 1) return { ok: false, code: 'SIG_MALFORMED', message: `attribute ${oid} repeated` };
  }
  if (s.contentType !== OID.data || sd.eContentType !== OID.data) {
    return { ok: false, code: 'SIG_MALFORMED', message: 'contentType attribute missing or not id-data' };
  }
  if (count(OID.signingTime) === 1 && !s.signingTime) {
    return { ok: false, code: 'SIG_MALFORMED', message: 'bad signingTime attribute' };
  }
  if (!s.messageDigest || s.messageDigest.length !== alg.length) {
    return { ok: false, code: 'SIG_MALFORMED', message: 'messageDigest attribute missing or malformed' };
  }
  if (!bytesEqual(s.messageDigest, expectedDigest)) {
    return { ok: false, code: 'SIG_DIGEST_MISMATCH', message: 'the content does not match the signed digest' };
  }
  return { ok: true, value: null };
}

function findCertificate(s: ParsedSignerInfo, pool: readonly CertificateFacts[]): CertificateFacts | undefined {
  const sid = s.sid;
  if (sid.kind === 'issuerAndSerialNumber') {
    return pool.find((c) => bytesEqual(c.serialNumber, sid.serialNumber) && bytesEqual(c.issuer, sid.issuer));
  }
  return pool.find(
    (c) => c.subjectKeyIdentifier !== undefined && bytesEqual(c.subjectKeyIdentifier, sid.keyIdentifier),
  );
}

/**
 * RFC 5035 / RFC 2634 §5.4: when the signer committed to its certificate (signingCertificateV2, or the
 * SHA-1 signingCertificate), the certificate used must be the first one listed: same hash and, if
 * given, same issuer and serial. A mismatch means the certificate in hand is not the one that signed.
 */
function checkSigningCertificate(s: ParsedSignerInfo, cert: CertificateFacts): Step<null> {
  const v2 = s.signedAttributes.filter((a) => a.oid === OID.signingCertificateV2);
  const v1 = s.signedAttributes.filter((a) => a.oid === OID.signingCertificate);
  if (v2.length + v1.length === 0) return { ok: true, value: null };
  if (v2.length > 1 || v1.length > 1)
    return { ok: false, code: 'SIG_MALFORMED', message: 'signingCertificate repeated' };
  for (const [attr, isV2] of [
    [v2[0], true],
    [v1[0], false],
  ] as const) {
    if (!attr) continue;
    const first = attr.values.length === 1 ? firstEssCertId(attr.values[0]!, isV2) : undefined;
    if (!first) return { ok: false, code: 'SIG_MALFORMED', message: 'bad signingCertificate attribute' };
    const hash = digest(first.hash, cert.der);
    if (!bytesEqual(hash, first.certHash)) {
      return {
        ok: false,
        code: 'SIG_CERT_NOT_FOUND',
        message: 'the certificate is not the one named in signingCertificate',
      };
    }
    if (first.issuerSerial && !issuerSerialMatches(first.issuerSerial, cert)) {
      return { ok: false, code: 'SIG_CERT_NOT_FOUND', message: 'signingCertificate names another issuer/serial' };
    }
  }
  return { ok: true, value: null };
}

interface EssCertId {
  hash: DigestAlgorithm;
  certHash: Uint8Array;
  issuerSerial: { bytes: Uint8Array; tlv: Tlv } | undefined;
}

/** The first ESSCertID(v2) of a SigningCertificate(V2) value; undefined when malformed or its hash is unsupported. */
function firstEssCertId(value: Uint8Array, isV2: boolean): EssCertId | undefined {
  const top = readSingle(value);
  const seqs = top?.tag === TAG.SEQUENCE ? readChildren(value, top) : undefined;
  const certs = seqs?.[0]?.tag === TAG.SEQUENCE ? readChildren(value, seqs[0]) : undefined;
  const first = certs?.[0];
  const f = first?.tag === TAG.SEQUENCE ? readChildren(value, first) : undefined;
  if (!f || f.length === 0) return undefined;
  let i = 0;
  // SHA-1 here only names the certificate (RFC 2634 ESSCertID), it does not protect a signature.
  let hash: DigestAlgorithm | undefined = isV2 ? digestAlgorithm(OID.sha256) : SHA1_CERT_ID;
  if (isV2 && f[0]!.tag === TAG.SEQUENCE) {
    const algFields = readChildren(value, f[0]!);
    const oidTlv = algFields?.[0];
    if (oidTlv?.tag !== TAG.OID) return undefined;
    const oid = decodeOid(content(value, oidTlv));
    hash = oid === undefined ? undefined : digestAlgorithm(oid);
    i++;
  }
  const certHash = f[i];
  if (!hash || certHash?.tag !== TAG.OCTET_STRING) return undefined;
  const issuerSerialTlv = f[i + 1];
  if (issuerSerialTlv && issuerSerialTlv.tag !== TAG.SEQUENCE) return undefined;
  return {
    hash,
    certHash: content(value, certHash),
    issuerSerial: issuerSerialTlv ? { bytes: value, tlv: issuerSerialTlv } : undefined,
  };
}

/** IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber }: the directoryName must be the certificate's issuer. */
function issuerSerialMatches(is: { bytes: Uint8Array; tlv: Tlv }, cert: CertificateFacts): boolean {
  const f = readChildren(is.bytes, is.tlv);
  if (f?.length !== 2 || f[0]!.tag !== TAG.SEQUENCE || f[1]!.tag !== TAG.INTEGER) return false;
  if (!bytesEqual(content(is.bytes, f[1]!), cert.serialNumber)) return false;
  const names = readChildren(is.bytes, f[0]!) ?? [];
  return names.some((n) => n.tag === 0xa4 && bytesEqual(content(is.bytes, n), cert.issuer));
}
