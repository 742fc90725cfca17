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
});
