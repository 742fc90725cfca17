import { readFileSync } from 'node:fs';
import type { Result } from '@twincontour/ufebs';

/** Passphrase files larger than this are refused: a passphrase is a line, not a document. */
const MAX_PASSPHRASE_FILE_BYTES = 4096;

/** Where a key's passphrase comes from: a file (e.g. a Docker secret) or an environment variable. */
export interface PassphraseSource {
  /** Path of a file holding the passphrase; one trailing newline is dropped. */
  file?: string;
  /** Name of the environment variable holding the passphrase. */
  env?: string;
}

const unavailable = (message: string): Result<string> => ({ ok: false, code: 'KEY_PASSPHRASE_UNAVAILABLE', message });

/**
 * Reads a passphrase from exactly one source. Messages name the file or variable, never the
 * passphrase. `environment` defaults to `process.env`.
 */
export function readPassphrase(
  source: PassphraseSource,
  environment: Readonly<Record<string, string | undefined>> = process.env,
): Result<string> {
  const hasFile = source.file !== undefined;
  const hasEnv = source.env !== undefined;
  if (hasFile === hasEnv) return unavailable('give exactly one of a passphrase file or an environment variable');
  if (hasEnv) {
    const value = environment[source.env!];
    if (value === undefined || value === '') return unavailable(`environment variable ${source.env} is not set`);
    return { ok: true, value };
  }
  let text: string;
  try {
    const bytes = readFileSync(source.file!);
    if (bytes.length > MAX_PASSPHRASE_FILE_BYTES) return unavailable(`passphrase file ${source.file} is too large`);
    text = bytes.toString('utf8');
  } catch {
    return unavailable(`passphrase file ${source.file} cannot be read`);
  }
  // Exactly one trailing newline (LF or CRLF), as `echo` and editors add; other whitespace is part of it.
  const value = text.replace(/\r?\n$/, '');
  if (value === '') return unavailable(`passphrase file ${source.file} is empty`);
  return { ok: true, value };
}
