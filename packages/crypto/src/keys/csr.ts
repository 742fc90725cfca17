import 'reflect-metadata';
import type { KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { Result } from '@twincontour/ufebs';
import { CONTOUR_POLICY_OIDS, contourKeyUsages, type KeyUsageName } from '../certs/contour.js';
import type { Contour } from '../types.js';
import { nodeWebCrypto, toWebSigningKey } from './webcrypto.js';

const KEY_USAGE_FLAGS: Readonly<Record<KeyUsageName, number>> = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  nonRepudiation: x509.KeyUsageFlags.nonRepudiation,
  keyEncipherment: x509.KeyUsageFlags.keyEncipherment,
  dataEncipherment: x509.KeyUsageFlags.dataEncipherment,
  keyAgreement: x509.KeyUsageFlags.keyAgreement,
  keyCertSign: x509.KeyUsageFlags.keyCertSign,
  cRLSign: x509.KeyUsageFlags.cRLSign,
  encipherOnly: x509.KeyUsageFlags.encipherOnly,
  decipherOnly: x509.KeyUsageFlags.decipherOnly,
};

/** The keyUsage extension for a list of usage names. */
export function keyUsageExtension(usages: readonly KeyUsageName[]): x509.KeyUsagesExtension {
  // RFC 5280 4.2.1.3: conforming CAs mark keyUsage critical.
  return new x509.KeyUsagesExtension(
    usages.reduce((flags, u) => flags | KEY_USAGE_FLAGS[u], 0),
    true,
  );
}

/** The certificatePolicies extension carrying a contour's marker (see CONTOUR_POLICY_OIDS). */
export function contourPolicyExtension(contour: Contour): x509.CertificatePolicyExtension {
  return new x509.CertificatePolicyExtension([CONTOUR_POLICY_OIDS[contour]]);
}

/**
 * Parses an RFC 4514 distinguished name ("CN=Formation,O=Bank,C=RU": the most specific RDN first)
 * into an x509 Name, whose own string form lists RDNs in encoding order. Undefined when unreadable.
 */
export function parseRfc4514(subject: string): x509.Name | undefined {
  if (typeof subject !== 'string' || subject.trim() === '' || subject.length > 4096) return undefined;
  try {
    const json = new x509.Name(subject).toJSON();
    if (json.length === 0) return undefined;
    return new x509.Name([...json].reverse());
  } catch {
    return undefined;
  }
}

/**
 * Makes a PKCS#10 certificate signing request (802-П п. 13: the participant makes its own keys and
 * asks the CA to certify them). The request asks, as an extensionRequest, for the contour's
 * TwinContour policy and the contour's key usages. Signed with the key itself (ECDSA or RSA PKCS#1
 * v1.5, SHA-256); `openssl req -verify` accepts it. Returns PEM.
 */
export async function createCsr(
  key: KeyObject,
  subject: string,
  options: { contour: Contour },
): Promise<Result<string>> {
  const name = parseRfc4514(subject);
  if (!name) return { ok: false, code: 'KEY_BAD_SUBJECT', message: 'subject is not an RFC 4514 distinguished name' };
  const signing = await toWebSigningKey(key);
  if (!signing) {
    return {
      ok: false,
      code: 'KEY_UNSUPPORTED_ALGORITHM',
      message: `cannot make a request with a ${key.type} ${key.asymmetricKeyType ?? ''} key`,
    };
  }
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name,
      keys: signing.keys,
      signingAlgorithm: signing.signingAlgorithm,
      extensions: [keyUsageExtension(contourKeyUsages(options.contour)), contourPolicyExtension(options.contour)],
    },
    nodeWebCrypto(),
  );
  return { ok: true, value: csr.toString('pem') };
}
