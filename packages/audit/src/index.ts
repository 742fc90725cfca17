export * from './archive/index.js';
export { type CheckpointFields, checkpointText, verifyCheckpointSignature } from './checkpoint.js';
export { AUDIT_CODES, type AuditCode, auditError } from './errors.js';
export {
  auditCertificate,
  authFailedEvent,
  type EventSubject,
  kaChecks,
  keyLoadedEvent,
  type SignatureCheck,
  type SignatureMade,
  signatureCheckedEvents,
  signatureMadeEvents,
  zkChecks,
} from './events.js';
export {
  CSV_COLUMNS,
  csvField,
  csvRecord,
  EXPORT_FORMAT,
  type ExportCheckpointLine,
  type ExportEventLine,
  type ExportHeader,
  type ExportOptions,
  exportAudit,
  type VerifyExportOptions,
  verifyExport,
} from './export.js';
export { type AuditEventFields, canonicalEvent, canonicalJson, eventHash, ZERO_HASH } from './hash.js';
export { AUDIT_MIGRATIONS_DIR, type AuditLogOptions, createAuditLog } from './log.js';
export {
  AUDIT_EVENT_SCHEMA,
  AUDIT_VERIFICATION_SCHEMA,
  type AuditRoutesOptions,
  registerAuditRoutes,
} from './routes.js';
export { decodeCursor, encodeCursor, MAX_LIMIT, queryEvents } from './store.js';
export * from './types.js';
export {
  DEFAULT_CHECKPOINT_GRACE_MS,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  type VerifyChainOptions,
  verifyAuditDatabase,
} from './verify.js';
