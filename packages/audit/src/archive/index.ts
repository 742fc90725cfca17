/** The five-year message archive (802-П п. 11): storage helpers and re-verification. */
export { ARCHIVE_CODES, type ArchiveCode, archiveError } from './codes.js';
export { type ArchivePosition, decodeArchiveCursor, encodeArchiveCursor } from './cursor.js';
export { certificatesInEnvelope, chainWithIssuers, createFactsCache, crlsForChain } from './evidence.js';
export {
  ARCHIVE_ID,
  type ArchiveAppend,
  type ArchiveListQuery,
  type ArchivePage,
  appendArchived,
  ensureArchivePartitions,
  listArchived,
  MAX_ARCHIVE_PAGE,
  MIN_RETAIN_YEARS,
  openArchiveDatabase,
  readArchivedRecord,
  storeCrls,
} from './repository.js';
export type * from './types.js';
export {
  archiveTrustStore,
  archiveValidator,
  trustCertificates,
  verifyArchived,
  verifyArchivedSignatures,
} from './verify.js';
