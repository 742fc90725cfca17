import type { KeyObject } from 'node:crypto';
import type { Result } from '@twincontour/ufebs';
import { type CertificateDescription, describeCertificate } from '../certs/info.js';
import { parseCertificate } from '../certs/parse.js';
import { derObjects, toPem } from '../certs/pem.js';
import type { Contour } from '../types.js';
import { samePublicKey } from './same-key.js';

/** A certificate accepted for a private key. */
export interface ImportedCertificate {
  certificateDer: Uint8Array;
  certificatePem: string;
  description: CertificateDescription;
}

/**
 * Accepts the certificate the CA issued for one of our keys (802-П п. 13): it must parse and its
 * public key must be the public half of `privateKey` (`KEY_CERT_MISMATCH`). With `expectedContour`,
 * a certificate whose TwinContour marker names another contour is refused
 * (`KEY_CERT_WRONG_CONTOUR`); one without a marker (issued by the Bank of Russia's CA) is accepted
 * and must then be pinned in the trust configuration. Trust is not judged here: that is the trust store's job.
 */
export function importCertificate(
  certificate: string | Uint8Array,
  privateKey: KeyObject,
  options: { expectedContour?: Contour } = {},
): Result<ImportedCertificate> {
  const described = describeCertificate(certificate);
  if (!described.ok) return described;
  const der = derObjects(certificate, ['CERTIFICATE'])[0]!;
  const parsed = parseCertificate(der);
  if (!parsed.ok) return parsed;
  const theirs = parsed.value.publicKey;
  if (!theirs || !samePublicKey(privateKey, theirs)) {
    return {
      ok: false,
      code: 'KEY_CERT_MISMATCH',
      message: "the certificate's public key does not belong to this private key",
    };
  }
  const marker = described.value.contourMarker;
  if (options.expectedContour && marker && marker !== options.expectedContour) {
    return {
      ok: false,
      code: 'KEY_CERT_WRONG_CONTOUR',
      message: `the certificate is marked for ${marker}, not ${options.expectedContour}`,
    };
  }
  return {
    ok: true,
    value: {
      certificateDer: parsed.value.der,
      certificatePem: toPem('CERTIFICATE', parsed.value.der),
      description: described.value,
    },
  };
}
