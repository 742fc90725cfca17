import type { Result } from '@twincontour/ufebs';
import type { CertificateInfo, Contour } from '../types.js';
import { contourFromPolicies, type KeyUsageName } from './contour.js';
import { parseCertificate } from './parse.js';
import { derObjects } from './pem.js';
import { SIGNATURE_ALGORITHM_NAMES } from './signature.js';

/** Names of the extended key usages `cert show` prints by name; others print as OIDs. */
const EKU_NAMES: Readonly<Record<string, string>> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};

/** Everything `twincontour cert show` prints about a certificate. */
export interface CertificateDescription extends CertificateInfo {
  /** E.g. "ECDSA P-256", "RSA 2048", "GOST R 34.10-2012 256", or the key algorithm OID. */
  keyAlgorithm: string;
  /** E.g. "ecdsa-with-SHA256", or the OID. */
  signatureAlgorithm: string;
  /** Key usages; empty when the certificate has no keyUsage extension. */
  keyUsage: KeyUsageName[];
  /** Extended key usages by name where known, otherwise OIDs; empty when absent. */
  extendedKeyUsage: string[];
  /** Certificate policy OIDs. */
  policies: string[];
  /** The contour the certificate's TwinContour policy marks, when exactly one does. */
  contourMarker?: Contour;
  /** True for a CA certificate (basicConstraints cA). */
  isCa: boolean;
  /** 1, 2 or 3. */
  version: number;
}

/**
 * Describes a certificate given as PEM text or DER bytes, without judging whether it is trusted:
 * that is the trust store's job. Never throws; anything unreadable is `SIG_CERT_MALFORMED`.
 * `contour` is left unset — only a trust configuration binds a certificate to a contour.
 */
export function describeCertificate(input: string | Uint8Array): Result<CertificateDescription> {
  let ders: Uint8Array[];
  try {
    ders = derObjects(input, ['CERTIFICATE']);
  } catch {
    ders = [];
  }
  if (ders.length !== 1) {
    return {
      ok: false,
      code: 'SIG_CERT_MALFORMED',
      message: ders.length === 0 ? 'no certificate found' : 'more than one certificate',
    };
  }
  const p = parseCertificate(ders[0]!);
  if (!p.ok) return p;
  const c = p.value;
  const { contour } = contourFromPolicies(c.policies);
  const d: CertificateDescription = {
    thumbprint: c.thumbprint,
    serialNumber: c.serialNumber,
    issuer: c.issuer,
    subject: c.subject,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    keyAlgorithm: c.keyAlgorithm,
    signatureAlgorithm: SIGNATURE_ALGORITHM_NAMES[c.signatureAlgorithm.oid] ?? c.signatureAlgorithm.oid,
    keyUsage: [...(c.keyUsage ?? [])],
    extendedKeyUsage: (c.extendedKeyUsage ?? []).map((o) => EKU_NAMES[o] ?? o),
    policies: [...c.policies],
    isCa: c.basicConstraints?.ca === true,
    version: c.version,
  };
  if (contour) d.contourMarker = contour;
  return { ok: true, value: d };
}
