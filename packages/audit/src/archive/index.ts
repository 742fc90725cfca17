/** The five-year message archive (802-П п. 11): storage helpers and re-verification. */
export { ARCHIVE_CODES, type ArchiveCode, archiveError } from './codes.js';
export { type ArchivePosition, decodeArchiveCursor, encodeArchiveCursor } from './cursor.js';
export {
  certificatesInEnvelope,
  certificatesInRecord,
  chainWithIssuers,
  createFactsCache,
  crlsForChain,
} from './evidence.js';
export {
  INCIDENT_ANSWER_KIND,
  INCIDENT_REQUEST_KIND,
  type IncidentAnswerBody,
  type IncidentBodyFailure,
  type IncidentBodyResult,
  type IncidentRequestBody,
  incidentParts,
  MAX_INCIDENT_BODY,
  parseIncidentAnswerBody,
  parseIncidentRequestBody,
  serializeIncidentRequestBody,
} from './incident.js';
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
