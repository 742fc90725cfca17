import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes a file so that no reader ever sees it half-written (NOTES.md, "Exchange with АРМ КБР-Н"): the
 * bytes go to `<name>.tmp`, are fsynced, and the file is renamed to `name` (atomic within one file
 * system); the folder is fsynced so the rename survives a crash. Writing the same name again replaces the
 * file whole. Returns the final path.
 */
export async function writeFileAtomic(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  await mkdir(dir, { recursive: true });
  const finalPath = join(dir, name);
  const tmpPath = `${finalPath}.tmp`;
  const handle = await open(tmpPath, 'w', 0o640);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(tmpPath, { force: true });
    throw error;
  }
  await handle.close();
  await rename(tmpPath, finalPath);
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
  return finalPath;
}

/** The store folder of received envelopes: one file per envelope, under a folder per day. */
export interface EnvelopeStore {
  /** Writes the bytes of one received envelope; returns its path. */
  put(id: string, receivedAt: Date, bytes: Uint8Array, extension: 'xml' | 'p7m'): Promise<string>;
}

/** An {@link EnvelopeStore} in `dir` (TWINCONTOUR_SIM_STORE_DIR): `<dir>/<YYYY-MM-DD>/<hhmmss>_<id>.<ext>`. */
export function createEnvelopeStore(dir: string): EnvelopeStore {
  return {
    async put(id, receivedAt, bytes, extension) {
      const iso = receivedAt.toISOString();
      const day = iso.slice(0, 10);
      const time = iso.slice(11, 19).replaceAll(':', '');
      return writeFileAtomic(join(dir, day), `${time}_${id}.${extension}`, bytes);
    },
  };
}
