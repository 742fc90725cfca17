import type { CodeInfo } from '@twincontour/ufebs';

/** Codes of the development PKI. Never renamed or reused. */
export const PKI_CODES: Readonly<Record<string, CodeInfo>> = Object.freeze({
  PKI_NOT_INITIALISED: {
    meaning: 'The directory holds no trust.json: no development PKI was made there.',
    action: 'Run `twincontour pki dev-init <dir>` (or start the stack, which does it).',
  },
  PKI_LAYOUT_INVALID: {
    meaning: 'trust.json (or a file it names) cannot be read as a development PKI layout.',
    action: 'Restore the directory from a backup or remove it and run dev-init again (new keys).',
  },
  PKI_DIR_INCOMPLETE: {
    meaning: 'trust.json names files that are missing; nothing is regenerated over a CA others may trust.',
    action: 'Restore the missing files, or remove the directory and run dev-init again (new keys).',
  },
  PKI_DIR_UNWRITABLE: {
    meaning: 'The directory cannot be created or written.',
    action: 'Fix the ownership or mount options of the PKI directory.',
  },
  PKI_BAD_SERIAL: {
    meaning: 'The serial number to revoke is not hexadecimal.',
    action: 'Give the serial as printed by `twincontour cert show` (hex).',
  },
  PKI_BAD_REASON: {
    meaning: 'The revocation reason is not an RFC 5280 reason code.',
    action: 'Use one of 0–6, 8–10 (e.g. 1 keyCompromise, 4 superseded).',
  },
});
