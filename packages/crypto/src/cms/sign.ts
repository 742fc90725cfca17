/**
 * Builds detached CMS SignedData (RFC 5652) and adds co-signers to an existing one, in raw DER.
 * The signing function is whatever the `Signer` provides (node:crypto, PKCS#11, a GOST provider):
 * nothing here assumes an algorithm beyond the OIDs the Signer declares.
 */
import type { AlgorithmId, Signer } from '../types.js';
import { digest, digestAlgorithm } from './algorithms.js';
import { type CertificateFacts, certificateFacts } from './certificate.js';
import { bytesEqual, encodeOid, encodeTime, octetString, sequence, setOf, smallInteger, TAG, tlv } from './der.js';
import { SignerError } from './errors.js';
import { OID } from './oids.js';
import { parseSignedData } from './parse.js';
import { fail, type SigResult } from './result.js';

/** Options of `signDetached` and `addSigner`. */
export interface SignOptions {
  /** Time written in the signingTime attribute (whole seconds, UTC). Default: now. */
  signingTime?: Date;
  /** Put the signer's certificate in SignedData.certificates (default true). */
  includeCertificate?: boolean;
}

/** AlgorithmIdentifier DER: parameters absent unless the algorithm defines them (RFC 5754, RFC 5758). */
export function encodeAlgorithmId(alg: AlgorithmId): Uint8Array {
  return alg.parameters ? sequence(encodeOid(alg.oid), alg.parameters) : sequence(encodeOid(alg.oid));
}

function attribute(oid: string, value: Uint8Array): Uint8Array {
  return sequence(encodeOid(oid), tlv(TAG.SET, value));
}

/** The signer's certificate facts; a Signer whose certificate cannot be read is a configuration fault. */
function signerCertificate(signer: Signer): CertificateFacts {
  const facts = certificateFacts(signer.certificate);
  if (!facts.ok) throw new SignerError('SIG_CERT_MALFORMED', facts.message);
  return facts.value;
}

function contentDigest(signer: Signer, data: Uint8Array): Uint8Array {
  const alg = digestAlgorithm(signer.digestAlgorithm.oid);
  if (!alg) {
    throw new SignerError(
      'SIG_UNSUPPORTED_ALGORITHM',
      `digest algorithm ${signer.digestAlgorithm.oid} is not supported`,
    );
  }
  return digest(alg, data);
}

/**
 * signingCertificateV2 (RFC 5035): binds the signature to the exact certificate, so a different
 * certificate with the same issuer and serial cannot be substituted. The hash algorithm is SHA-256,
 * the DEFAULT, so it is omitted from the encoding (DER leaves out default values).
 */
function signingCertificateV2(cert: CertificateFacts): Uint8Array {
  const issuerSerial = sequence(sequence(tlv(0xa4, cert.issuer)), tlv(TAG.INTEGER, cert.serialNumber));
  const essCertIdV2 = sequence(octetString(cert.sha256), issuerSerial);
  return sequence(sequence(essCertIdV2));
}

async function buildSignerInfo(
  messageDigest: Uint8Array,
  signer: Signer,
  cert: CertificateFacts,
  signingTime: Date,
  contentType: string,
): Promise<Uint8Array> {
  const attrs = [
    attribute(OID.contentType, encodeOid(contentType)),
    attribute(OID.signingTime, encodeTime(signingTime)),
    attribute(OID.messageDigest, octetString(messageDigest)),
    attribute(OID.signingCertificateV2, signingCertificateV2(cert)),
  ];
  // RFC 5652 §5.4: the signature is computed over the DER of the SET OF attributes (tag 0x31, elements
  // in DER order); the SignerInfo carries the same bytes under the [0] IMPLICIT tag.
  const signedSet = setOf(attrs);
  const signature = await signer.sign(signedSet);
  if (!(signature instanceof Uint8Array) || signature.length === 0) {
    throw new SignerError('SIG_UNSUPPORTED_ALGORITHM', `signer ${signer.algorithm} returned no signature value`);
  }
  const signedAttrs = new Uint8Array(signedSet);
  signedAttrs[0] = TAG.CONTEXT_0;
  return sequence(
    smallInteger(1), // version 1: sid is issuerAndSerialNumber (RFC 5652 §5.3)
    sequence(cert.issuer, tlv(TAG.INTEGER, cert.serialNumber)),
    encodeAlgorithmId(signer.digestAlgorithm),
    signedAttrs,
    encodeAlgorithmId(signer.signatureAlgorithm),
    octetString(signature),
  );
}

interface SignedDataParts {
  version: Uint8Array;
  digestAlgorithms: Uint8Array[];
  encapContentInfo: Uint8Array;
  certificates: Uint8Array[];
  crls: Uint8Array | undefined;
  signerInfos: Uint8Array[];
}

