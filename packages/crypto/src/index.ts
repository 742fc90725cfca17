export { CERTIFICATE_CHECK_CODES, TRUST_CODES } from './certs/codes.js';
export {
  CONTOUR_POLICY_OIDS,
  CONTOURS,
  contourFromPolicies,
  contourKeyUsages,
  isContour,
  type KeyUsageName,
  TWINCONTOUR_OID_ARC,
} from './certs/contour.js';
export { CRL_REASONS } from './certs/crl.js';
export { type CertificateDescription, describeCertificate } from './certs/info.js';
export { derObjects, toPem } from './certs/pem.js';
export type { RawAlgorithm, SignatureVerifier } from './certs/signature.js';
export {
  type CaStatus,
  type CertificateSource,
  type CrlFetch,
  type CrlLoadResult,
  type CrlRefreshReport,
  type CrlSnapshot,
  type CrlSource,
  createTrustStore,
  normaliseThumbprint,
  type TrustCheckOptions,
  type TrustConfig,
  TrustConfigError,
  type TrustStore,
} from './certs/trust-store.js';
export * from './cms/index.js';
export { CRYPTO_CODES } from './codes.js';
export { ENC_CODES } from './envelope-encrypt/codes.js';
export { decrypt, EnvelopeError, encryptFor, MAX_ENVELOPE_BYTES } from './envelope-encrypt/envelope.js';
export {
  DEFAULT_ENVELOPE_MAX_BYTES,
  type EnvelopeVerification,
  type UnwrapOptions,
  unwrapEnvelope,
  verifyEnvelope,
  type WrapOptions,
  wrapEnvelope,
} from './ka.js';
export { KEY_CODES } from './keys/codes.js';
export { createCsr } from './keys/csr.js';
export { type GeneratedKeyPair, generateKeyPair, KEY_ALGORITHMS, type KeyAlgorithm } from './keys/generate.js';
export { type ImportedCertificate, importCertificate } from './keys/import-certificate.js';
export { MAX_KEY_FILE_BYTES, readPrivateKey } from './keys/key-file.js';
export { type PassphraseSource, readPassphrase } from './keys/passphrase.js';
export { type Passphrase, writeEncryptedPrivateKey } from './keys/pkcs8.js';
export { samePublicKey } from './keys/same-key.js';
export { loadSigner, loadTrustStore, type SignerSource } from './load.js';
export { PKI_CODES } from './pki/codes.js';
export {
  DEV_CA_BACKDATE_DAYS,
  type DevIdentity,
  type DevInitOptions,
  type DevInitResult,
  devInit,
  isDevPkiComplete,
  type RevokeOptions,
  readDevIdentity,
  revoke,
} from './pki/dev-init.js';
export {
  type IssueDevCertificateOptions,
  type IssuedDevCertificate,
  issueDevCertificate,
  issueExpiredDevCertificate,
  issueNotYetValidDevCertificate,
  issueRevokedDevCertificate,
} from './pki/dev-testing.js';
export { type DevPkiLayout, loadTrustConfigFromDir, readDevLayout, TRUST_FILE } from './pki/layout.js';
export { createSoftwareSigner } from './signer.js';
export type * from './types.js';
export {
  type AddZkOptions,
  addZk,
  readZks,
  type VerifyZksOptions,
  verifyZks,
  type ZkEntry,
  type ZkReport,
  type ZkValue,
} from './zk.js';
