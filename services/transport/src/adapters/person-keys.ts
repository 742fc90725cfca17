import type { KeyObject } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { readPassphrase, readPrivateKey } from '@twincontour/crypto';
import { fail, ok, type Result } from '@twincontour/platform';

/** Person ids as the registry allows them. */
const PERSON_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Keys of authorised persons that sign incident requests on the server (TWINCONTOUR_AUTHORISED_PERSON_KEYS):
 * a JSON file `{ "<person id>": { "keyFile": "…", "passphraseFile": "…" } }` (paths relative to the file), or
 * a folder holding `<person id>/key.pem` and `<person id>/key.pass`. Each key is an encrypted PKCS#8 or
 * PKCS#12 file; its passphrase is read, used and dropped. Failures are `TRN_KEYS_UNAVAILABLE` naming the
 * person, never the passphrase. In production the person may as well sign elsewhere: then nothing is
 * configured and the API takes the signed request.
 */
export async function loadPersonKeys(source: string): Promise<Result<Map<string, KeyObject>>> {
  const entries: { id: string; keyFile: string; passphraseFile: string }[] = [];
  let isDir: boolean;
  try {
    isDir = (await stat(source)).isDirectory();
  } catch {
    return fail('TRN_KEYS_UNAVAILABLE', `cannot read ${source}`);
  }
  if (isDir) {
    for (const entry of await readdir(source, { withFileTypes: true })) {
      if (!entry.isDirectory() || !PERSON_ID.test(entry.name)) continue;
      entries.push({
        id: entry.name,
        keyFile: join(source, entry.name, 'key.pem'),
        passphraseFile: join(source, entry.name, 'key.pass'),
      });
    }
  } else {
    let map: unknown;
    try {
      map = JSON.parse(await readFile(source, 'utf8'));
    } catch {
      return fail('TRN_KEYS_UNAVAILABLE', `${source} is not a JSON map of person id → { keyFile, passphraseFile }`);
    }
    if (typeof map !== 'object' || map === null || Array.isArray(map)) {
      return fail('TRN_KEYS_UNAVAILABLE', `${source} is not a JSON object`);
    }
    const base = dirname(source);
    const at = (p: string) => (isAbsolute(p) ? p : join(base, p));
    for (const [id, value] of Object.entries(map)) {
      const { keyFile, passphraseFile } = (value ?? {}) as { keyFile?: unknown; passphraseFile?: unknown };
      if (!PERSON_ID.test(id) || typeof keyFile !== 'string' || typeof passphraseFile !== 'string') {
        return fail('TRN_KEYS_UNAVAILABLE', `${source}: entry ${JSON.stringify(id)} needs keyFile and passphraseFile`);
      }
      entries.push({ id, keyFile: at(keyFile), passphraseFile: at(passphraseFile) });
    }
  }
  const keys = new Map<string, KeyObject>();
  for (const entry of entries) {
    const key = await readPersonKey(entry.keyFile, entry.passphraseFile);
    if (!key.ok) return fail('TRN_KEYS_UNAVAILABLE', `authorised person ${entry.id}: ${key.code}`);
    keys.set(entry.id, key.value);
  }
  return ok(keys);
}

async function readPersonKey(keyFile: string, passphraseFile: string): Promise<Result<KeyObject>> {
  const pass = readPassphrase({ file: passphraseFile });
  if (!pass.ok) return pass;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(keyFile);
  } catch {
    return fail('KEY_UNREADABLE', 'cannot read the key file');
  }
  return readPrivateKey(bytes, pass.value);
}