/** ContentInfo(SignedData) in DER. Every SET OF is in DER order (as OpenSSL writes it). */
function assemble(p: SignedDataParts): Uint8Array {
  const fields = [p.version, setOf(p.digestAlgorithms), p.encapContentInfo];
  if (p.certificates.length > 0) fields.push(setOf(p.certificates, TAG.CONTEXT_0));
  if (p.crls) fields.push(p.crls);
  fields.push(setOf(p.signerInfos));
  return sequence(encodeOid(OID.signedData), tlv(TAG.CONTEXT_0, sequence(...fields)));
}

/**
 * Signs `content` and returns a detached CMS ContentInfo(SignedData), DER: no eContent; signed
 * attributes contentType (id-data), signingTime, messageDigest and signingCertificateV2; signer
 * identified by issuer and serial number; its certificate included unless `includeCertificate` is false.
 * Throws `SignerError` only for a misconfigured signer.
 */
export async function signDetached(content: Uint8Array, signer: Signer, opts: SignOptions = {}): Promise<Uint8Array> {
  const cert = signerCertificate(signer);
  const signerInfo = await buildSignerInfo(
    contentDigest(signer, content),
    signer,
    cert,
    opts.signingTime ?? new Date(),
    OID.data,
  );
  return assemble({
    version: smallInteger(1), // RFC 5652 §5.1: v1 for id-data with only issuerAndSerialNumber signers and X.509 certificates
    digestAlgorithms: [encodeAlgorithmId(signer.digestAlgorithm)],
    encapContentInfo: sequence(encodeOid(OID.data)),
    certificates: opts.includeCertificate === false ? [] : [cert.der],
    crls: undefined,
    signerInfos: [signerInfo],
  });
}

/**
 * Adds one more signer over the same detached `content` to an existing SignedData (802-П прил. 1.4:
 * the control contour adds its signature, the first stays). Every existing SignerInfo, certificate,
 * CRL field and the encapContentInfo are copied byte for byte; the signer's digest algorithm is added
 * to digestAlgorithms if new, its certificate to certificates if not already there.
 *
 * Refuses (as a value) a SignedData that is malformed (`SIG_MALFORMED`) or whose existing signers
 * signed other content than `content` (`SIG_DIGEST_MISMATCH`): a co-signature over different bytes
 * would be worthless. It does not verify the existing signatures: the caller does that, with its
 * trust store, before deciding to co-sign.
 */
export async function addSigner(
  existingDer: Uint8Array,
  content: Uint8Array,
  signer: Signer,
  opts: SignOptions = {},
): Promise<SigResult<Uint8Array>> {
  const parsed = parseSignedData(existingDer);
  if (!parsed.ok) return parsed;
  const sd = parsed.value;
  if (sd.eContentType !== OID.data) return fail('SIG_MALFORMED', `eContentType ${sd.eContentType} is not id-data`);
  if (sd.eContent && !bytesEqual(sd.eContent, content)) {
    return fail('SIG_DIGEST_MISMATCH', 'the attached content differs from the content to co-sign');
  }
  for (const s of sd.signers) {
    // A digest this package cannot compute (a GOST signer, say) is left for the verifier to check.
    const alg = digestAlgorithm(s.digestAlgorithm.oid);
    if (alg && s.messageDigest && !bytesEqual(digest(alg, content), s.messageDigest)) {
      return fail('SIG_DIGEST_MISMATCH', `signer #${s.index} signed different content`);
    }
  }
  const cert = signerCertificate(signer);
  const signerInfo = await buildSignerInfo(
    contentDigest(signer, content),
    signer,
    cert,
    opts.signingTime ?? new Date(),
    sd.eContentType,
  );
  const digestAlgorithms = sd.digestAlgorithms.map((a) => a.raw);
  if (!sd.digestAlgorithms.some((a) => a.oid === signer.digestAlgorithm.oid)) {
    digestAlgorithms.push(encodeAlgorithmId(signer.digestAlgorithm));
  }
  const certificates = [...sd.certificates];
  if (opts.includeCertificate !== false && !certificates.some((c) => bytesEqual(c, cert.der))) {
    certificates.push(cert.der);
  }
  return {
    ok: true,
    value: assemble({
      // A v1 SignerInfo never raises the SignedData version (RFC 5652 §5.1), so the existing one stands.
      version: sd.versionRaw,
      digestAlgorithms,
      encapContentInfo: sd.encapContentInfo,
      certificates,
      crls: sd.crls,
      signerInfos: [...sd.signers.map((s) => s.raw), signerInfo],
    }),
  };
}
