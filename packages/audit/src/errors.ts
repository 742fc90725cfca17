import { createErrorFactory, defineErrorCatalog } from '@twincontour/platform';

/**
 * Every `AUDIT_*` code of the audit log (STYLE.md, Errors). `docs/errors.md` is kept in step with this
 * catalog by `errors.test.ts`, which also checks that every code literal in the sources is listed.
 *
 * Three kinds of code: HTTP refusals of the security-officer API (their status is the answer's); a
 * caller's programming fault (500, never answered); and verification findings, reported inside an
 * AuditVerification (HTTP 200, CLI exit 1) with the status the finding would have as an error answer
 * (422: the log is there but does not verify), as the archive's findings are (src/archive/codes.ts).
 */
export const AUDIT_CODES = defineErrorCatalog({
  // HTTP: the security-officer API (routes.ts, query.ts).
  AUDIT_BAD_CURSOR: {
    status: 400,
    meaning: 'The `cursor` is not one this API issued (it is opaque: base64url of a chain position).',
    action: 'Pass `nextCursor` of the previous page unchanged, or leave it out to start from the first event.',
  },
  AUDIT_BAD_RANGE: {
    status: 400,
    meaning: 'The time range is empty: `from` is not before `to`.',
    action: 'Give `from` earlier than `to` (`from` is inclusive, `to` exclusive).',
  },

  AUDIT_BAD_TIME: {
    status: 400,
    meaning:
      'A time filter is an invalid Date (from the library: over HTTP, the schema refuses malformed times first with PLT_VALIDATION).',
    action: 'Give `from` / `to` as ISO 8601 UTC times, e.g. 2026-12-02T10:00:00Z.',
  },

  // Programming faults of a caller (never answered over HTTP).
  AUDIT_EVENT_INVALID: {
    status: 500,
    meaning:
      'record() was given an event that cannot be stored: unknown type or result, a bad date, a string with NUL or unpaired surrogates, or a field or details too large.',
    action: 'Fix the calling code: the message names the field. Details are small facts, never message bodies.',
  },

  // Verification findings (verify.ts, export.ts): reported in AuditVerification.problems.
  AUDIT_SEQ_GAP: {
    status: 422,
    meaning: 'Chain positions are missing before the named event: rows were removed from audit_events.',
    action:
      'Security incident: the database was changed by a superuser. Compare with an earlier export; restore from backup.',
  },
  AUDIT_PREV_MISMATCH: {
    status: 422,
    meaning: "The named event does not link to the previous event's hash: a row before it was replaced or re-hashed.",
    action: 'Security incident: compare the events around the named seq with an earlier export or backup.',
  },
  AUDIT_HASH_MISMATCH: {
    status: 422,
    meaning: 'The named event’s content no longer gives its stored hash: the row was edited after it was chained.',
    action: 'Security incident: the named event was altered in the database; compare with an earlier export.',
  },
  AUDIT_CHECKPOINT_BAD_SIGNATURE: {
    status: 422,
    meaning:
      "A checkpoint's signature does not verify over its text, or its signer is not a valid certificate of this contour at the checkpoint time.",
    action: 'Security incident: the checkpoint was forged or edited. The message carries the SIG_* code of the check.',
  },
  AUDIT_CHECKPOINT_MISMATCH: {
    status: 422,
    meaning:
      'A checkpoint does not match the chain (its head hash differs from the event hash at its seq, or the event is gone) or does not link to the previous checkpoint.',
    action:
      'Security incident: the chain was rewritten after it was signed (or the checkpoint edited); compare with an earlier export.',
  },
  AUDIT_CHECKPOINT_GAP: {
    status: 422,
    meaning: 'Checkpoint numbers are not contiguous from 1: checkpoints were removed.',
    action: 'Security incident: checkpoints were deleted by a superuser; compare with an earlier export.',
  },
  AUDIT_CHECKPOINT_MISSING: {
    status: 422,
    meaning:
      'Events were chained longer ago than twice the checkpoint interval plus the grace, yet no checkpoint covers them: the last checkpoints were removed, or the service stopped signing.',
    action:
      'Check that the service runs and its key loads (its log says why checkpoints fail); if it does, treat it as a deleted checkpoint.',
  },
  AUDIT_EXPORT_PARTIAL: {
    status: 422,
    meaning:
      'The export is filtered (its header says `full: false`): each event’s own hash is checked, but the chain and the checkpoints cannot be.',
    action: 'Verify an unfiltered export (GET /v1/audit/export without filters) to prove the whole chain.',
  },
  AUDIT_EXPORT_MALFORMED: {
    status: 422,
    meaning: 'A line of the export is not an export line (not JSON, no header first, unknown kind, missing fields).',
    action: 'Use the file exactly as GET /v1/audit/export produced it; the message gives the line number.',
  },
});

/** A code of {@link AUDIT_CODES}. */
export type AuditCode = keyof typeof AUDIT_CODES;

/** Makes an AppError with a listed code, its status and (by default) its documented meaning. */
export const auditError = createErrorFactory(AUDIT_CODES);
