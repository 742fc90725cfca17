import { mkdir, open, readdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fail, ok, type Result } from '@twincontour/platform';
import type { AnswerOutcome, DeliveryAdapter, IncomingAnswer, OutgoingFile, PreparedFile } from './types.js';

/** Suffix of a file still being written (ours in the pickup folder, the АРМ's in the incoming one). */
export const TEMP_SUFFIX = '.tmp';
/** Largest answer file read (an ED201/ED206 in its envelope is a few KB). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
/** A file name the adapter handles: plain characters, no path. */
const PLAIN_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Options of {@link createArmKbrAdapter}. */
export interface ArmKbrOptions {
  /** The АРМ КБР-Н pickup folder (the АРМ removes each file once taken). */
  outDir: string;
  /** The folder the АРМ puts received, decrypted files into. */
  inDir: string;
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function sameContent(path: string, bytes: Uint8Array): Promise<boolean | undefined> {
  try {
    const existing = await readFile(path);
    return Buffer.from(bytes).equals(existing);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The АРМ КБР-Н file exchange (802-П п. 10; NOTES.md: write atomically, never pick up a half-written
 * file). Delivery writes `<name>.tmp`, fsyncs it, renames it to `<name>` and fsyncs the folder: the АРМ
 * only ever sees complete files. The name is one per ED identity, so delivering again is a no-op while
 * the file waits (same bytes) and a conflict if another file holds the name. The АРМ does the channel
 * encryption: the file is the КА envelope itself.
 *
 * Answers: regular files of the incoming folder whose name does not end in `.tmp` and whose size and
 * modification time were the same at two polls (a writer that does not rename is given time to
 * finish); once archived each is moved to `processed/` (or `rejected/`) so it is never taken twice.
 */
export function createArmKbrAdapter(options: ArmKbrOptions): DeliveryAdapter {
  const seen = new Map<string, string>();
  return {
    channel: 'arm-kbr',
    async prepare(file: OutgoingFile): Promise<PreparedFile> {
      return { ...file, wire: file.bytes, wireKind: 'envelope' };
    },
    async deliver(file: PreparedFile): Promise<Result<{ reference: string }>> {
      if (!PLAIN_FILE.test(file.name) || file.name.endsWith(TEMP_SUFFIX)) {
        return fail('TRN_DELIVERY_FAILED', `file name ${JSON.stringify(file.name)} is not plain`);
      }
      const finalPath = join(options.outDir, file.name);
      const tempPath = `${finalPath}${TEMP_SUFFIX}`;
      try {
        const existing = await sameContent(finalPath, file.wire);
        if (existing === true) return ok({ reference: finalPath });
        if (existing === false) {
          return fail('TRN_DELIVERY_CONFLICT', `the pickup folder holds another file named ${file.name}`);
        }
        // 'w': a .tmp left by a crash mid-write is ours (same name) and is simply rewritten.
        const handle = await open(tempPath, 'w', 0o640);
        try {
          await handle.writeFile(file.wire);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(tempPath, finalPath);
        await fsyncDir(options.outDir);
        return ok({ reference: finalPath });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
        return fail('TRN_DELIVERY_FAILED', `cannot write to the pickup folder (${code})`);
      }
    },
    async fetchAnswers(): Promise<Result<IncomingAnswer[]>> {
      try {
        const entries = await readdir(options.inDir, { withFileTypes: true });
        const ready: IncomingAnswer[] = [];
        const present = new Set<string>();
        for (const entry of entries) {
          if (!entry.isFile() || entry.name.endsWith(TEMP_SUFFIX) || entry.name.startsWith('.')) continue;
          if (!PLAIN_FILE.test(entry.name)) continue;
          present.add(entry.name);
          const path = join(options.inDir, entry.name);
          const info = await stat(path).catch(() => undefined);
          if (!info) continue;
          const signature = `${info.size}:${info.mtimeMs}`;
          const before = seen.get(entry.name);
          seen.set(entry.name, signature);
          // Stable across two polls: taken now. Otherwise looked at again next time.
          if (before !== signature) continue;
          if (info.size > MAX_ANSWER_BYTES) {
            ready.push({ ref: entry.name, bytes: new Uint8Array(0), kind: 'envelope' });
            continue;
          }
          ready.push({ ref: entry.name, bytes: new Uint8Array(await readFile(path)), kind: 'envelope' });
        }
        for (const name of seen.keys()) if (!present.has(name)) seen.delete(name);
        return ok(ready);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
        return fail('TRN_ANSWER_FETCH_FAILED', `cannot read the incoming folder (${code})`);
      }
    },
    async ack(answer: IncomingAnswer, outcome: AnswerOutcome): Promise<void> {
      const folder = join(options.inDir, outcome);
      await mkdir(folder, { recursive: true });
      let target = join(folder, answer.ref);
      // Never overwrite an earlier answer of the same name: keep both.
      if (await stat(target).catch(() => undefined)) target = `${target}.${Date.now()}`;
      await rename(join(options.inDir, answer.ref), target);
      seen.delete(answer.ref);
    },
    async open(answer: IncomingAnswer): Promise<Result<Uint8Array>> {
      return ok(answer.bytes);
    },
    async close(): Promise<void> {},
  };
}
