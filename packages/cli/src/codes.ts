import type { CodeInfo } from '@twincontour/ufebs';

/** Codes the command-line tool itself reports (exit 2 unless said otherwise). Never renamed or reused. */
export const CLI_CODES: Readonly<Record<string, CodeInfo>> = Object.freeze({
  CLI_USAGE: {
    meaning: 'The command was called with missing, unknown or malformed arguments.',
    action: 'Read the usage line printed with the error, or `twincontour help`.',
  },
  CLI_UNKNOWN_COMMAND: {
    meaning: 'No command of that name.',
    action: 'Run `twincontour help` for the list.',
  },
  CLI_UNREADABLE_INPUT: {
    meaning: 'The input file does not exist or cannot be read.',
    action: 'Check the path and the file permissions.',
  },
  CLI_BAD_JSON: {
    meaning: 'A payment order file is not JSON.',
    action: 'Give a file in the gateway’s JSON form (see examples/).',
  },
  CLI_NOT_ED101: {
    meaning: '`ed to-order` was given an ED other than ED101 (exit 1).',
    action: 'Only an ED101 maps to a payment order.',
  },
  CLI_EXISTS: {
    meaning: 'The key file to be written exists already; keys are never overwritten.',
    action: 'Choose another --out folder, or move the old key away deliberately.',
  },
  CLI_KEYS_NOT_CONFIGURED: {
    meaning: 'No key is configured for the contour a signing command needs.',
    action: 'Set TWINCONTOUR_<CONTOUR>_KEY_FILE, _CERT_FILE and _PASSPHRASE_FILE, or give --pki DIR.',
  },
  CLI_TRUST_NOT_CONFIGURED: {
    meaning: 'A verifying command has no trust configuration.',
    action: 'Set TWINCONTOUR_TRUST_DIR (a folder with trust.json), or give --pki DIR.',
  },
  CLI_GATEWAY_UNREACHABLE: {
    meaning: '`demo` found nothing listening at the formation or control URL.',
    action: 'Start the gateway (npm start) or give --formation-url / --control-url.',
  },
  CLI_NO_DEV_CREDENTIALS: {
    meaning: '`demo` found no development credentials (.dev/credentials.json).',
    action: 'Start the gateway once with npm start; it makes them. Or give --credentials FILE.',
  },
  CLI_DEMO_FAILED: {
    meaning: '`demo` was refused by the gateway before the scenario could run (the answer is printed).',
    action: 'Read the code in the printed answer; docs/errors.md says what to do.',
  },
  CLI_AUDIT_DB_UNREACHABLE: {
    meaning:
      '`audit verify` / `audit trail` cannot read a contour’s database (refused, unknown database, authentication); the others are still read.',
    action:
      'Set TWINCONTOUR_AUDIT_DATABASE_URL_<CONTOUR> to a role that may read the audit tables, or start the gateway (npm start).',
  },
  CLI_AUDIT_NO_LOG: {
    meaning: 'The contour’s database has no audit tables: the service never applied the audit migrations.',
    action: 'Check the URL points at the service’s database; start the service once (it migrates at start).',
  },
  CLI_AUDIT_TRAIL_EMPTY: {
    meaning: '`audit trail` found no event naming the order in any contour read (exit 1).',
    action:
      'Check the order id (formation’s id, as the back office got it); events are chained within a second of being recorded.',
  },
  CLI_INCIDENT_REFUSED: {
    meaning:
      '`incident …` was refused by transport; its stable code (INC_*, AUTH_*, EXCHANGE_SUSPENDED …) is printed (exit 1).',
    action: 'Read the printed code in services/transport/docs/errors.md; docs/incidents.md is the procedure.',
  },
  CLI_INCIDENT_PERSON_REQUIRED: {
    meaning:
      '`incident suspend` needs an authorised person and the registry does not have exactly one the server signs for.',
    action: 'Give --person ID (see `twincontour incident persons`).',
  },
  CLI_INCIDENT_NO_RESERVE_COPY: {
    meaning: '`incident pdf` found no reserve copy of that request: the main channel took it at once (exit 1).',
    action:
      'Check the request id in `twincontour incident status`; only requests the main channel did not take have one.',
  },
});
